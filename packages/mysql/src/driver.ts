import mysql from "mysql2/promise"
import type { Pool as CorePool, PoolConnection as CorePoolConnection } from "mysql2"
import {
  type BeginOptions,
  ConnectionError,
  DeadlockDetected,
  type Driver,
  type FerroError,
  QueryError,
  type ReadOptions,
  type Statement,
  TransactionError,
  type TransactionDriver,
  type WriteResult,
  redactUrl,
  releaseSavepointStatement,
  rollbackToSavepointStatement,
  savepointStatement,
  underSavepoint,
  checkTimeout,
} from "@ferro/core/internal"
import { translateMysqlError } from "./errors.js"
import { parseMysqlUrl } from "./url.js"
import { MYSQL_MAX_PARAMETERS, mysqlDialect } from "./dialect.js"

/** Pool sizing. */
export interface PoolOptions {
  readonly max?: number
  readonly min?: number
}

/** Session settings applied to every pooled connection. */
export interface SessionOptions {
  /**
   * Milliseconds a statement may run (0 = none): a longer one fails with `StatementTimeout`.
   * MariaDB's `max_statement_time` covers every statement; MySQL's `max_execution_time` only
   * SELECTs.
   */
  readonly statementTimeout?: number
  /** Milliseconds a row-lock wait may last (0 = no timeout), in whole seconds rounded up: `innodb_lock_wait_timeout`. */
  readonly lockTimeout?: number
}

/**
 * The session every connection gets: Ferro's SQL quotes identifiers with double quotes
 * (ANSI_QUOTES), writes standard string literals (NO_BACKSLASH_ESCAPES), concatenates with ||,
 * and wants writes that do not fit refused, not truncated (strict mode); times are UTC.
 */
const SQL_MODE =
  "ANSI_QUOTES,PIPES_AS_CONCAT,NO_BACKSLASH_ESCAPES,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"

/** Rows as mysql2 hands them: arrays (rowsAsArray) or objects. */
type Cells = Array<Array<unknown>>

interface OkPacket {
  readonly affectedRows: number
  readonly insertId: number | string
  readonly info?: string
}

/** A BIGINT as raw SQL gets it (what the SQLite and PostgreSQL drivers return): a number when exact, else a bigint. */
const exactInteger = (value: unknown): unknown => {
  if (typeof value !== "string") return value
  const n = Number(value)
  return Number.isSafeInteger(n) ? n : BigInt(value)
}

/** mysql2's per-query hook: BIGINT cells (count(*), ids) as numbers or bigints; everything else as read. */
const rawTypeCast = (field: { readonly type: string }, next: () => unknown): unknown =>
  field.type === "LONGLONG" ? exactInteger(next()) : next()

/**
 * The `?` placeholders of a statement: those outside string literals ('…', with '' inside;
 * NO_BACKSLASH_ESCAPES), quoted identifiers ("…" under ANSI_QUOTES, `…`) and comments
 * (`-- ` and `#` to the end of the line, and block comments). One pass over the text.
 */
export const countPlaceholders = (sql: string): number => {
  let count = 0
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!
    if (c === "?") count++
    else if (c === "'" || c === '"' || c === "`") {
      // To the closing quote; a doubled quote is one character of the literal.
      for (i++; i < sql.length; i++) {
        if (sql[i] === c) {
          if (sql[i + 1] === c) i++
          else break
        }
      }
    } else if (c === "#" || (c === "-" && sql[i + 1] === "-" && (i + 2 >= sql.length || /\s/.test(sql[i + 2]!)))) {
      while (i < sql.length && sql[i] !== "\n") i++
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2)
      i = end === -1 ? sql.length : end + 1
    }
  }
  return count
}

/**
 * mysql2 sends every value it is given, and the server reads parameters it was not prepared for
 * misaligned instead of refusing them (`SELECT ? AS a` with [1, 2] gives 2.5e-323): a count that
 * does not match the placeholders is refused before anything is sent.
 */
