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
  releaseSavepointStatement,
  rollbackToSavepointStatement,
  savepointStatement,
  underSavepoint,
  checkTimeout,
} from "@ferro/core/internal"
import { translatePgError } from "./errors.js"
import { rawTypes, textTypes } from "./types.js"
import { parsePostgresUrl } from "./url.js"
import { POSTGRES_MAX_PARAMETERS, postgresDialect } from "./dialect.js"
import { StatementNames, isCachedPlanResultChange } from "./names.js"

/** Pool sizing. */
export interface PoolOptions {
  readonly max?: number
  readonly min?: number
}

/** Session settings applied to every pooled connection. */
export interface SessionOptions {
  /** `statement_timeout` in milliseconds (0 = none): a longer statement fails with `StatementTimeout`. */
  readonly statementTimeout?: number
  /** `lock_timeout` in milliseconds (0 = none): a longer lock wait fails with `LockTimeout`. */
  readonly lockTimeout?: number
}

/**
 * A client checked out of the pool, with an `'error'` listener for as long as it is out: a
 * server connection that dies while the client is checked out (a terminated backend, a
 * network failure) would otherwise emit an unhandled `'error'` event and crash the process.
 * The failure reaches the caller through the statement it breaks; the client is then
 * discarded on release instead of going back to the pool.
 */
