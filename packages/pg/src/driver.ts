import pg from "pg"
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
import { translatePgError } from "./errors.js"
import { rawTypes, textTypes } from "./types.js"
import { parsePostgresUrl } from "./url.js"

/** Pool sizing. */
export interface PoolOptions {
  readonly max?: number
  readonly min?: number
}

type Types = typeof textTypes | typeof rawTypes

/** Sends one statement on a pool or a client: text-mode values, arrays when `rowMode` says so. */
const send = (target: pg.Pool | pg.PoolClient, statement: Statement, types: Types, rowMode?: "array") =>
  target.query({
    text: statement.sql,
    values: statement.params as Array<unknown>,
    types,
    ...(rowMode === undefined ? {} : { rowMode }),
  })

/** PostgreSQL's limit on bind parameters in one statement. */
const MAX_PARAMETERS = 65535

/**
 * Ferro's driver on a pg pool. Every connection is opened in UTC with ISO dates (so Ferro's
 * timestamp parser has one format to read) and, with `?schema=`, a pinned `search_path`.
 */
export class PostgresDriver implements Driver {
  readonly dialect = "postgres" as const
  readonly maxParameters = MAX_PARAMETERS
  readonly url: string
  /** The underlying pg pool (escape hatch and tests). */
  readonly pool: pg.Pool
  /** Schema pinned by `?schema=`, or null. */
  readonly schema: string | null
  #statements = 0

  constructor(url: string, pool: PoolOptions = {}) {
    this.url = redactUrl(url)
    const location = parsePostgresUrl(url)
    this.schema = location.schema
    const options = ["-c TimeZone=UTC", "-c DateStyle=ISO", "-c IntervalStyle=iso_8601"]
    if (location.schema !== null) options.push(`-c search_path=${location.schema}`)
    this.pool = new pg.Pool({
      connectionString: location.connectionString,
      max: pool.max ?? 10,
      min: pool.min ?? 0,
      options: options.join(" "),
      connectionTimeoutMillis: 15_000,
      idleTimeoutMillis: 30_000,
    })
    // An idle client whose server connection dies emits here; the pool drops it and a later
    // query opens a fresh one. Without a listener Node would crash the process.
    this.pool.on("error", () => {})
  }

  get statementCount(): number {
    return this.#statements
  }

