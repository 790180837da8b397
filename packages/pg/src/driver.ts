import pg from "pg"
import { ConnectionError, type Driver, type Statement, type WriteResult, redactUrl } from "@ferro/core"
import { translatePgError } from "./errors.js"
import { rawTypes, textTypes } from "./types.js"
import { parsePostgresUrl } from "./url.js"

/** Pool sizing. */
export interface PoolOptions {
  readonly max?: number
  readonly min?: number
}

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

  async #query(statement: Statement, types: typeof textTypes | typeof rawTypes, rowMode?: "array") {
    this.#statements++
    try {
      return await this.pool.query({
        text: statement.sql,
        values: statement.params as Array<unknown>,
        types,
        ...(rowMode === undefined ? {} : { rowMode }),
      })
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

  async close(): Promise<void> {
    await this.pool.end()
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