class CheckedOutClient {
  #failed = false
  readonly #onError = () => {
    this.#failed = true
  }
  #released = false

  constructor(readonly client: pg.PoolClient) {
    client.on("error", this.#onError)
  }

  /** True once the connection emitted an error: it must not go back to the pool. */
  get failed(): boolean {
    return this.#failed
  }

  release(broken: boolean): void {
    if (this.#released) return
    this.#released = true
    this.client.release(broken || this.#failed)
    // The pool has attached its own listener (idle, or a no-op for a discarded client).
    this.client.removeListener("error", this.#onError)
  }
}

type Types = typeof textTypes | typeof rawTypes

/**
 * Sends one statement on a pool or a client: text-mode values, arrays when `rowMode` says so;
 * under `name` (a prepared statement pg parses once per connection) when one is given.
 */
const send = (target: pg.Pool | pg.PoolClient, statement: Statement, types: Types, rowMode?: "array", name?: string) =>
  target.query({
    text: statement.sql,
    values: statement.params as Array<unknown>,
    types,
    ...(rowMode === undefined ? {} : { rowMode }),
    ...(name === undefined ? {} : { name }),
  })

/** Numbers the cursors streams declare (names only need to be unique per connection). */
let cursorCount = 0

/**
 * The batches of a stream through a server-side cursor: `DECLARE … NO SCROLL CURSOR FOR` the
 * statement, then `FETCH FORWARD n` until a short batch, then `CLOSE` (also when the consumer
 * leaves early or a statement fails). `run` sends one statement in the transaction the cursor
 * lives in; each FETCH is an ordinary statement, so others (the loop body's) run between them.
 */
async function* fetchCursor(
  run: (statement: Statement) => Promise<pg.QueryResult>,
  statement: Statement,
  batchSize: number,
): AsyncGenerator<ReadonlyArray<ReadonlyArray<unknown>>, void, undefined> {
  const name = quoteIdentifier(`ferro_stream_${++cursorCount}`)
  await run({ sql: `DECLARE ${name} NO SCROLL CURSOR FOR ${statement.sql}`, params: statement.params })
  try {
    for (;;) {
      const rows = (await run({ sql: `FETCH FORWARD ${batchSize} FROM ${name}`, params: [] })).rows as Array<Array<unknown>>
      if (rows.length > 0) yield rows
      if (rows.length < batchSize) return
    }
  } finally {
    // Fails only when the transaction is already aborted or over, which closed the cursor.
    await run({ sql: `CLOSE ${name}`, params: [] }).catch(() => undefined)
  }
}

/**
 * Ferro's driver on a pg pool. Every connection is opened in UTC with ISO dates (so Ferro's
 * timestamp parser has one format to read) and, with `?schema=`, a pinned `search_path`.
 */
export class PostgresDriver implements Driver {
  readonly dialect = postgresDialect
  readonly maxParameters = POSTGRES_MAX_PARAMETERS
  readonly url: string
  /** The underlying pg pool (escape hatch and tests). */
  readonly pool: pg.Pool
  /** Schema pinned by `?schema=`, or null. */
  readonly schema: string | null
  #statements = 0
  /** Names of the SQL texts sent often (see names.ts); unique per driver, hence per pool. */
  readonly names = new StatementNames("ferro_")
  /** Discards the clients of streams still open (see {@link close}). */
  readonly #streams = new Set<() => void>()

  constructor(url: string, pool: PoolOptions = {}, session: SessionOptions = {}) {
    this.url = redactUrl(url)
    checkTimeout("statementTimeout", session.statementTimeout, this.url)
    checkTimeout("lockTimeout", session.lockTimeout, this.url)
    const location = parsePostgresUrl(url)
    this.schema = location.schema
    const options = ["-c TimeZone=UTC", "-c DateStyle=ISO", "-c IntervalStyle=iso_8601"]
    // Quoted, so a mixed-case name is not folded to lower case (the URL check allows only [A-Za-z0-9_]).
    if (location.schema !== null) options.push(`-c search_path="${location.schema}"`)
    if (session.statementTimeout !== undefined) options.push(`-c statement_timeout=${session.statementTimeout}`)
    if (session.lockTimeout !== undefined) options.push(`-c lock_timeout=${session.lockTimeout}`)
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
    const name = statement.params.length === 0 ? undefined : this.names.nameFor(statement.sql)
    try {
      return await send(this.pool, statement, types, rowMode, name)
    } catch (error) {
      if (name !== undefined && isCachedPlanResultChange(error)) {
        // The schema changed under a prepared statement (DDL Ferro did not run): the statement
        // did nothing, so it is sent again, unnamed, and every name is dropped.
        this.names.forget()
        try {
          return await send(this.pool, statement, types, rowMode)
        } catch (again) {
          throw translatePgError(again, statement, this.url)
        }
      }
      throw translatePgError(error, statement, this.url)
    }
  }

  /** After DDL: no prepared statement is reused (see {@link StatementNames.forget}). */
  schemaChanged(): void {
    this.names.forget()
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

  /**
   * Streams rows through a server-side cursor on a client of its own, checked out of the pool
   * at the first batch and given back when the stream ends, fails or is left early: `BEGIN`,
   * `DECLARE`, `FETCH FORWARD batchSize` per batch, `CLOSE`, then `COMMIT` (`ROLLBACK` when
   * left early or failed). The stream reads one snapshot; other queries keep using the pool.
   */
  async *stream(statement: Statement, _options: ReadOptions, batchSize: number): AsyncGenerator<ReadonlyArray<ReadonlyArray<unknown>>, void, undefined> {
    const checkedOut = await this.#checkout()
    let broken = false
    // close() with this stream still open (its iterator abandoned): the client is discarded,
    // so the pool can end.
    const abandon = () => checkedOut.release(true)
    this.#streams.add(abandon)
    const run = async (next: Statement): Promise<pg.QueryResult> => {
      this.#statements++
      try {
        return await send(checkedOut.client, next, textTypes, "array")
      } catch (error) {
        const translated = translatePgError(error, next, this.url)
        if (translated instanceof ConnectionError || checkedOut.failed) broken = true
        throw translated
      }
    }
    try {
      await run({ sql: "BEGIN", params: [] })
      let finished = false
      try {
        yield* fetchCursor(run, statement, batchSize)
        finished = true
      } finally {
        if (!broken) await run({ sql: finished ? "COMMIT" : "ROLLBACK", params: [] }).catch(() => (broken = true))
      }
    } finally {
      this.#streams.delete(abandon)
      checkedOut.release(broken)
    }
  }

  /** Checks a client out of the pool, with an error listener until it is released. */
  async #checkout(): Promise<CheckedOutClient> {
    try {
      return new CheckedOutClient(await this.pool.connect())
    } catch (error) {
      throw translatePgError(error, undefined, this.url)
    }
  }

  async executeAtomically(statements: ReadonlyArray<Statement>): Promise<ReadonlyArray<WriteResult>> {
    const checkedOut = await this.#checkout()
    const client = checkedOut.client
    let broken = false
    const run = async (statement: Statement) => {
      this.#statements++
      const name = statement.params.length === 0 ? undefined : this.names.nameFor(statement.sql)
      try {
        return await send(client, statement, textTypes, undefined, name)
      } catch (error) {
        if (name !== undefined && isCachedPlanResultChange(error)) this.names.forget()
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
      checkedOut.release(broken)
    }
  }

  async begin(options: BeginOptions = {}): Promise<TransactionDriver> {
    const client = await this.#checkout()
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
    for (const abandon of [...this.#streams]) abandon()
    this.#streams.clear()
    await this.pool.end()
  }
}

/**
 * A transaction pinned to one pooled client until it commits or rolls back. Statements issued
 * concurrently (a `Promise.all` inside the block) take turns on the client, in the order they
 * were issued: one statement in flight at a time, as the protocol needs.
 */
class PostgresTransaction implements TransactionDriver {
  readonly dialect = postgresDialect
  #open = true
  #broken = false
  #batches = 0
  /** Settles when the last statement queued so far has finished. */
  #tail: Promise<unknown> = Promise.resolve()

  constructor(
    readonly driver: PostgresDriver,
    readonly checkedOut: CheckedOutClient,
    readonly count: () => void,
  ) {}

  get client(): pg.PoolClient {
    return this.checkedOut.client
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

  /** @internal */
  run(statement: Statement, types: Types = textTypes, rowMode?: "array"): Promise<pg.QueryResult> {
    if (!this.#open) return Promise.reject(new TransactionError("This transaction has already committed or rolled back"))
    const turn = this.#tail.then(() => this.#send(statement, types, rowMode))
    this.#tail = turn.catch(() => undefined)
    return turn
  }

  async #send(statement: Statement, types: Types, rowMode?: "array"): Promise<pg.QueryResult> {
    // A statement queued behind COMMIT or ROLLBACK finds the transaction ended.
    if (!this.#open) throw new TransactionError("This transaction has already committed or rolled back")
    this.count()
    if (this.checkedOut.failed) {
      this.#broken = true
      throw new ConnectionError(
        `PostgreSQL connection failed (${this.driver.url}): the server connection of this transaction was lost; nothing was committed`,
        this.driver.url,
      )
    }
    const name = statement.params.length === 0 ? undefined : this.driver.names.nameFor(statement.sql)
    try {
      return await send(this.client, statement, types, rowMode, name)
    } catch (error) {
      // Inside a transaction the failed statement aborted it: no retry, only no more reuse.
      if (name !== undefined && isCachedPlanResultChange(error)) this.driver.names.forget()
      const translated = translatePgError(error, statement, this.driver.url)
      if (translated instanceof ConnectionError || this.checkedOut.failed) this.#broken = true
      throw translated
    }
  }

  async rows(statement: Statement, _options?: ReadOptions): Promise<ReadonlyArray<ReadonlyArray<unknown>>> {
    return (await this.run(statement, textTypes, "array")).rows as Array<Array<unknown>>
  }
  async objects(statement: Statement): Promise<ReadonlyArray<Record<string, unknown>>> {
    return (await this.run(statement, rawTypes)).rows as Array<Record<string, unknown>>
  }
  /** A cursor in this transaction: its FETCHes take turns with the transaction's other statements. */
  stream(statement: Statement, _options: ReadOptions, batchSize: number): AsyncIterableIterator<ReadonlyArray<ReadonlyArray<unknown>>> {
    return fetchCursor((next) => this.run(next, textTypes, "array"), statement, batchSize)
  }
  async execute(statement: Statement): Promise<WriteResult> {
    const result = await this.run(statement, textTypes, "array")
    return { rowsAffected: result.rowCount ?? result.rows.length }
  }
  executeAtomically(statements: ReadonlyArray<Statement>): Promise<ReadonlyArray<WriteResult>> {
    return underSavepoint(this, `ferro_batch_${++this.#batches}`, statements)
  }
  async savepoint(name: string): Promise<void> {
    await this.run(savepointStatement(name))
  }
  async releaseSavepoint(name: string): Promise<void> {
    await this.run(releaseSavepointStatement(name))
  }
  async rollbackToSavepoint(name: string): Promise<void> {
    await this.run(rollbackToSavepointStatement(name))
    await this.run(releaseSavepointStatement(name))
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
      this.checkedOut.release(this.#broken)
    }
  }
}

/**
 * Opens a pool for a `postgres://` URL and checks it answers. Throws `ConnectionError`
 * (password redacted) when the server cannot be reached or refuses the login.
 */
export const openPostgres = async (url: string, pool?: PoolOptions, session?: SessionOptions): Promise<PostgresDriver> => {
  const driver = new PostgresDriver(url, pool, session)
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
