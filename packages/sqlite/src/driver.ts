import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import Database from "better-sqlite3"
import {
  type BeginOptions,
  type ColumnarKind,
  type ColumnarResult,
  ConnectionError,
  type Driver,
  LockTimeout,
  type ReadOptions,
  type Statement,
  TransactionError,
  type TransactionDriver,
  type WriteResult,
  quoteIdentifier,
  redactUrl,
} from "@ferro/core/internal"
import type { NativeDatabase, NativeEngine } from "@ferro/core/internal"
import { BetterSqlite3Engine } from "./better-sqlite3-engine.js"
import { type EngineCursor, RowCallbackFailure, type SqliteEngine } from "./engine.js"
import { isLockBusy, translateSqliteError } from "./errors.js"
import { ferroDecimalAvg, ferroDecimalKey, ferroDecimalMax, ferroDecimalMin, ferroDecimalSum, ferroInt32, ferroLower } from "./functions.js"
import { NativeSqliteEngine } from "./native-engine.js"
import { type SqliteLocation, parseSqliteUrl } from "./url.js"
import { SQLITE_MAX_PARAMETERS, sqliteDialect } from "./dialect.js"

const BUSY_TIMEOUT_MS = 5000
/** First pause before trying a statement again when another connection holds the lock; it doubles per attempt. */
const FIRST_BACKOFF_MS = 1
/** Longest pause between attempts. */
const MAX_BACKOFF_MS = 50

/** A promise that settles after about `ms` milliseconds, the event loop running meanwhile. */
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Which SQLite engine a connection runs on. */
export type SqliteEngineName = "js" | "native"

/** Options of {@link SqliteDriver}. */
export interface SqliteDriverOptions {
  /**
   * `"js"` (default): better-sqlite3 with the generated-JS hydrators. `"native"`: Ferro's
   * C++ addon steps statements and feeds the hydrators directly, and offers lazy columnar
   * results; when the addon is unavailable the connection uses better-sqlite3 and a warning
   * says so once per process. A `?engine=` URL parameter has the same effect.
   */
  readonly engine?: SqliteEngineName
  /**
   * The loaded native engine (`loadNativeEngine()` of `@ferro/sqlite-native`). {@link openSqlite}
   * loads it when `engine: "native"` is asked for; a driver constructed directly without it
   * falls back to better-sqlite3.
   */
  readonly native?: NativeEngine
  /**
   * Milliseconds a statement (or BEGIN, COMMIT) waits for a lock another connection holds
   * before failing with `LockTimeout` (default 5000; 0 fails at once). `connect()`'s
   * `lockTimeout` sets it. The wait never blocks the event loop: SQLite's own busy timeout is
   * 0 once the connection is open, and the driver tries the statement again asynchronously,
   * with a short, growing, jittered backoff, until this much time has passed.
   */
  readonly busyTimeout?: number
}

/**
 * Loads `@ferro/sqlite-native`, an optional peer: installed, it gives the addon (or why the
 * addon is unusable); not installed, the reason says how to get it.
 */
export const loadNative = async (): Promise<NativeEngine> => {
  try {
    const { loadNativeEngine } = await import("@ferro/sqlite-native")
    return loadNativeEngine()
  } catch (error) {
    const missing = (error as { code?: unknown } | null)?.code === "ERR_MODULE_NOT_FOUND"
    return {
      available: false,
      reason: missing
        ? "@ferro/sqlite-native is not installed (npm i @ferro/sqlite-native)"
        : `@ferro/sqlite-native did not load: ${error instanceof Error ? error.message : String(error)}`,
    }
  }
}

let fallbackWarned = false

/** Says once per process that the native engine was asked for but is not available. */
const warnFallback = (reason: string): void => {
  if (fallbackWarned) return
  fallbackWarned = true
  process.emitWarning(`Ferro's native SQLite engine is unavailable (${reason}); using better-sqlite3 instead`, {
    code: "FERRO_NATIVE_UNAVAILABLE",
  })
}

