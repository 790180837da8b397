/**
 * `@ferro/transactions`: transactions that follow the code. Promise code uses
 * {@link transaction} / {@link beginTransaction} (the current transaction lives in
 * AsyncLocalStorage); Effect code uses {@link transactionEffect} (a fiber-local reference). Each side joins
 * transactions the other opened, and {@link sqlClientLayer} gives `effect/sql` a `SqlClient` on
 * the same connection that joins them too.
 *
 * @packageDocumentation
 */
export { beginTransaction, transaction, type TransactionHandle, type TransactionOptions } from "./transaction.js"
export { CurrentTransaction, transactionEffect } from "./effect.js"
export { sqlClientLayer, type SqlClientOptions } from "./sql-client.js"
export { CurrentSession, session, sessionEffect, type SessionOptions } from "./session.js"
