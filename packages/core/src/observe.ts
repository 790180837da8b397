/**
 * Observing statements: the log of `connect(url, { log })` and the statements an Effect
 * operation's span reports. Both watch a connection through one wrapper around its `Driver`
 * (so every backend is observed the same way, with no per-backend code); without `log`, and
 * in Promise code, nothing is wrapped and the hot path pays nothing.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks"
import type { ActiveConnection } from "./connections.js"
import type { BeginOptions, Driver, Statement, TransactionDriver, WriteResult } from "./driver.js"
import type { FerroError } from "./errors.js"

/** One statement, as `connect(url, { log: (event) => … })` receives it. */
export interface LogEvent {
  /** The connection's name (`"default"` unless `connect(url, { name })` said otherwise); never its URL. */
  readonly connection: string
  /**
   * The SQL text, with placeholders; never values. Transaction control is reported as
   * `BEGIN`, `COMMIT`, `ROLLBACK`, `SAVEPOINT name`, `RELEASE SAVEPOINT name` and
   * `ROLLBACK TO SAVEPOINT name` (the database may receive a more specific spelling, such as
   * SQLite's `BEGIN IMMEDIATE`).
   */
  readonly sql: string
  /** How many parameters the statement binds (their number, not their values). */
  readonly params: number
  /**
   * The bound values, as sent to the driver: present **only** when the connection was opened
   * with `logParams: true`. They may hold secrets and personal data; without `logParams` no
   * value ever reaches the log.
   */
  readonly values?: ReadonlyArray<unknown>
  /** Wall-clock milliseconds from sending the statement to its result (queueing for the connection included). */
  readonly durationMs: number
  /** Rows read, or rows affected by a write; 0 for DDL, transaction control and failures. */
  readonly rows: number
  /** The Ferro error the statement failed with (already classified: `UniqueViolation`, `QueryError`, …; value-free). */
  readonly error?: FerroError
}

/** The `log` option of `connect()`: `true` prints one line per statement to stderr; a function receives each {@link LogEvent}. */
export type LogOption = boolean | ((event: LogEvent) => void)

/** Told about each statement once it has settled; `failed` says whether `outcome` is an error or a row count. */
export type StatementListener = (statement: Statement, startedAt: number, failed: boolean, outcome: unknown) => void