const openEngine = (
  location: SqliteLocation,
  requested: SqliteEngineName,
  native: NativeEngine | undefined,
  busyTimeout: number,
): SqliteEngine => {
  if (requested === "native") {
    if (native === undefined) {
      warnFallback("the driver was constructed without it; open connections with openSqlite()")
    } else if (native.available) {
      // As better-sqlite3 refuses it: SQLite would open an empty, unwritable database.
      if (location.readonly && location.filename === ":memory:") {
        throw new TypeError("In-memory/temporary databases cannot be readonly")
      }
      const database = new native.binding.NativeDatabase(location.filename, location.readonly, busyTimeout)
      try {
        registerFunctions((name, options, fn) =>
          database.function(name, fn.length, options.deterministic, options.safeIntegers === true, fn),
        )
      } catch (error) {
        database.close()
        throw error
      }
      return new NativeSqliteEngine(database)
    } else {
      warnFallback(native.reason)
    }
  }
  const database = new Database(location.filename, {
    readonly: location.readonly,
    fileMustExist: location.readonly,
    timeout: busyTimeout,
  })
  try {
    registerFunctions((name, options, fn) => database.function(name, options, fn))
  } catch (error) {
    database.close()
    throw error
  }
  return new BetterSqlite3Engine(database)
}

type Register = (
  name: string,
  options: { readonly deterministic: boolean; readonly safeIntegers?: boolean },
  fn: (value: unknown) => unknown,
) => void

/** SQL functions every connection gets, so compiled SQL behaves as on PostgreSQL. */
const registerFunctions = (register: Register): void => {
  register("ferro_lower", { deterministic: true }, ferroLower)
  register("ferro_decimal_key", { deterministic: true }, ferroDecimalKey)
  register("ferro_int32", { deterministic: true, safeIntegers: true }, ferroInt32)
  register("ferro_decimal_sum", { deterministic: true }, ferroDecimalSum)
  register("ferro_decimal_avg", { deterministic: true }, ferroDecimalAvg)
  register("ferro_decimal_min", { deterministic: true }, ferroDecimalMin)
  register("ferro_decimal_max", { deterministic: true }, ferroDecimalMax)
}

/**
 * Ferro's SQLite driver: one connection (better-sqlite3, or the native engine), statements
 * prepared once and cached by SQL text, rows read as arrays. The engines are synchronous;
 * calls settle as promises so every driver has the same shape.
 */
export class SqliteDriver implements Driver {
  readonly dialect = sqliteDialect
  readonly maxParameters = SQLITE_MAX_PARAMETERS
  readonly url: string
  /** The engine this connection runs on (`"js"` when the native engine was asked for but is unavailable). */
  readonly engine: SqliteEngineName
  /** The underlying handle (a better-sqlite3 `Database`, or the native engine's), for escape hatches and tests. */
  readonly database: Database.Database | NativeDatabase
  readonly #engine: SqliteEngine
  #statements = 0
  /**
   * Whether a transaction (or a statement queued behind one) owns the single connection.
   * Waiters are served strictly in arrival order, and ownership passes straight to the next
   * one, so a statement queued behind a transaction never runs inside the next transaction.
   */
  #busy = false
  readonly #waiters: Array<() => void> = []
  #closed = false
  /** Milliseconds a statement waits for another connection's lock (see {@link SqliteDriverOptions.busyTimeout}). */
  readonly lockTimeout: number
  /** Statements running on the engine right now: more than one when a row callback starts another. */
  #depth = 0

  get statementCount(): number {
    return this.#statements
  }