const checkParameterCount = (statement: Statement): void => {
  if (statement.params.length === 0) return
  const expected = countPlaceholders(statement.sql)
  if (expected !== statement.params.length) {
    throw QueryError.rejected(
      `the statement has ${expected} placeholder${expected === 1 ? "" : "s"} (?) but ${statement.params.length} parameter${statement.params.length === 1 ? " was" : "s were"} given`,
      statement.sql,
      statement.params.length,
      undefined,
    )
  }
}

/**
 * Statements with parameters go as prepared statements; the rest as plain queries (DDL,
 * SAVEPOINT...). ORM reads (`rows`) get every BIGINT as a string for Ferro's decoders; raw SQL
 * (`objects`, `raw`) gets them as exact JS integers.
 */
const send = async (
  target: mysql.Pool | mysql.PoolConnection,
  statement: Statement,
  rowsAsArray: boolean,
  raw = false,
): Promise<unknown> => {
  const options = { sql: statement.sql, rowsAsArray, ...(raw ? { typeCast: rawTypeCast as never } : {}) }
  if (statement.params.length === 0) return (await target.query(options))[0]
  checkParameterCount(statement)
  return (await target.execute({ ...options, values: statement.params as Array<never> }))[0]
}

/**
 * Closes a pooled connection at once: mysql2's destroy() only half-closes the socket, and a
 * server blocked writing the rest of a result we no longer read (a stream left early) would
 * keep its session, and the statement's table locks, until net_write_timeout. Destroying the
 * socket makes the server's next write fail, which ends the statement and the session.
 */
const hardClose = (connection: mysql.PoolConnection): void => {
  connection.destroy()
  ;(connection as unknown as { connection: { stream?: { destroy?: () => void } } }).connection.stream?.destroy?.()
}

const writeResult = (result: unknown): WriteResult => {
  if (Array.isArray(result)) return { rowsAffected: 0 }
  const ok = result as OkPacket
  // Connections run without FOUND_ROWS (so a kept duplicate of `ON DUPLICATE KEY UPDATE a = a`
  // counts 0, not 1): an UPDATE's count of matched rows, as elsewhere, is in its info line.
  const matched = ok.info === undefined ? null : /Rows matched: (\d+)/.exec(ok.info)
  const rowsAffected = matched === null ? ok.affectedRows : Number(matched[1])
  const id = ok.insertId
  return id === 0 || id === "0" || id === undefined ? { rowsAffected } : { rowsAffected, lastInsertId: id }
}

/**
 * Ferro's driver on a mysql2 pool, for MySQL 8 and MariaDB 10.5+. Reads take BIGINT and
 * DECIMAL as strings and dates as strings (Ferro's decoders make the values), statements with
 * parameters run as server-side prepared statements (a bounded cache per connection).
 */
export class MysqlDriver implements Driver {
  readonly dialect = mysqlDialect
  readonly maxParameters = MYSQL_MAX_PARAMETERS
  readonly url: string
  /** The underlying mysql2 pool (escape hatch and tests). */
  readonly pool: mysql.Pool
  /** True when the server is MariaDB (read at connect). */
  mariadb = false
  #statements = 0
  readonly #streams = new Set<() => void>()

