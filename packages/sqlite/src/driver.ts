import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import Database from "better-sqlite3"
import { ConnectionError, type Driver, type ReadOptions, type Statement, type WriteResult, redactUrl } from "@ferro/core"
import { translateSqliteError } from "./errors.js"
import { ferroDecimalKey, ferroLower } from "./functions.js"
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

  async rows(statement: Statement, options?: ReadOptions): Promise<ReadonlyArray<ReadonlyArray<unknown>>> {
    return this.rowsSync(statement, options)
  }

  async objects(statement: Statement): Promise<ReadonlyArray<Record<string, unknown>>> {
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
    return this.executeSync(statement)
  }

  async executeAtomically(statements: ReadonlyArray<Statement>): Promise<ReadonlyArray<WriteResult>> {
    // better-sqlite3 turns a nested transaction() into a savepoint, so this also composes
    // with a transaction that is already open.
    const run = this.database.transaction(() => statements.map((s) => this.executeSync(s)))
    return run()
  }

  /** Drop every cached prepared statement (after DDL). */
  clearStatementCache(): void {
    this.#cache.clear()
  }

  async close(): Promise<void> {
    this.#cache.clear()
    if (this.database.open) this.database.close()
  }
}

/** Opens a SQLite database from a `sqlite:` URL. Throws `ConnectionError` when it cannot. */
export const openSqlite = (url: string): SqliteDriver => new SqliteDriver(url)