  constructor(url: string, options: SqliteDriverOptions = {}) {
    this.url = redactUrl(url)
    const location = parseSqliteUrl(url)
    const busyTimeout = options.busyTimeout ?? BUSY_TIMEOUT_MS
    if (!Number.isSafeInteger(busyTimeout) || busyTimeout < 0) {
      throw new ConnectionError(`busyTimeout must be a non-negative integer (milliseconds), got ${String(busyTimeout)}`, this.url)
    }
    let engine: SqliteEngine | undefined
    try {
      if (location.filename !== ":memory:" && !location.readonly) {
        mkdirSync(dirname(location.filename), { recursive: true })
      }
      engine = openEngine(location, options.engine ?? location.engine ?? "js", options.native, busyTimeout)
      engine.exec("PRAGMA foreign_keys = ON")
      // LIKE is case-sensitive on PostgreSQL; make SQLite agree (ilike is the insensitive one).
      engine.exec("PRAGMA case_sensitive_like = ON")
      // Opening waits synchronously (the busy timeout given at open) for the switch to WAL;
      // after that SQLite never sleeps inside a call: the driver waits for locks asynchronously.
      engine.exec(`PRAGMA busy_timeout = ${busyTimeout}`)
      if (location.filename !== ":memory:" && !location.readonly) engine.exec("PRAGMA journal_mode = WAL")
      engine.exec("PRAGMA busy_timeout = 0")
      this.#engine = engine
    } catch (error) {
      engine?.close()
      throw new ConnectionError(
        `Could not open ${this.url}: ${error instanceof Error ? error.message : String(error)}`,
        this.url,
        { cause: error },
      )
    }
    this.lockTimeout = busyTimeout
    this.engine = this.#engine.kind
    this.database = (this.#engine as BetterSqlite3Engine | NativeSqliteEngine).database
    if (this.#engine.kind === "native") {
      this.forEachRow = (statement, options, onRow) => this.#run(() => this.forEachRowSync(statement, options, onRow))
      this.columnar = (statement, kinds) => this.#run(() => this.columnarSync(statement, kinds))
    }
  }

  /** Runs `work` on the engine, counting the statement and translating its errors. */
  #sync<T>(statement: Statement, work: (engine: SqliteEngine) => T): T {
    this.#statements++
    this.#depth++
    try {
      return work(this.#engine)
    } catch (error) {
      if (error instanceof RowCallbackFailure) throw error.error
      throw translateSqliteError(error, statement, this.lockTimeout)
    } finally {
      this.#depth--
    }
  }

  /** Whether `error` is a failure that trying the same work again later can get past: another connection holds the lock. */
  #lockBusy(error: unknown): boolean {
    return error instanceof LockTimeout && isLockBusy(error.cause)
  }

  /**
   * Runs `attempt` (statements on this connection, which the caller owns) now; when it fails
   * because another connection holds the lock, tries it again asynchronously until
   * {@link lockTimeout} has passed. The event loop keeps running while it waits. `attempt`
   * must leave nothing behind when it fails busy (one statement, BEGIN, COMMIT, an atomic batch).
   * @internal
   */
  lockWait<T>(attempt: () => T): Promise<T> {
    // A statement started from a row callback cannot wait: the outer statement is mid-step.
    const nested = this.#depth > 0
    try {
      return Promise.resolve(attempt())
    } catch (error) {
      if (nested || !this.#lockBusy(error)) return Promise.reject(error)
      return this.#retry(attempt, error)
    }
  }

  /** Tries `attempt` again with a growing, jittered backoff until the lock is free or the wait is over. */
  async #retry<T>(attempt: () => T, firstError: unknown): Promise<T> {
    const deadline = performance.now() + this.lockTimeout
    let backoff = FIRST_BACKOFF_MS
    let last = firstError
    for (;;) {
      const remaining = deadline - performance.now()
      if (remaining <= 0) throw last
      await pause(Math.min(remaining, backoff * (0.5 + Math.random() / 2)))
      this.#checkOpen()
      try {
        return attempt()
      } catch (error) {
        if (!this.#lockBusy(error)) throw error
        last = error
      }
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)
    }
  }

  /** Synchronous core of {@link rows}. */
  rowsSync(statement: Statement, options?: ReadOptions): Array<Array<unknown>> {
    return this.#sync(statement, (engine) => engine.rows(statement, options?.bigints === true))
  }

  objectsSync(statement: Statement): Array<Record<string, unknown>> {
    const rows = this.#sync(statement, (engine) => engine.objects(statement))
    // Read integers exactly, then give back plain numbers where that loses nothing.
    for (const row of rows) {
      for (const key in row) {
        const value = row[key]
        if (typeof value === "bigint" && value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER) {
          row[key] = Number(value)
        }
      }
    }
    return rows
  }

  executeSync(statement: Statement): WriteResult {
    return this.#sync(statement, (engine) => engine.execute(statement))
  }

  forEachRowSync(statement: Statement, options: ReadOptions, onRow: (...cells: Array<unknown>) => void): number {
    return this.#sync(statement, (engine) => engine.each!(statement, options, onRow))
  }

  columnarSync(statement: Statement, kinds: ReadonlyArray<ColumnarKind>): ColumnarResult {
    return this.#sync(statement, (engine) => engine.columnar!(statement, kinds))
  }