const TRANSACTION_METHODS = {
  commit: () => "COMMIT",
  rollback: () => "ROLLBACK",
  savepoint: (name: string) => `SAVEPOINT ${quote(name)}`,
  releaseSavepoint: (name: string) => `RELEASE SAVEPOINT ${quote(name)}`,
  rollbackToSavepoint: (name: string) => `ROLLBACK TO SAVEPOINT ${quote(name)}`,
} as const

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`

const NO_PARAMS: ReadonlyArray<unknown> = []
const control = (sql: string): Statement => ({ sql, params: NO_PARAMS })

/** Row counts of each reading method's result. */
const countRows = {
  rows: (result: unknown) => (result as ReadonlyArray<unknown>).length,
  objects: (result: unknown) => (result as ReadonlyArray<unknown>).length,
  execute: (result: unknown) => (result as WriteResult).rowsAffected,
  forEachRow: (result: unknown) => result as number,
  columnar: (result: unknown) => (result as { readonly rows: number }).rows,
} as const

let batches = 0

/**
 * `driver` (a connection's `Driver` or a `TransactionDriver`) reporting every statement it
 * runs to `listener`. With `splitBatches`, `executeAtomically` runs as a transaction (or a
 * savepoint inside one) of single statements through the observed driver, so each statement
 * and its BEGIN/COMMIT is reported with its own duration; without it the batch runs as the
 * driver runs it and its statements are reported when it settles. Members it does not know
 * are passed through, so a backend's own extras keep working.
 */
export const observeDriver = <D extends object>(driver: D, listener: StatementListener, splitBatches: boolean): D => {
  const target = driver as unknown as Driver & TransactionDriver & Record<PropertyKey, unknown>
  const wrapped = new Map<PropertyKey, unknown>()
  const settle = <T>(statement: Statement, startedAt: number, running: Promise<T>, count: ((result: T) => number) | null): Promise<T> =>
    running.then(
      (result) => {
        listener(statement, startedAt, false, count === null ? 0 : count(result))
        return result
      },
      (error: unknown) => {
        listener(statement, startedAt, true, error)
        throw error
      },
    )
  const make = (key: PropertyKey): unknown => {
    switch (key) {
      case "rows":
      case "objects":
      case "execute":
      case "forEachRow":
      case "columnar": {
        const method = target[key] as ((statement: Statement, ...rest: Array<unknown>) => Promise<unknown>) | undefined
        if (typeof method !== "function") return method
        const count = countRows[key]
        return (statement: Statement, ...rest: Array<unknown>) => {
          const startedAt = performance.now()
          let running: Promise<unknown>
          try {
            running = method.call(target, statement, ...rest)
          } catch (error) {
            running = Promise.reject(error)
          }
          return settle(statement, startedAt, running, count)
        }
      }
      case "executeAtomically":
        return (statements: ReadonlyArray<Statement>) =>
          splitBatches ? splitBatch(proxy as unknown as Driver & TransactionDriver, statements) : wholeBatch(statements)
      case "begin":
        if (typeof target.begin !== "function") return target.begin
        return async (options?: BeginOptions) => {
          const statement = control("BEGIN")
          const startedAt = performance.now()
          let running: Promise<TransactionDriver>
          try {
            running = target.begin(options)
          } catch (error) {
            running = Promise.reject(error)
          }
          const transaction = await settle(statement, startedAt, running, null)
          return observeDriver(transaction, listener, splitBatches)
        }
      case "commit":
      case "rollback":
      case "savepoint":
      case "releaseSavepoint":
      case "rollbackToSavepoint": {
        const method = target[key] as (name?: string) => Promise<void>
        if (typeof method !== "function") return method
        const sql = TRANSACTION_METHODS[key]
        return (name?: string) => {
          const statement = control(sql(name as string))
          const startedAt = performance.now()
          let running: Promise<void>
          try {
            running = method.call(target, name)
          } catch (error) {
            running = Promise.reject(error)
          }
          return settle(statement, startedAt, running, null)
        }
      }
      default: {
        const value = Reflect.get(target, key, target)
        return typeof value === "function" ? (value as (...args: Array<unknown>) => unknown).bind(target) : value
      }
    }
  }
  const wholeBatch = (statements: ReadonlyArray<Statement>): Promise<ReadonlyArray<WriteResult>> => {
    const startedAt = performance.now()
    return target.executeAtomically(statements).then(
      (results) => {
        statements.forEach((statement, i) => listener(statement, startedAt, false, results[i]?.rowsAffected ?? 0))
        return results
      },
      (error: unknown) => {
        for (const statement of statements) listener(statement, startedAt, true, error)
        throw error
      },
    )
  }
  const proxy = new Proxy(target, {
    get: (t, key) => {
      // Plain values (url, statementCount, dialect…) are read live; methods are wrapped once.
      if (typeof key === "string" && (key === "url" || key === "statementCount" || key === "dialect" || key === "maxParameters")) {
        return Reflect.get(t, key, t)
      }
      if (!wrapped.has(key)) wrapped.set(key, make(key))
      return wrapped.get(key)
    },
  })
  return proxy as unknown as D
}

/** `executeAtomically` as single statements in a transaction (a savepoint inside one), each reported on its own. */
const splitBatch = async (
  driver: Driver & TransactionDriver,
  statements: ReadonlyArray<Statement>,
): Promise<ReadonlyArray<WriteResult>> => {
  const results: Array<WriteResult> = []
  if (typeof driver.begin === "function" && typeof driver.commit !== "function") {
    const transaction = await driver.begin()
    try {
      for (const statement of statements) results.push(await transaction.execute(statement))
      await transaction.commit()
      return results
    } catch (error) {
      await transaction.rollback().catch(() => {})
      throw error
    }
  }
  const name = `ferro_batch_${++batches}`
  await driver.savepoint(name)
  try {
    for (const statement of statements) results.push(await driver.execute(statement))
    await driver.releaseSavepoint(name)
    return results
  } catch (error) {
    await driver.rollbackToSavepoint(name).catch(() => {})
    throw error
  }
}

/** A JSON rendering of bound values for the stderr log (bigints as numbers, bytes as their length). */
const renderValues = (values: ReadonlyArray<unknown>): string =>
  JSON.stringify(values, (_key, value: unknown) =>
    typeof value === "bigint" ? `${value}n` : value instanceof Uint8Array ? `<${value.byteLength} bytes>` : value,
  )

/** The one line `log: true` prints for an event. */
export const formatLogEvent = (event: LogEvent): string => {
  const sql = event.sql.replace(/\s+/g, " ").trim()
  const outcome =
    event.error === undefined
      ? `${event.rows} ${event.rows === 1 ? "row" : "rows"}`
      : `failed (${(event.error as { readonly _tag?: unknown } | null)?._tag ?? (event.error as Error | null)?.name ?? "error"})`
  const values = event.values === undefined ? "" : ` -- values: ${renderValues(event.values)}`
  return `[ferro] ${event.connection} ${event.durationMs.toFixed(3)} ms ${outcome} ${sql}${values}`
}

const printToStderr = (event: LogEvent): void => {
  process.stderr.write(`${formatLogEvent(event)}\n`)
}

/**
 * The listener behind `connect(url, { log, logParams })`: builds each {@link LogEvent} and
 * hands it to `log` (`true`: a line on stderr). A logger that throws does not break the
 * statement; the first failure is reported once as a process warning, later ones are ignored.
 */
export const statementLogger = (connection: string, log: true | ((event: LogEvent) => void), logParams: boolean): StatementListener => {
  const sink = log === true ? printToStderr : log
  let reported = false
  return (statement, startedAt, failed, outcome) => {
    const durationMs = Math.max(0, performance.now() - startedAt)
    const event: LogEvent = {
      connection,
      sql: statement.sql,
      params: statement.params.length,
      ...(logParams ? { values: statement.params } : {}),
      durationMs,
      rows: failed ? 0 : (outcome as number),
      ...(failed ? { error: outcome as FerroError } : {}),
    }
    try {
      sink(event)
    } catch (error) {
      if (!reported) {
        reported = true
        process.emitWarning(
          `The log function of connection '${connection}' threw (${error instanceof Error ? error.message : String(error)}); ` +
            "statements are not affected, and later failures of the logger are not reported",
          { code: "FERRO_LOG_FAILED" },
        )
      }
    }
  }
}

// -- statements of an Effect operation, for its span ----------------------------------------------

/** What an operation's span is told: the system of the connection it resolved, and each statement it ran. */
export interface StatementRecorder {
  readonly connection: (connection: ActiveConnection) => void
  readonly statement: (statement: Statement) => void
}

const recorders = new AsyncLocalStorage<StatementRecorder>()
/** Recorders running: while none is, {@link observedConnection} costs one comparison. */
let recording = 0

/** Runs `fn` (an operation body) with `recorder` told about the statements it runs; the recorder stays current until its promise settles. */
export const recordStatements = <A>(recorder: StatementRecorder, fn: () => Promise<A>): Promise<A> => {
  recording++
  let running: Promise<A>
  try {
    running = recorders.run(recorder, fn)
  } catch (error) {
    running = Promise.reject(error)
  }
  const done = () => {
    recording--
  }
  running.then(done, done)
  return running
}

const recordedViews = new WeakMap<StatementRecorder, WeakMap<object, ActiveConnection>>()

/**
 * `connection`, or, inside an operation whose statements a span records, a view of it whose
 * driver reports them. Called where operations resolve their connection (query's
 * `resolveConnection`); Promise code gets `connection` itself.
 */
export const observedConnection = <C extends ActiveConnection>(connection: C): C => {
  if (recording === 0) return connection
  const recorder = recorders.getStore()
  if (recorder === undefined) return connection
  let views = recordedViews.get(recorder)
  if (views === undefined) {
    views = new WeakMap()
    recordedViews.set(recorder, views)
  }
  let view = views.get(connection)
  if (view === undefined) {
    recorder.connection(connection)
    const listener: StatementListener = (statement) => recorder.statement(statement)
    view = { name: connection.name, driver: observeDriver(connection.driver, listener, false), identityMap: connection.identityMap }
    views.set(connection, view)
  }
  return view as C
}
