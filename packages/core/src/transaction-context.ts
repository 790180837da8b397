/**
 * "The current transaction" for Promise code: an AsyncLocalStorage entry that follows the code
 * across `await`. Every ORM operation resolves its connection through it, so code inside a
 * transaction block (helpers that never receive a handle included) runs on the transaction's
 * connection. `@ferro/transactions` opens and closes the scopes; the Effect side reads the
 * same scope from a fiber-local reference.
 *
 * @module
 */
import { ambient } from "./ambient.js"
import type { ActiveConnection } from "./connections.js"
import type { TransactionDriver } from "./driver.js"
import type { IdentityMap } from "./identity-map.js"

/** An instance's state before a transaction first changed it, to restore on rollback. */
export interface InstanceBefore {
  readonly table: string
  /** It was the enclosing map's object for its key (taken out while changed). */
  readonly heldOutside: boolean
  readonly values: Readonly<Record<string, unknown>>
  readonly snapshot: ReadonlyArray<unknown> | null
  readonly pk: unknown
  readonly connection: string | null
}

/** One level of an open transaction (the outermost, or a savepoint). */
export interface TransactionScope {
  /** The transaction's connection: its driver runs on the dedicated database connection. */
  readonly connection: ActiveConnection & { readonly driver: TransactionDriver }
  /** 0 for the outermost level, then 1, 2, ... for savepoints. */
  readonly depth: number
  readonly parent: TransactionScope | null
  /** The scope that was current when this outermost one opened (a transaction on another connection). */
  readonly enclosing: TransactionScope | null
  /** Instances first changed at this level, with their state before. */
  readonly touched: Map<object, InstanceBefore>
  /**
   * The enclosing unit of work's identity map: the session's (when a session pins this
   * connection) or the connection's. The transaction has a private map of its own (its
   * connection's) that lookups never fall through from, so its uncommitted rows are never
   * handed to code outside it and it never reads objects from outside; on commit its
   * instances are published to this map.
   */
  readonly outerIdentityMap: IdentityMap | null
  /** Nested levels run one at a time: each waits for the previous sibling's end. */
  siblings: Promise<void>
  /** Lets the next sibling level start (called when this level ends). */
  readonly endTurn: () => void
  /** Set when the level has committed or rolled back; using it afterwards is an error. */
  closed: boolean
}

const transactions = ambient<TransactionScope>()

/**
 * Adds a way to find the current transaction when no Promise-side scope is set (used by
 * `@ferro/transactions` to read the running Effect fiber's transaction).
 */
export const addTransactionResolver: (resolver: () => TransactionScope | undefined) => void = transactions.addResolver

/**
 * The innermost transaction scope of the calling code, if any. It may be closed (code that
 * outlived its block, e.g. after an abort): callers must refuse to run on a closed scope rather
 * than silently leave the transaction.
 */
export const currentTransaction: () => TransactionScope | undefined = transactions.current

/** Runs `fn` with `scope` as the current transaction. */
export const runInTransaction: <T>(scope: TransactionScope | undefined, fn: () => T) => T = transactions.run

/**
 * The open scope for connection `name` among the current one and those enclosing it (a
 * transaction opened inside another one on a different connection keeps the outer one
 * reachable). `undefined` name: the innermost scope.
 */
export const transactionFor = (name: string | undefined): TransactionScope | undefined => {
  let scope = currentTransaction()
  if (name === undefined) return scope
  while (scope !== undefined) {
    if (scope.connection.name === name) return scope
    let outermost: TransactionScope = scope
    while (outermost.parent !== null) outermost = outermost.parent
    scope = outermost.enclosing ?? undefined
  }
  return undefined
}