  /** Opens a cursor over `statement` for a stream (counted as one statement; nothing runs yet). @internal */
  openCursorSync(statement: Statement, bigints: boolean): EngineCursor {
    this.#statements++
    return this.#engine.cursor(statement, bigints)
  }

  /** Steps a stream's cursor by at most `max` rows, translating its errors. @internal */
  stepCursorSync(statement: Statement, cursor: EngineCursor, max: number): Array<Array<unknown>> {
    this.#depth++
    try {
      return cursor.next(max)
    } catch (error) {
      throw translateSqliteError(error, statement, this.lockTimeout)
    } finally {
      this.#depth--
    }
  }

  /**
   * Streams the rows of `statement` in batches by stepping it (both engines). Each batch is
   * read in line with the connection's other statements: while a transaction owns the
   * connection, the next batch waits for it to end. Between batches the statement stays open
   * and other statements run meanwhile, reads and writes (see {@link BetterSqlite3Engine}).
   */
  stream(statement: Statement, options: ReadOptions, batchSize: number): AsyncIterableIterator<ReadonlyArray<ReadonlyArray<unknown>>> {
    return streamCursor(this, statement, options, batchSize, (work) => this.#run(work))
  }

  /** Whether this connection's engine hands rows to callbacks and fills columnar results. */
  get native(): boolean {
    return this.#engine.kind === "native"
  }

  /** Takes the connection, waiting in line while a transaction owns it. */
  #acquire(): Promise<void> | undefined {
    if (!this.#busy) {
      this.#busy = true
      return undefined
    }
    return new Promise<void>((resolve) => this.#waiters.push(resolve))
  }

  /** Hands the connection to the next in line, or frees it. */
  #release(): void {
    const next = this.#waiters.shift()
    if (next === undefined) this.#busy = false
    else next()
  }

  #checkOpen(): void {
    if (this.#closed) throw new ConnectionError(`The connection to ${this.url} is closed`, this.url)
  }

  /**
   * Runs a statement now when the connection is free (the hot path: a settled promise, no
   * async frame), else in line.
   */
  #run<T>(work: () => T): Promise<T> {
    if (!this.#busy) {
      try {
        this.#checkOpen()
        return Promise.resolve(work())
      } catch (error) {
        if (this.#depth > 0 || !this.#lockBusy(error)) return Promise.reject(error)
        // Another connection holds the lock: own this one while waiting, so what is issued
        // meanwhile queues behind this statement.
        this.#busy = true
        return this.#retry(work, error).finally(() => this.#release())
      }
    }
    return this.#queued(work)
  }

