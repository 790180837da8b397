import { type ActiveConnection as Connection, TransactionError, getConnection, transactionFor } from "@ferro/core"

/**
 * The connection an operation runs on: inside a transaction block, the transaction's
 * connection (when the operation targets that connection); else the named one, else the
 * default. This is the single place routing is decided.
 */
export const resolveConnection = (name: string | undefined): Connection => {
  const scope = transactionFor(name)
  if (scope !== undefined) {
    if (scope.closed) {
      throw new TransactionError(
        "This code runs in a transaction that has already ended (committed, rolled back or aborted); it cannot continue in it",
      )
    }
    return scope.connection
  }
  return getConnection(name)
}
