import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import Database from "better-sqlite3"
import {
  type BeginOptions,
  ConnectionError,
  type Driver,
  type ReadOptions,
  type Statement,
  TransactionError,
  type TransactionDriver,
  type WriteResult,
  quoteIdentifier,
  redactUrl,
} from "@ferro/core"
import { translateSqliteError } from "./errors.js"
import { ferroDecimalKey, ferroInt32, ferroLower } from "./functions.js"
import { parseSqliteUrl } from "./url.js"

/** SQLite's default SQLITE_MAX_VARIABLE_NUMBER since 3.32. */
const MAX_PARAMETERS = 32766
/** Prepared statements kept per connection; the least recently used is dropped past this. */
const STATEMENT_CACHE_SIZE = 500

type Prepared = Database.Statement<unknown[], unknown>

/**
 * Ferro's driver on better-sqlite3. One connection, statements prepared once and cached by
 * SQL text, rows read as arrays. better-sqlite3 is synchronous; calls settle as promises so
 * every driver has the same shape.
 */
export class SqliteDriver implements Driver {
  readonly dialect = "sqlite" as const
  readonly maxParameters = MAX_PARAMETERS
  readonly url: string
  /** The underlying better-sqlite3 handle (for escape hatches and tests). */
  readonly database: Database.Database
  readonly #cache = new Map<string, Prepared>()
  #statements = 0
  /**
   * Whether a transaction (or a statement queued behind one) owns the single connection.
   * Waiters are served strictly in arrival order, and ownership passes straight to the next
   * one, so a statement queued behind a transaction never runs inside the next transaction.
   */
  #busy = false
  readonly #waiters: Array<() => void> = []
  #closed = false

  get statementCount(): number {
    return this.#statements
  }

  constructor(url: string) {
    this.url = redactUrl(url)
    const location = parseSqliteUrl(url)
    try {
      if (location.filename !== ":memory:" && !location.readonly) {
        mkdirSync(dirname(location.filename), { recursive: true })
      }
      this.database = new Database(location.filename, { readonly: location.readonly, fileMustExist: location.readonly })
      this.database.pragma("foreign_keys = ON")
      // LIKE is case-sensitive on PostgreSQL; make SQLite agree (ilike is the insensitive one).
      this.database.pragma("case_sensitive_like = ON")
      this.database.pragma("busy_timeout = 5000")
      this.database.function("ferro_lower", { deterministic: true }, ferroLower)
      this.database.function("ferro_decimal_key", { deterministic: true }, ferroDecimalKey)
      this.database.function("ferro_int32", { deterministic: true, safeIntegers: true }, ferroInt32)
      if (location.filename !== ":memory:" && !location.readonly) this.database.pragma("journal_mode = WAL")
    } catch (error) {
      throw new ConnectionError(
        `Could not open ${this.url}: ${error instanceof Error ? error.message : String(error)}`,
        this.url,
        { cause: error },
      )
    }
  }

  #prepare(statement: Statement): Prepared {
    this.#statements++
    let prepared = this.#cache.get(statement.sql)
    if (prepared !== undefined) {
      // Refresh recency: Map iteration order is insertion order.
      this.#cache.delete(statement.sql)
      this.#cache.set(statement.sql, prepared)
      return prepared
    }
    try {
      prepared = this.database.prepare(statement.sql)
    } catch (error) {
      throw translateSqliteError(error, statement)
    }
    if (this.#cache.size >= STATEMENT_CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!)
    this.#cache.set(statement.sql, prepared)
    return prepared
  }

  /** Synchronous core of {@link rows}. */
  rowsSync(statement: Statement, options?: ReadOptions): Array<Array<unknown>> {
    const prepared = this.#prepare(statement)
    try {
      prepared.raw(true)
      prepared.safeIntegers(options?.bigints === true)
      return prepared.all(...statement.params) as Array<Array<unknown>>
    } catch (error) {
      throw translateSqliteError(error, statement)
    }
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

  /** Runs a statement now when the connection is free (the hot path), else in line. */
  async #run<T>(work: () => T): Promise<T> {
    if (!this.#busy) {
      this.#checkOpen()
      return work()
    }
    await this.#acquire()
    try {
      this.#checkOpen()
      return work()
    } finally {
      this.#release()
    }
  }

  async rows(statement: Statement, options?: ReadOptions): Promise<ReadonlyArray<ReadonlyArray<unknown>>> {
    return this.#run(() => this.rowsSync(statement, options))
  }

  async objects(statement: Statement): Promise<ReadonlyArray<Record<string, unknown>>> {
    return this.#run(() => this.objectsSync(statement))
  }