  async #queued<T>(work: () => T): Promise<T> {
    await this.#acquire()
    try {
      this.#checkOpen()
      return await this.lockWait(work)
    } finally {
      this.#release()
    }
  }

  rows(statement: Statement, options?: ReadOptions): Promise<ReadonlyArray<ReadonlyArray<unknown>>> {
    return this.#run(() => this.rowsSync(statement, options))
  }

  objects(statement: Statement): Promise<ReadonlyArray<Record<string, unknown>>> {
    return this.#run(() => this.objectsSync(statement))
  }

  execute(statement: Statement): Promise<WriteResult> {
    return this.#run(() => this.executeSync(statement))
  }

  /** Present only on the native engine (see {@link Driver.forEachRow}). */
  readonly forEachRow?: (statement: Statement, options: ReadOptions, onRow: (...cells: Array<unknown>) => void) => Promise<number>

  /** Present only on the native engine (see {@link Driver.columnar}). */
  readonly columnar?: (statement: Statement, kinds: ReadonlyArray<ColumnarKind>) => Promise<ColumnarResult>

  executeAtomically(statements: ReadonlyArray<Statement>): Promise<ReadonlyArray<WriteResult>> {
    return this.#run(() => this.executeAtomicallySync(statements))
  }

  executeAtomicallySync(statements: ReadonlyArray<Statement>): Array<WriteResult> {
    // Inside an open transaction the batch is a savepoint, so it composes with it.
    const nested = this.#engine.inTransaction
    // IMMEDIATE: the write lock is taken first, so a busy batch fails before any statement runs.
    const begin: Statement = { sql: nested ? 'SAVEPOINT "ferro_atomic"' : "BEGIN IMMEDIATE", params: [] }
    this.#sync(begin, (engine) => engine.exec(begin.sql))
    try {
      const results = statements.map((s) => this.executeSync(s))
      const end: Statement = { sql: nested ? 'RELEASE SAVEPOINT "ferro_atomic"' : "COMMIT", params: [] }
      this.#sync(end, (engine) => engine.exec(end.sql))
      return results
    } catch (error) {
      if (nested) {
        this.#engine.exec('ROLLBACK TO SAVEPOINT "ferro_atomic"')
        this.#engine.exec('RELEASE SAVEPOINT "ferro_atomic"')
      } else if (this.#engine.inTransaction) this.#engine.exec("ROLLBACK")
      throw error
    }
  }

  /** Whether the connection has a transaction open. */
  get inTransaction(): boolean {
    return this.#engine.inTransaction
  }

  /** Runs a parameterless statement that returns nothing (BEGIN, PRAGMA x = y). */
  execSync(sql: string): void {
    const statement: Statement = { sql, params: [] }
    this.#sync(statement, (engine) => engine.exec(sql))
  }

  async begin(options: BeginOptions = {}): Promise<TransactionDriver> {
    this.#checkOpen()
    await this.#acquire()
    if (this.#closed) {
      this.#release()
      this.#checkOpen()
    }
    let released = false
    const unlock = () => {
      if (released) return
      released = true
      this.#release()
    }
    // Without an explicit mode a writable transaction begins IMMEDIATE: it waits for the write
    // lock at BEGIN (asynchronously), so it can never fail half-way when a read turns into a
    // write while another connection writes. A read-only one stays DEFERRED (WAL readers never wait).
    const mode = options.sqliteMode ?? (options.readOnly === true ? "deferred" : "immediate")
    try {
      await this.lockWait(() => this.executeSync({ sql: `BEGIN ${mode.toUpperCase()}`, params: [] }))
      if (options.readOnly) this.#engine.exec("PRAGMA query_only = ON")
    } catch (error) {
      unlock()
      throw error
    }
    return new SqliteTransaction(this, options.readOnly === true, unlock)
  }

  /** Drop every cached prepared statement (after DDL). */
  clearStatementCache(): void {
    this.#engine.clearStatementCache()
  }

  schemaChanged(): void {
    this.clearStatementCache()
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#engine.close()
    // Wake everything queued: each finds the connection closed and fails with ConnectionError.
    while (this.#waiters.length > 0) this.#release()
  }
}

/**
 * The batches of a stream over an engine cursor; `run` runs each batch's stepping on the
 * connection (in line, or in the transaction). `track` gets the closer while it is open.
 */
async function* streamCursor(
  driver: SqliteDriver,
  statement: Statement,
  options: ReadOptions,
  batchSize: number,
  run: <T>(work: () => T) => Promise<T>,
  track?: Set<() => void>,
): AsyncGenerator<ReadonlyArray<ReadonlyArray<unknown>>, void, undefined> {
  let cursor: EngineCursor | undefined
  let delivered = false
  let failure: unknown
  const close = () => {
    cursor?.close()
    cursor = undefined
  }
  track?.add(close)
  try {
    for (;;) {
      const rows = await run(() => {
        // A statement that failed part-way cannot resume: a retry gets the same error.
        if (failure !== undefined) throw failure
        cursor ??= driver.openCursorSync(statement, options.bigints === true)
        try {
          const batch = driver.stepCursorSync(statement, cursor, batchSize)
          if (batch.length > 0) delivered = true
          return batch
        } catch (error) {
          cursor = undefined // the engine closed it
          if (delivered) failure = error
          throw error
        }
      })
      if (rows.length > 0) yield rows
      if (rows.length < batchSize) return
    }
  } finally {
    close()
    track?.delete(close)
  }
}

/** Opens a SQLite database from a `sqlite:` URL. Throws `ConnectionError` when it cannot. */
export const openSqlite = async (url: string, options: SqliteDriverOptions = {}): Promise<SqliteDriver> => {
  const wantsNative = (options.engine ?? parseSqliteUrl(url).engine) === "native"
  return new SqliteDriver(url, wantsNative && options.native === undefined ? { ...options, native: await loadNative() } : options)
}

/**
 * A transaction owning the SQLite connection until it commits or rolls back. Every statement,
 * and COMMIT, waits asynchronously for a lock another connection holds (see
 * {@link SqliteDriver.lockWait}). In a DEFERRED transaction that has read, another
 * connection's committed write makes the snapshot stale: its next write fails with
 * `SerializationFailure` (retry the whole transaction), not a wait.
 */
class SqliteTransaction implements TransactionDriver {
  readonly dialect = sqliteDialect
  #open = true
  /** Closers of the streams open in this transaction: the end of the transaction closes them. */
  readonly #streams = new Set<() => void>()

  constructor(
    readonly driver: SqliteDriver,
    readonly readOnly: boolean,
    readonly unlock: () => void,
  ) {
    if (driver.native) {
      this.forEachRow = (statement, options, onRow) =>
        this.#wait(() => this.driver.forEachRowSync(statement, options, onRow))
      this.columnar = (statement, kinds) => this.#wait(() => this.driver.columnarSync(statement, kinds))
    }
  }

  get url(): string {
    return this.driver.url
  }
  get maxParameters(): number {
    return this.driver.maxParameters
  }
  get statementCount(): number {
    return this.driver.statementCount
  }

  #check(): void {
    if (!this.#open) throw new TransactionError("This transaction has already committed or rolled back")
  }

  /** Runs `work` if the transaction is still open, waiting (asynchronously) for other connections' locks. */
  #wait<T>(work: () => T): Promise<T> {
    return this.driver.lockWait(() => {
      this.#check()
      return work()
    })
  }

  rows(statement: Statement, options?: ReadOptions): Promise<ReadonlyArray<ReadonlyArray<unknown>>> {
    return this.#wait(() => this.driver.rowsSync(statement, options))
  }
  objects(statement: Statement): Promise<ReadonlyArray<Record<string, unknown>>> {
    return this.#wait(() => this.driver.objectsSync(statement))
  }
  execute(statement: Statement): Promise<WriteResult> {
    return this.#wait(() => this.driver.executeSync(statement))
  }
  executeAtomically(statements: ReadonlyArray<Statement>): Promise<ReadonlyArray<WriteResult>> {
    return this.#wait(() => this.driver.executeAtomicallySync(statements))
  }
  stream(statement: Statement, options: ReadOptions, batchSize: number): AsyncIterableIterator<ReadonlyArray<ReadonlyArray<unknown>>> {
    return streamCursor(this.driver, statement, options, batchSize, (work) => this.#wait(work), this.#streams)
  }
  async savepoint(name: string): Promise<void> {
    this.#check()
    this.driver.executeSync({ sql: `SAVEPOINT ${quoteIdentifier(name)}`, params: [] })
  }
  async releaseSavepoint(name: string): Promise<void> {
    this.#check()
    this.driver.executeSync({ sql: `RELEASE SAVEPOINT ${quoteIdentifier(name)}`, params: [] })
  }
  async rollbackToSavepoint(name: string): Promise<void> {
    this.#check()
    this.driver.executeSync({ sql: `ROLLBACK TO SAVEPOINT ${quoteIdentifier(name)}`, params: [] })
    this.driver.executeSync({ sql: `RELEASE SAVEPOINT ${quoteIdentifier(name)}`, params: [] })
  }
  commit(): Promise<void> {
    return this.#end("COMMIT")
  }
  rollback(): Promise<void> {
    return this.#end("ROLLBACK")
  }
  async #end(sql: "COMMIT" | "ROLLBACK"): Promise<void> {
    this.#check()
    this.#open = false
    for (const close of [...this.#streams]) close()
    try {
      if (this.readOnly) this.driver.execSync("PRAGMA query_only = OFF")
      // A busy COMMIT leaves the transaction open and can be tried again; any other failed
      // COMMIT (e.g. a deferred constraint), or one that waited too long, is rolled back.
      try {
        await this.driver.lockWait(() => this.driver.executeSync({ sql, params: [] }))
      } catch (error) {
        if (this.driver.inTransaction) this.driver.executeSync({ sql: "ROLLBACK", params: [] })
        throw error
      }
    } finally {
      this.unlock()
    }
  }
  readonly forEachRow?: (statement: Statement, options: ReadOptions, onRow: (...cells: Array<unknown>) => void) => Promise<number>
  readonly columnar?: (statement: Statement, kinds: ReadonlyArray<ColumnarKind>) => Promise<ColumnarResult>

  async begin(): Promise<TransactionDriver> {
    throw new TransactionError("Nested transactions are savepoints; use transaction() inside the block")
  }
}
