/**
 * Transactions for Promise code. `transaction(fn)` runs `fn` with the transaction as the
 * current one (AsyncLocalStorage), so every ORM call inside — helpers included — runs on the
 * transaction's connection. Nested blocks are savepoints. Commit on success; rollback on a
 * throw or when the block is abandoned through `signal`; instances the rolled-back work changed
 * are restored.
 *
 * @module
 */
import {
  type BeginOptions,
  type IdentityMap,
  type ActiveConnection,
  DeadlockDetected,
  FerroError,
  Instances,
  type IsolationLevel,
  SerializationFailure,
  TransactionError,
  type TransactionDriver,
  TransactionIdentityMap,
  type TransactionScope,
  currentTransaction,
  getConnection,
  openSessionFor,
  transactionFor,
  runInTransaction,
} from "@ferro/core/internal"

/** Options of {@link transaction} and {@link beginTransaction}. */
export interface TransactionOptions {
  /** Connection name (default: the current transaction's, else the default connection). */
  readonly using?: string
  /** PostgreSQL isolation level of the outermost transaction. */
  readonly isolation?: IsolationLevel
  /** Read-only transaction (PostgreSQL `READ ONLY`; SQLite `query_only`). */
  readonly readOnly?: boolean
  /** SQLite: `immediate` takes the write lock at BEGIN (default `deferred`). */
  readonly sqliteMode?: BeginOptions["sqliteMode"]
  /** Abandon the block when this signal aborts: the transaction rolls back and the call rejects. */
  readonly signal?: AbortSignal
  /**
   * Rerun the whole block up to this many more times, after a short jittered backoff, when it
   * fails with `SerializationFailure` or `DeadlockDetected` (never on any other error). Only
   * an outermost transaction retries: inside another one the failure has already doomed the
   * enclosing transaction, so a nested block runs once. Default 0.
   */
  readonly retry?: number
}

/** @internal Whether a failure is one that rerunning the whole transaction can cure. */
export const isRetryable = (error: unknown): boolean =>
  error instanceof SerializationFailure || error instanceof DeadlockDetected

/** @internal Checks `retry` and returns it (0 when absent). */
export const retryCount = (options: { readonly retry?: number }): number => {
  const retry = options.retry ?? 0
  if (typeof retry !== "number" || !Number.isSafeInteger(retry) || retry < 0) {
    throw new TransactionError(`retry must be a non-negative integer, got ${typeof retry === "number" ? String(retry) : typeof retry}`)
  }
  return retry
}

/** @internal Milliseconds to wait before rerun number `attempt` (1-based): full jitter, capped at 250 ms. */
export const retryDelay = (attempt: number): number => Math.floor(Math.random() * Math.min(250, 10 * 2 ** attempt))

const abortError = (signal: AbortSignal): TransactionError =>
  new TransactionError("The transaction block was aborted; its work was rolled back", { cause: signal.reason })

/** Resolves with `promise`, or rejects as soon as `signal` aborts. */
const raceAbort = <T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> => {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(abortError(signal))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal))
    signal.addEventListener("abort", onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort)
        reject(error)
      },
    )
  })
}

/** Puts back every instance the scope changed, and its identity-map entries. */
const restoreTouched = (scope: TransactionScope): void => {
  const map = scope.connection.identityMap
  for (const [instance, before] of scope.touched) {
    const during = Instances.persistedKey(instance)
    if (map !== null && during !== undefined) map.evict(before.table, during)
    Instances.restore(instance, before)
    if (map !== null && before.snapshot !== null) map.set(before.table, before.pk, instance)
    if (before.heldOutside) scope.outerIdentityMap?.set(before.table, before.pk, instance)
  }
  scope.touched.clear()
}

/**
 * After the outermost commit, the transaction's instances join the enclosing unit of work (the
 * session's map, else the connection's): instances it changed replace whatever that map held
 * for their key (they carry the newest committed row); instances it deleted leave it;
 * instances it only read are added only where that map holds no live object for their key
 * (an object the unit of work already holds stays its object).
 */