  objectsSync(statement: Statement): Array<Record<string, unknown>> {
    const prepared = this.#prepare(statement)
    try {
      if (!prepared.reader) {
        prepared.run(...statement.params)
        return []
      }
      prepared.raw(false)
      // Read integers exactly, then give back plain numbers where that loses nothing.
      prepared.safeIntegers(true)
      const rows = prepared.all(...statement.params) as Array<Record<string, unknown>>
      for (const row of rows) {
        for (const key in row) {
          const value = row[key]
          if (typeof value === "bigint" && value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER) {
            row[key] = Number(value)
          }
        }
      }
      return rows
    } catch (error) {
      throw translateSqliteError(error, statement)
    }
  }

  executeSync(statement: Statement): WriteResult {
    const prepared = this.#prepare(statement)
    try {
      if (prepared.reader) {
        prepared.raw(true)
        prepared.safeIntegers(false)
        return { rowsAffected: prepared.all(...statement.params).length }
      }
      return { rowsAffected: prepared.run(...statement.params).changes }
    } catch (error) {
      throw translateSqliteError(error, statement)
    }
  }

  async execute(statement: Statement): Promise<WriteResult> {
    return this.#run(() => this.executeSync(statement))
  }

  async executeAtomically(statements: ReadonlyArray<Statement>): Promise<ReadonlyArray<WriteResult>> {
    return this.#run(() => this.executeAtomicallySync(statements))
  }

  executeAtomicallySync(statements: ReadonlyArray<Statement>): Array<WriteResult> {
    // better-sqlite3 turns a nested transaction() into a savepoint, so this also composes
    // with a transaction that is already open.
    const run = this.database.transaction(() => statements.map((s) => this.executeSync(s)))
    return run()
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
    try {
      this.executeSync({ sql: `BEGIN ${(options.sqliteMode ?? "deferred").toUpperCase()}`, params: [] })
      if (options.readOnly) this.database.pragma("query_only = ON")
    } catch (error) {
      unlock()
      throw error
    }
    return new SqliteTransaction(this, options.readOnly === true, unlock)
  }

  /** Drop every cached prepared statement (after DDL). */
  clearStatementCache(): void {
    this.#cache.clear()
  }

  schemaChanged(): void {
    this.clearStatementCache()
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#cache.clear()
    if (this.database.open) this.database.close()
    // Wake everything queued: each finds the connection closed and fails with ConnectionError.
    while (this.#waiters.length > 0) this.#release()
  }
}

/** Opens a SQLite database from a `sqlite:` URL. Throws `ConnectionError` when it cannot. */
export const openSqlite = (url: string): SqliteDriver => new SqliteDriver(url)

/** A transaction owning the SQLite connection until it commits or rolls back. */
class SqliteTransaction implements TransactionDriver {
  readonly dialect = "sqlite" as const
  #open = true

  constructor(
    readonly driver: SqliteDriver,
    readonly readOnly: boolean,
    readonly unlock: () => void,
  ) {}

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

  async rows(statement: Statement, options?: ReadOptions): Promise<ReadonlyArray<ReadonlyArray<unknown>>> {
    this.#check()
    return this.driver.rowsSync(statement, options)
  }
  async objects(statement: Statement): Promise<ReadonlyArray<Record<string, unknown>>> {
    this.#check()
    return this.driver.objectsSync(statement)
  }
  async execute(statement: Statement): Promise<WriteResult> {
    this.#check()
    return this.driver.executeSync(statement)
  }
  async executeAtomically(statements: ReadonlyArray<Statement>): Promise<ReadonlyArray<WriteResult>> {
    this.#check()
    return this.driver.executeAtomicallySync(statements)
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
  async commit(): Promise<void> {
    this.#end("COMMIT")
  }
  async rollback(): Promise<void> {
    this.#end("ROLLBACK")
  }
  #end(sql: "COMMIT" | "ROLLBACK"): void {
    this.#check()
    this.#open = false
    try {
      if (this.readOnly) this.driver.database.pragma("query_only = OFF")
      // A failed COMMIT (e.g. a deferred constraint) leaves the transaction open: roll it back.
      try {
        this.driver.executeSync({ sql, params: [] })
      } catch (error) {
        if (this.driver.database.inTransaction) this.driver.executeSync({ sql: "ROLLBACK", params: [] })
        throw error
      }
    } finally {
      this.unlock()
    }
  }
  async begin(): Promise<TransactionDriver> {
    throw new TransactionError("Nested transactions are savepoints; use transaction() inside the block")
  }
}
