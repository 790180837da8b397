import {
  type ActiveConnection as Connection,
  TransactionError,
  currentTransaction,
  getConnection,
  observedConnection,
  openSessionFor,
  transactionFor,
} from "@ferro/core/internal"

/** Options of a call routed to a named connection (`Model.using(name, options)`, raw SQL's `using`). */
export interface RouteOptions {
  /**
   * Inside a transaction opened on another connection, run on `name` anyway, outside any
   * transaction: its statements commit on their own and do not roll back with the
   * transaction. Without it such a call is refused with a `TransactionError`.
   */
  readonly outsideTransaction?: boolean
}

/**
 * The connection an operation runs on: inside a transaction block, the transaction's
 * connection (when the operation targets that connection); else, inside a session on the
 * targeted connection (an unqualified call targets the session's), that connection with the
 * session's identity map; else the named one, else the default. This is the single place
 * routing is decided.
 *
 * A call routed to a connection that no open transaction of the block covers, while a
 * transaction on another connection is open, would silently run outside it: it is refused
 * with a `TransactionError` naming both connections unless `outsideTransaction` is set.
 */
export const resolveConnection = (name: string | undefined, options?: RouteOptions): Connection =>
  // In an Effect operation, a view whose driver tells the operation's span its statements.
  observedConnection(route(name, options))

const route = (name: string | undefined, options?: RouteOptions): Connection => {
  const scope = transactionFor(name)
  if (scope !== undefined) {
    if (scope.closed) {
      throw new TransactionError(
        "This code runs in a transaction that has already ended (committed, rolled back or aborted); it cannot continue in it",
      )
    }
    return scope.connection
  }
  if (name !== undefined && options?.outsideTransaction !== true) {
    const current = currentTransaction()
    if (current !== undefined && !current.closed && current.connection.name !== name) {
      throw new TransactionError(
        `This call is routed to connection '${name}' inside a transaction on connection '${current.connection.name}'; ` +
          `it would run outside that transaction. Open a transaction on '${name}' (transaction(fn, { using: '${name}' })), ` +
          `or opt out explicitly with using('${name}', { outsideTransaction: true })`,
      )
    }
  }
  const session = openSessionFor(name)
  if (session !== undefined) {
    const connection = getConnection(session.name)
    let view = session.view
    if (view === null || view.driver !== connection.driver) {
      view = { name: connection.name, driver: connection.driver, identityMap: connection.identityMap === null ? null : session.identityMap }
      session.view = view
    }
    return view
  }
  return getConnection(name)
}