const publishTouched = (scope: TransactionScope): void => {
  const outer = scope.outerIdentityMap
  if (outer === null) return
  for (const [instance, before] of scope.touched) {
    const key = Instances.persistedKey(instance)
    if (key !== undefined) outer.set(before.table, key, instance)
    else if (before.heldOutside) outer.evict(before.table, before.pk)
  }
  const own = scope.connection.identityMap
  if (own === null || own === outer) return
  for (const [table, pk, instance] of own.own()) {
    if (scope.touched.has(instance) || Instances.persistedKey(instance) !== pk) continue
    if (outer.get(table, pk) === undefined) outer.set(table, pk, instance)
  }
  own.clear()
}

/** Hands what a committed savepoint changed to its parent, which may still roll back. */
const mergeTouched = (scope: TransactionScope): void => {
  const parent = scope.parent
  if (parent === null) return
  for (const [instance, before] of scope.touched) if (!parent.touched.has(instance)) parent.touched.set(instance, before)
}

/**
 * The map a new outermost transaction on `connection` publishes to: the current session's when
 * the session pins that connection, else the connection's own.
 */
const enclosingMap = (connection: ActiveConnection): IdentityMap | null => {
  if (connection.identityMap === null) return null
  return openSessionFor(connection.name)?.identityMap ?? connection.identityMap
}

const newScope = (
  connection: ActiveConnection,
  driver: TransactionDriver,
  parent: TransactionScope | null,
  endTurn: () => void = () => {},
  enclosingIdentityMap: IdentityMap | null = null,
): TransactionScope => {
  const outer = parent === null ? enclosingIdentityMap : parent.outerIdentityMap
  return {
    connection: {
      name: connection.name,
      driver,
      // The outermost level gets a private map (its own identity scope); savepoints share their transaction's.
      identityMap: parent !== null || outer === null ? connection.identityMap : new TransactionIdentityMap(outer),
    },
    depth: parent === null ? 0 : parent.depth + 1,
    parent,
    enclosing: parent === null ? (currentTransaction() ?? null) : null,
    touched: new Map(),
    outerIdentityMap: outer,
    siblings: Promise.resolve(),
    endTurn,
    closed: false,
  }
}

/** @internal Ends a scope: commit (or release the savepoint) or roll back, restoring instances on rollback. */
export const endScope = async (scope: TransactionScope, outcome: "commit" | "rollback"): Promise<void> => {
  if (scope.closed) throw new TransactionError("This transaction has already committed or rolled back")
  scope.closed = true
  try {
    await finishScope(scope, outcome)
  } finally {
    scope.endTurn()
  }
}

const finishScope = async (scope: TransactionScope, outcome: "commit" | "rollback"): Promise<void> => {
  const driver = scope.connection.driver
  const savepoint = scope.depth === 0 ? null : `ferro_sp_${scope.depth}`
  if (outcome === "rollback") {
    try {
      if (savepoint === null) await driver.rollback()
      else await driver.rollbackToSavepoint(savepoint)
    } finally {
      restoreTouched(scope)
    }
    return
  }
  try {
    if (savepoint === null) await driver.commit()
    else await driver.releaseSavepoint(savepoint)
  } catch (error) {
    restoreTouched(scope)
    // Typed failures (a lost connection, a serialization failure at COMMIT) keep their class.
    throw error instanceof FerroError ? error : new TransactionError(`Commit failed: ${(error as Error).message}`, { cause: error })
  }
  if (scope.parent === null) publishTouched(scope)
  else mergeTouched(scope)
}