  async #query(statement: Statement, types: Types, rowMode?: "array") {
    this.#statements++
    try {
      return await send(this.pool, statement, types, rowMode)
    } catch (error) {
      throw translatePgError(error, statement, this.url)
    }
  }

  /** Checks the server answers (`SELECT 1`). */
  async ping(): Promise<void> {
    await this.#query({ sql: "SELECT 1", params: [] }, textTypes, "array")
  }

  async rows(statement: Statement): Promise<ReadonlyArray<ReadonlyArray<unknown>>> {
    return (await this.#query(statement, textTypes, "array")).rows as Array<Array<unknown>>
  }

  async objects(statement: Statement): Promise<ReadonlyArray<Record<string, unknown>>> {
    return (await this.#query(statement, rawTypes)).rows as Array<Record<string, unknown>>
  }

  async execute(statement: Statement): Promise<WriteResult> {
    const result = await this.#query(statement, textTypes, "array")
    return { rowsAffected: result.rowCount ?? result.rows.length }
  }

  async executeAtomically(statements: ReadonlyArray<Statement>): Promise<ReadonlyArray<WriteResult>> {
    let client: pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (error) {
      throw translatePgError(error, undefined, this.url)
    }
    let broken = false
    const run = async (statement: Statement) => {
      this.#statements++
      try {
        return await client.query({ text: statement.sql, values: statement.params as Array<unknown>, types: textTypes })
      } catch (error) {
        throw translatePgError(error, statement, this.url)
      }
    }
    try {
      await run({ sql: "BEGIN", params: [] })
      const results: Array<WriteResult> = []
      for (const statement of statements) {
        const result = await run(statement)
        results.push({ rowsAffected: result.rowCount ?? result.rows.length })
      }
      await run({ sql: "COMMIT", params: [] })
      return results
    } catch (error) {
      try {
        await run({ sql: "ROLLBACK", params: [] })
      } catch {
        broken = true // the connection is gone; do not hand it back to the pool
      }
      throw error
    } finally {
      client.release(broken)
    }
  }

  async begin(options: BeginOptions = {}): Promise<TransactionDriver> {
    let client: pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (error) {
      throw translatePgError(error, undefined, this.url)
    }
    const modes = [
      ...(options.isolation === undefined ? [] : [`ISOLATION LEVEL ${options.isolation.toUpperCase()}`]),
      ...(options.readOnly ? ["READ ONLY"] : []),
    ]
    const transaction = new PostgresTransaction(this, client, () => this.#statements++)
    try {
      await transaction.run({ sql: `BEGIN${modes.length ? ` ${modes.join(" ")}` : ""}`, params: [] })
    } catch (error) {
      client.release(true)
      throw error
    }
    return transaction
  }

  async close(): Promise<void> {
    await this.pool.end()
  }
}

/** A transaction pinned to one pooled client until it commits or rolls back. */
class PostgresTransaction implements TransactionDriver {
  readonly dialect = "postgres" as const
  #open = true
  #broken = false
  #batches = 0

  constructor(
    readonly driver: PostgresDriver,
    readonly client: pg.PoolClient,
    readonly count: () => void,
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

  /** @internal */
  async run(statement: Statement, types: Types = textTypes, rowMode?: "array") {
    if (!this.#open) throw new TransactionError("This transaction has already committed or rolled back")
    this.count()
    try {
      return await send(this.client, statement, types, rowMode)
    } catch (error) {
      const translated = translatePgError(error, statement, this.driver.url)
      if (translated instanceof ConnectionError) this.#broken = true
      throw translated
    }
  }

  async rows(statement: Statement, _options?: ReadOptions): Promise<ReadonlyArray<ReadonlyArray<unknown>>> {
    return (await this.run(statement, textTypes, "array")).rows as Array<Array<unknown>>
  }
  async objects(statement: Statement): Promise<ReadonlyArray<Record<string, unknown>>> {
    return (await this.run(statement, rawTypes)).rows as Array<Record<string, unknown>>
  }
  async execute(statement: Statement): Promise<WriteResult> {
    const result = await this.run(statement, textTypes, "array")
    return { rowsAffected: result.rowCount ?? result.rows.length }
  }
  async executeAtomically(statements: ReadonlyArray<Statement>): Promise<ReadonlyArray<WriteResult>> {
    const name = `ferro_batch_${++this.#batches}`
    await this.savepoint(name)
    try {
      const results: Array<WriteResult> = []
      for (const statement of statements) results.push(await this.execute(statement))
      await this.releaseSavepoint(name)
      return results
    } catch (error) {
      await this.rollbackToSavepoint(name).catch(() => {})
      throw error
    }
  }
  async savepoint(name: string): Promise<void> {
    await this.run({ sql: `SAVEPOINT ${quoteIdentifier(name)}`, params: [] })
  }
  async releaseSavepoint(name: string): Promise<void> {
    await this.run({ sql: `RELEASE SAVEPOINT ${quoteIdentifier(name)}`, params: [] })
  }
  async rollbackToSavepoint(name: string): Promise<void> {
    await this.run({ sql: `ROLLBACK TO SAVEPOINT ${quoteIdentifier(name)}`, params: [] })
    await this.run({ sql: `RELEASE SAVEPOINT ${quoteIdentifier(name)}`, params: [] })
  }
  async commit(): Promise<void> {
    await this.#end("COMMIT")
  }
  async rollback(): Promise<void> {
    await this.#end("ROLLBACK")
  }
  async #end(sql: "COMMIT" | "ROLLBACK"): Promise<void> {
    if (!this.#open) throw new TransactionError("This transaction has already committed or rolled back")
    try {
      const result = await this.run({ sql, params: [] })
      // After a failed statement PostgreSQL answers COMMIT by rolling back: say so.
      if (sql === "COMMIT" && result.command !== "COMMIT") {
        throw new TransactionError(
          "The transaction was rolled back by PostgreSQL because a statement in it failed; nothing was committed",
        )
      }
    } catch (error) {
      if (sql === "COMMIT" && !this.#broken) await this.run({ sql: "ROLLBACK", params: [] }).catch(() => {})
      throw error
    } finally {
      this.#open = false
      this.client.release(this.#broken)
    }
  }
}

/**
 * Opens a pool for a `postgres://` URL and checks it answers. Throws `ConnectionError`
 * (password redacted) when the server cannot be reached or refuses the login.
 */
export const openPostgres = async (url: string, pool?: PoolOptions): Promise<PostgresDriver> => {
  const driver = new PostgresDriver(url, pool)
  try {
    await driver.ping()
  } catch (error) {
    await driver.pool.end().catch(() => {})
    if (error instanceof ConnectionError) throw error
    throw new ConnectionError(
      `Cannot connect to ${driver.url}: ${error instanceof Error ? error.message : String(error)}`,
      driver.url,
      { cause: error },
    )
  }
  return driver
}
