/**
 * `@ferro/transactions`: transactions that follow the code. Promise code uses
 * {@link transaction} / {@link beginTransaction}; the current transaction lives in
 * AsyncLocalStorage (see `@ferro/core`'s transaction context), so every ORM call inside a block
 * runs on the transaction's connection without passing a handle.
 *
 * @packageDocumentation
 */
export { beginTransaction, transaction, type TransactionHandle, type TransactionOptions } from "./transaction.js"