/** @internal Opens a scope: a new transaction, or a savepoint inside the current one. */
export const openScope = async (options: TransactionOptions): Promise<TransactionScope> => {
  const parent = transactionFor(options.using)
  if (parent !== undefined) {
    if (parent.closed) throw new TransactionError("The enclosing transaction has already ended")
    if (options.isolation !== undefined || options.readOnly !== undefined || options.sqliteMode !== undefined) {
      throw new TransactionError("A nested transaction is a savepoint: isolation and read-only belong to the outermost one")
    }
    // Savepoints form a stack: sibling levels started concurrently take turns.
    let endTurn!: () => void
    const turn = new Promise<void>((resolve) => (endTurn = resolve))
    const previous = parent.siblings
    parent.siblings = previous.then(() => turn)
    await previous
    const scope = newScope(parent.connection, parent.connection.driver, parent, endTurn)
    try {
      if (parent.closed) throw new TransactionError("The enclosing transaction has already ended")
      await parent.connection.driver.savepoint(`ferro_sp_${scope.depth}`)
    } catch (error) {
      endTurn()
      throw error
    }
    return scope
  }
  // Inside a session, an unqualified transaction opens on the session's connection.
  const connection = getConnection(options.using ?? openSessionFor(undefined)?.name)
  // Read before the first await: an Effect fiber's session is only visible synchronously.
  const enclosing = enclosingMap(connection)
  const driver = await connection.driver.begin({
    ...(options.isolation === undefined ? {} : { isolation: options.isolation }),
    ...(options.readOnly === undefined ? {} : { readOnly: options.readOnly }),
    ...(options.sqliteMode === undefined ? {} : { sqliteMode: options.sqliteMode }),
  })
  return newScope(connection, driver, null, undefined, enclosing)
}

/**
 * Runs `fn` in a transaction and returns its result. Commits when `fn` resolves; rolls back
 * and rethrows when it throws, or when `options.signal` aborts first. Nested calls (on the same
 * connection) are savepoints: an inner failure rolls back only the inner work.
 *
 * ```ts
 * await transaction(async () => { await a.save(); await b.save() })
 * ```
 */
export const transaction = async <T>(fn: () => Promise<T> | T, options: TransactionOptions = {}): Promise<T> => {
  if (typeof fn !== "function") throw new TransactionError("transaction() expects an async function")
  const retry = retryCount(options)
  // Nested blocks are savepoints of a transaction a retryable failure has already doomed.
  if (retry === 0 || transactionFor(options.using) !== undefined) return transactionOnce(fn, options)
  for (let attempt = 0; ; attempt++) {
    try {
      return await transactionOnce(fn, options)
    } catch (error) {
      if (attempt >= retry || !isRetryable(error) || options.signal?.aborted) throw error
      await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt + 1)))
    }
  }
}

const transactionOnce = async <T>(fn: () => Promise<T> | T, options: TransactionOptions): Promise<T> => {
  if (options.signal?.aborted) throw abortError(options.signal)
  const scope = await openScope(options)
  let result: T
  try {
    result = await raceAbort(
      runInTransaction(scope, async () => fn()),
      options.signal,
    )
  } catch (error) {
    try {
      await endScope(scope, "rollback")
    } catch {
      // The original error matters more than a failed rollback (the connection is dropped).
    }
    throw error
  }
  await endScope(scope, "commit")
  return result
}

/** A transaction under manual control, from {@link beginTransaction}. */
export interface TransactionHandle {
  /** Runs `fn` inside the transaction (ORM calls in it use the transaction's connection). */
  run<T>(fn: () => Promise<T> | T): Promise<T>
  commit(): Promise<void>
  rollback(): Promise<void>
  /** True once committed or rolled back. */
  readonly closed: boolean
}

/**
 * Begins a transaction you end yourself: `const tx = await beginTransaction(); await tx.run(...);
 * await tx.commit()`. Using the handle after it ended is a `TransactionError`.
 */
export const beginTransaction = async (options: Omit<TransactionOptions, "signal" | "retry"> = {}): Promise<TransactionHandle> => {
  const scope = await openScope(options)
  return {
    get closed() {
      return scope.closed
    },
    run: async <T>(fn: () => Promise<T> | T): Promise<T> => {
      if (scope.closed) throw new TransactionError("This transaction has already committed or rolled back")
      return runInTransaction(scope, async () => fn())
    },
    commit: () => endScope(scope, "commit"),
    rollback: () => endScope(scope, "rollback"),
  }
}