  constructor(url: string, pool: PoolOptions = {}, readonly session: SessionOptions = {}) {
    this.url = redactUrl(url)
    checkTimeout("statementTimeout", session.statementTimeout, this.url)
    checkTimeout("lockTimeout", session.lockTimeout, this.url)
    const location = parseMysqlUrl(url)
    this.pool = mysql.createPool({
      host: location.host,
      port: location.port,
      user: location.user,
      password: location.password,
      ...(location.database === null ? {} : { database: location.database }),
      ...(location.ssl === null ? {} : { ssl: location.ssl }),
      connectionLimit: pool.max ?? 10,
      maxIdle: pool.min ?? pool.max ?? 10,
      idleTimeout: 30_000,
      connectTimeout: 15_000,
      charset: "utf8mb4_general_ci",
      timezone: "Z",
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      jsonStrings: true,
      // Server-side statements per connection: a bound, so dynamic SQL cannot exhaust the
      // server's max_prepared_stmt_count (16382 for all connections together by default).
      maxPreparedStatements: 256,
      multipleStatements: false,
      flags: ["-FOUND_ROWS"],
    })
    const core = (this.pool as unknown as { pool: CorePool }).pool
    core.on("connection", (connection: CorePoolConnection) => {
      // A connection that dies while idle emits 'error'; without a listener the process would crash.
      connection.on("error", () => {})
      // mysql2 reads MariaDB from the handshake's server version.
      const { _isMariaDB, _handshakePacket } = connection as unknown as {
        _isMariaDB?: boolean
        _handshakePacket?: { serverVersion?: string }
      }
      const mariadb = _isMariaDB ?? /mariadb/i.test(_handshakePacket?.serverVersion ?? "")
      // Runs before any statement of the checkout that opened it (a connection's commands run in
      // order). A connection whose session could not be set up (its SQL would be read with the
      // wrong quoting) is closed: the statements queued on it fail as a ConnectionError.
      connection.query(this.#sessionSql(mariadb), (error: unknown) => {
        if (error) {
          connection.destroy()
          ;(connection as unknown as { stream?: { destroy?: () => void } }).stream?.destroy?.()
        }
      })
    })
  }

  #sessionSql(mariadb: boolean): string {
    const parts = [`sql_mode = '${SQL_MODE}'`, "time_zone = '+00:00'"]
    const { statementTimeout, lockTimeout } = this.session
    if (statementTimeout !== undefined) {
      parts.push(mariadb ? `max_statement_time = ${statementTimeout / 1000}` : `max_execution_time = ${statementTimeout}`)
    }
    // Whole seconds, rounded up (1 ms waits 1 s); 0 is "no timeout", as on PostgreSQL: MySQL's
    // largest value (about 34 years), which MariaDB clamps to its own (100000000 s, 3 years).
    if (lockTimeout !== undefined) parts.push(`innodb_lock_wait_timeout = ${lockTimeout === 0 ? 1073741824 : Math.ceil(lockTimeout / 1000)}`)
    return `SET SESSION ${parts.join(", ")}`
  }

  get statementCount(): number {
    return this.#statements
  }

  async #run(statement: Statement, rowsAsArray: boolean, raw = false): Promise<unknown> {
    this.#statements++
    try {
      return await send(this.pool, statement, rowsAsArray, raw)
    } catch (error) {
      throw translateMysqlError(error, statement, this.url)
    }
  }

  /** Reads the server's version (MariaDB or MySQL) and checks it answers. */
  /**
   * The server's `max_allowed_packet`, read at connect (MariaDB's default is 16 MiB), less room
   * for the packet's framing: a larger statement would be refused and its connection closed, so
   * bulk writes split their rows under it.
   */
  maxStatementBytes: number | undefined = undefined

  /** Reads the server's version (MariaDB or MySQL) and packet limit, and checks it answers. */
  async ping(): Promise<void> {
    const rows = (await this.#run({ sql: "SELECT VERSION(), @@max_allowed_packet", params: [] }, true)) as Cells
    this.mariadb = /mariadb/i.test(String(rows[0]?.[0] ?? ""))
    const packet = Number(rows[0]?.[1])
    if (Number.isSafeInteger(packet) && packet > 0) this.maxStatementBytes = Math.max(64 * 1024, packet - 64 * 1024)
  }

  async rows(statement: Statement): Promise<ReadonlyArray<ReadonlyArray<unknown>>> {
    return (await this.#run(statement, true)) as Cells
  }

  async objects(statement: Statement): Promise<ReadonlyArray<Record<string, unknown>>> {
    const result = await this.#run(statement, false, true)
    return Array.isArray(result) ? (result as Array<Record<string, unknown>>) : []
  }

  async execute(statement: Statement): Promise<WriteResult> {
    return writeResult(await this.#run(statement, true))
  }

  async #checkout(): Promise<mysql.PoolConnection> {
    try {
      return await this.pool.getConnection()
    } catch (error) {
      throw translateMysqlError(error, undefined, this.url)
    }
  }

  /**
   * Streams rows on a connection of its own, checked out at the first batch: the prepared
   * statement's result is read as it arrives (mysql2 pauses the socket while a batch waits),
   * so the whole result is never held. Leaving early destroys that connection (the rest of
   * the result is still on the wire); other queries keep using the pool.
   */
  async *stream(statement: Statement, _options: ReadOptions, batchSize: number): AsyncGenerator<ReadonlyArray<ReadonlyArray<unknown>>, void, undefined> {
    const connection = await this.#checkout()
    /** Whether the connection can go back to the pool: its command ended (all rows read, or an error). */
    let reusable = false
    let rows: (NodeJS.ReadableStream & { destroy: (error?: Error) => void }) | undefined
    // close() with this stream still open (its iterator abandoned): the connection is closed,
    // so the pool can end, and the stream's next batch fails instead of waiting forever.
    const abandon = () => {
      rows?.destroy(
        new ConnectionError(`MySQL connection closed (${this.url}): the connection was closed while this stream was open`, this.url),
      )
      hardClose(connection)
    }
    this.#streams.add(abandon)
    this.#statements++
    const core = (connection as unknown as { connection: CorePoolConnection }).connection
    // A connection lost mid-stream (killed, network) is reported on the connection, not on the
    // paused result: without this the stream would wait for rows forever.
    const lost = (error?: unknown) => {
      const cause = error ?? Object.assign(new Error("Connection lost: The server closed the connection."), { code: "PROTOCOL_CONNECTION_LOST", fatal: true })
      rows?.destroy(translateMysqlError(cause, statement, this.url) as unknown as Error)
    }
    const closed = () => lost()
    core.on("error", lost)
    const socket = (core as unknown as { stream?: NodeJS.EventEmitter }).stream
    socket?.once("close", closed)
    try {
      checkParameterCount(statement)
      rows = core
        .execute({ sql: statement.sql, values: statement.params as Array<never>, rowsAsArray: true })
        .stream({ highWaterMark: batchSize }) as unknown as typeof rows
      let batch: Array<Array<unknown>> = []
      try {
        for await (const row of rows as AsyncIterable<Array<unknown>>) {
          batch.push(row)
          if (batch.length >= batchSize) {
            const full = batch
            batch = []
            yield full
          }
        }
      } catch (error) {
        const translated = translateMysqlError(error, statement, this.url)
        // A statement the server refused ended its command: the connection is fine.
        if (!(translated instanceof ConnectionError)) reusable = true
        throw translated
      }
      reusable = true
      if (batch.length > 0) yield batch
    } finally {
      this.#streams.delete(abandon)
      core.removeListener("error", lost)
      socket?.removeListener("close", closed)
      if (reusable) connection.release()
      else hardClose(connection)
    }
  }

  async executeAtomically(statements: ReadonlyArray<Statement>): Promise<ReadonlyArray<WriteResult>> {
    const transaction = await this.begin()
    try {
      const results: Array<WriteResult> = []
      for (const statement of statements) results.push(await transaction.execute(statement))
      await transaction.commit()
      return results
    } catch (error) {
      await transaction.rollback().catch(() => {})
      throw error
    }
  }

  async begin(options: BeginOptions = {}): Promise<TransactionDriver> {
    const connection = await this.#checkout()
    const transaction = new MysqlTransaction(this, connection, () => this.#statements++)
    try {
      // SET TRANSACTION applies to the next transaction only.
      if (options.isolation !== undefined) {
        await transaction.run({ sql: `SET TRANSACTION ISOLATION LEVEL ${options.isolation.toUpperCase()}`, params: [] })
      }
      await transaction.run({ sql: `START TRANSACTION${options.readOnly ? " READ ONLY" : ""}`, params: [] })
    } catch (error) {
      hardClose(connection)
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
 * A transaction pinned to one pooled connection until it commits or rolls back. mysql2 runs a
 * connection's commands one at a time in the order they were issued, so statements issued
 * concurrently inside the block take turns.
 *
 * Unlike PostgreSQL, MySQL goes on after a failed statement, except after a deadlock: InnoDB
 * then rolls the whole transaction back and the session falls back to autocommit, so a later
 * statement would be committed on its own. The transaction refuses every statement after that
 * (and its COMMIT fails), as PostgreSQL's aborted transactions do.
 */
class MysqlTransaction implements TransactionDriver {
  readonly dialect = mysqlDialect
  /** False from the moment COMMIT or ROLLBACK is issued: later statements are refused, not queued behind it. */
  #open = true
  #broken = false
  /** Set when the server rolled the transaction back on its own (a deadlock). */
  #rolledBack: FerroError | null = null
  #batches = 0

  constructor(
    readonly driver: MysqlDriver,
    readonly connection: mysql.PoolConnection,
    readonly count: () => void,
  ) {}

  get url(): string {
    return this.driver.url
  }
  get maxParameters(): number {
    return this.driver.maxParameters
  }
  get maxStatementBytes(): number | undefined {
    return this.driver.maxStatementBytes
  }
  get statementCount(): number {
    return this.driver.statementCount
  }

  /** @internal */
  async run(statement: Statement, rowsAsArray = true, raw = false): Promise<unknown> {
    if (!this.#open) throw new TransactionError("This transaction has already committed or rolled back")
    return this.#send(statement, rowsAsArray, raw)
  }

  async #send(statement: Statement, rowsAsArray: boolean, raw: boolean): Promise<unknown> {
    if (this.#broken) {
      throw new ConnectionError(
        `MySQL connection failed (${this.driver.url}): the server connection of this transaction was lost; nothing was committed`,
        this.driver.url,
      )
    }
    if (this.#rolledBack !== null) {
      throw new TransactionError(
        "MySQL rolled this transaction back after a deadlock; nothing in it was committed and no statement can run in it",
        { cause: this.#rolledBack },
      )
    }
    this.count()
    try {
      return await send(this.connection, statement, rowsAsArray, raw)
    } catch (error) {
      const translated = translateMysqlError(error, statement, this.driver.url)
      if (translated instanceof ConnectionError) this.#broken = true
      else if (translated instanceof DeadlockDetected) this.#rolledBack = translated
      throw translated
    }
  }

  async rows(statement: Statement, _options?: ReadOptions): Promise<ReadonlyArray<ReadonlyArray<unknown>>> {
    return (await this.run(statement)) as Cells
  }
  async objects(statement: Statement): Promise<ReadonlyArray<Record<string, unknown>>> {
    const result = await this.run(statement, false, true)
    return Array.isArray(result) ? (result as Array<Record<string, unknown>>) : []
  }
  /**
   * Inside a transaction the connection cannot interleave a result being read with the loop
   * body's statements, so the result is read whole, then handed out in batches.
   */
  async *stream(statement: Statement, _options: ReadOptions, batchSize: number): AsyncGenerator<ReadonlyArray<ReadonlyArray<unknown>>, void, undefined> {
    const rows = await this.rows(statement)
    for (let i = 0; i < rows.length; i += batchSize) yield rows.slice(i, i + batchSize)
  }
  async execute(statement: Statement): Promise<WriteResult> {
    return writeResult(await this.run(statement))
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
    // Statements issued from now on are refused; those issued before run first (mysql2's queue).
    this.#open = false
    const rolledBack = this.#rolledBack
    this.#rolledBack = null
    try {
      // Already rolled back by the server (a deadlock): ROLLBACK, whatever was asked, so the
      // connection goes back to the pool in a known state.
      await this.#send({ sql: rolledBack === null ? sql : "ROLLBACK", params: [] }, true, false)
      if (rolledBack !== null && sql === "COMMIT") {
        throw new TransactionError("The transaction was rolled back by MySQL after a deadlock; nothing was committed", {
          cause: rolledBack,
        })
      }
    } catch (error) {
      if (sql === "COMMIT" && !this.#broken && rolledBack === null) {
        await this.#send({ sql: "ROLLBACK", params: [] }, true, false).catch(() => {})
      }
      throw error
    } finally {
      if (this.#broken) hardClose(this.connection)
      else this.connection.release()
    }
  }
}

/**
 * Opens a pool for a `mysql://` URL and checks it answers. Throws `ConnectionError` (password
 * redacted) when the server cannot be reached or refuses the login.
 */
export const openMysql = async (url: string, pool?: PoolOptions, session?: SessionOptions): Promise<MysqlDriver> => {
  const driver = new MysqlDriver(url, pool, session)
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
