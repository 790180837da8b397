/**
 * Opening and closing connections.
 *
 * @module
 */
import {
  type Connection,
  ConnectionError,
  DEFAULT_CONNECTION,
  type Driver,
  type LogEvent,
  allConnections,
  assertConnectionName,
  backendFor,
  registeredSchemes,
  transactionFor,
  getConnection,
  modelsMetadata,
  observeDriver,
  redactUrl,
  statementLogger,
  registerConnection,
  unregisterConnection,
  checkTimeout,
} from "@ferro/core/internal"
import { type MigrationPlan, createTables as createMissingTables, migrateSchema } from "@ferro/migrate"

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Register the connection under this name (default `"default"`). */
  readonly name?: string
  /** Make this the connection unqualified operations use (the first connection always is). */
  readonly default?: boolean
  /** Create missing tables (and their indexes) for every registered model. */
  readonly autoMigrate?: boolean
  /** Also reconcile existing tables: add columns and indexes, change types and nullability (implies autoMigrate). */
  readonly migrateUpdates?: boolean
  /** Also drop columns and Ferro-named indexes the models no longer have (implies migrateUpdates). */
  readonly migrateDestructive?: boolean
  /** Pool sizing (PostgreSQL). */
  readonly pool?: { readonly max?: number; readonly min?: number }
  /** Keep one object per primary key on this connection (default true). */
  readonly identityMap?: boolean
  /**
   * The SQLite engine: `"js"` (default; better-sqlite3 and generated-JS hydrators) or
   * `"native"` (Ferro's C++ addon steps statements and hands cells straight to the
   * hydrators; it also serves `all({ lazy: true })` from typed-array columns). When the
   * addon is unavailable, or the URL is PostgreSQL, the generated-JS engine is used and a
   * warning says so once. Also settable as `?engine=native` on a SQLite URL.
   */
  readonly engine?: "js" | "native"
  /**
   * Milliseconds a single statement may run before the database cancels it; it then fails
   * with `StatementTimeout`. PostgreSQL: the `statement_timeout` session setting on every
   * pooled connection (0 = no limit, the default). SQLite: not supported (refused).
   */
  readonly statementTimeout?: number
  /**
   * Milliseconds a statement may wait for a lock another connection or transaction holds; a
   * longer wait fails with `LockTimeout`. PostgreSQL: the `lock_timeout` session setting on
   * every pooled connection (0 = no limit, the default). SQLite: how long a statement, BEGIN
   * or COMMIT waits for another connection's lock (default 5000; 0 fails at once); the wait
   * never blocks the event loop (SQLite's busy timeout is 0; the driver tries again
   * asynchronously with a short, growing backoff).
   */
  readonly lockTimeout?: number
  /**
   * Log every statement this connection runs: queries, writes, raw SQL, transaction control
   * and the DDL of `autoMigrate`. `true` prints one line per statement to stderr (connection
   * name, duration, row count, the SQL); a function receives a {@link LogEvent}
   * `{ connection, sql, params, durationMs, rows, error? }`, where `params` is the number of
   * bound parameters. Values are never logged unless `logParams` is set. A logger that throws
   * does not affect the statement (the first failure is reported once as a process warning).
   * Without `log` the connection is not observed at all and pays nothing.
   */
  readonly log?: boolean | ((event: LogEvent) => void)
  /**
   * With `log`: also log the bound values (`values` on each {@link LogEvent}, appended to the
   * stderr line). They may hold secrets and personal data: off by default, for development.
   */
  readonly logParams?: boolean
}

/**
 * The backend packages Ferro ships, by URL scheme: loaded on first use, since each drives a
 * database through a driver the user installs (better-sqlite3, pg), so an app that only uses
 * SQLite never loads pg and need not install it. On import a backend package registers its
 * schemes in core's backend registry, which is what `connect()` consults; a third-party
 * backend registers itself the same way (import it before connecting).
 *
 * This table is the one place that names databases (allow-listed by the no-dialect-branching
 * test): it maps a scheme to the package to import, nothing more.
 */
const BUNDLED: Readonly<Record<string, { readonly load: () => Promise<unknown>; readonly driverPackage: string }>> = {
  sqlite: { load: () => import("@ferro/sqlite"), driverPackage: "better-sqlite3" },
  postgres: { load: () => import("@ferro/pg"), driverPackage: "pg" },
  postgresql: { load: () => import("@ferro/pg"), driverPackage: "pg" },
  mysql: { load: () => import("@ferro/mysql"), driverPackage: "mysql2" },
  mariadb: { load: () => import("@ferro/mysql"), driverPackage: "mysql2" },
}

/** Imports a bundled backend package, turning a missing driver into a `ConnectionError` that says what to install. */
const loadBackend = async (url: string, load: () => Promise<unknown>, driverPackage: string): Promise<void> => {
  try {
    await load()
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    const message = error instanceof Error ? error.message : ""
    if ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && message.includes(`'${driverPackage}'`)) {
      throw new ConnectionError(
        `Cannot connect to ${redactUrl(url)}: the driver package '${driverPackage}' is not installed (npm i ${driverPackage})`,
        redactUrl(url),
        { cause: error },
      )
    }
    throw error
  }
}

const openDriver = async (url: string, options: ConnectOptions): Promise<Driver> => {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase()
  let backend = scheme === undefined ? undefined : backendFor(scheme)
  const bundled = scheme === undefined || !Object.hasOwn(BUNDLED, scheme) ? undefined : BUNDLED[scheme]
  if (backend === undefined && bundled !== undefined) {
    await loadBackend(url, bundled.load, bundled.driverPackage)
    backend = backendFor(scheme!)
  }
  if (backend === undefined) {
    const supported = [...new Set([...Object.keys(BUNDLED), ...registeredSchemes()])].join(", ")
    throw new ConnectionError(
      `Cannot connect to ${redactUrl(url)}: unsupported database URL scheme${scheme ? ` '${scheme}'` : ""}. Supported schemes: ${supported}`,
      redactUrl(url),
    )
  }
  return backend.open(url, {
    ...(options.pool === undefined ? {} : { pool: options.pool }),
    ...(options.engine === undefined ? {} : { engine: options.engine }),
    ...(options.statementTimeout === undefined ? {} : { statementTimeout: options.statementTimeout }),
    ...(options.lockTimeout === undefined ? {} : { lockTimeout: options.lockTimeout }),
  })
}

/**
 * Opens a connection and registers it. `sqlite::memory:`, `sqlite:path/app.db` (created if
 * missing), `postgres://user:pass@host/db?sslmode=require&schema=tenant` (pool; the schema is
 * pinned as `search_path` on every pooled connection). With `autoMigrate`, missing tables are created before the connection is
 * registered, so a failed migration leaves nothing behind.
 */
export const connect = async (url: string, options: ConnectOptions = {}): Promise<Connection> => {
  if (typeof url !== "string" || url.length === 0) throw new ConnectionError("connect() needs a database URL string")
  const name = options.name ?? DEFAULT_CONNECTION
  assertConnectionName(name, redactUrl(url))
  if (allConnections().some((c) => c.name === name)) {
    throw new ConnectionError(`Connection '${name}' is already registered; disconnect('${name}') first`, redactUrl(url))
  }
  if (options.engine !== undefined && options.engine !== "js" && options.engine !== "native") {
    throw new ConnectionError(`engine must be "js" or "native", got ${JSON.stringify(String(options.engine))}`, redactUrl(url))
  }
  checkTimeout("statementTimeout", options.statementTimeout, redactUrl(url))
  checkTimeout("lockTimeout", options.lockTimeout, redactUrl(url))
  if (options.pool !== undefined) {
    const { max = 10, min = 0 } = options.pool
    if (!Number.isInteger(max) || max < 1 || !Number.isInteger(min) || min < 0 || min > max) {
      throw new ConnectionError("pool needs integers with 1 <= max and 0 <= min <= max", redactUrl(url))
    }
  }
  // Resolves every model's relations first: a relation naming a missing model or back
  // reference fails here, naming both models, before anything is opened.
  if (options.log !== undefined && typeof options.log !== "boolean" && typeof options.log !== "function") {
    throw new ConnectionError("log must be true, false or a function receiving each statement's event", redactUrl(url))
  }
  const models = modelsMetadata()
  const opened = await openDriver(url, options)
  // Logging wraps the driver once, here: every statement of every backend passes through it.
  const driver =
    options.log === undefined || options.log === false
      ? opened
      : observeDriver(opened, statementLogger(name, options.log, options.logParams === true), true)
  try {
    if (options.migrateUpdates || options.migrateDestructive) {
      await migrateSchema(driver, models, { updates: true, destructive: options.migrateDestructive === true })
    } else if (options.autoMigrate) await createMissingTables(driver, models)
    return registerConnection(name, driver, {
      identityMap: options.identityMap !== false,
      makeDefault: options.default === true || options.name === undefined,
    })
  } catch (error) {
    await driver.close()
    throw error
  }
}

/** Closes and unregisters the connection called `name`, or every connection when no name is given. */
export const disconnect = async (name?: string): Promise<void> => {
  const names = name === undefined ? allConnections().map((c) => c.name) : [getConnection(name).name]
  for (const n of names) await unregisterConnection(n)?.driver.close()
}

/** Creates missing tables and indexes for every registered model on a connection. */
export const createTables = async (options: { readonly using?: string } = {}): Promise<void> => {
  const connection = getConnection(options.using)
  await createMissingTables(connection.driver, modelsMetadata())
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** Connection name (default: the default connection). */
  readonly using?: string
  /** Reconcile existing tables (default true; false only creates missing tables). */
  readonly updates?: boolean
  /** Also drop columns and Ferro-named indexes the models no longer have. */
  readonly destructive?: boolean
  /** Return the plan (statements and warnings) without running it. */
  readonly dryRun?: boolean
}

/**
 * Runs the auto-migrate ladder on a live connection and returns the plan it ran. Afterwards
 * cached statements are dropped and the identity map is cleared (instances may be stale).
 */
export const migrate = async (options: MigrateOptions = {}): Promise<MigrationPlan> => {
  const connection = getConnection(options.using)
  const plan = await migrateSchema(connection.driver, modelsMetadata(), {
    updates: options.updates !== false,
    destructive: options.destructive === true,
    ...(options.dryRun === undefined ? {} : { dryRun: options.dryRun }),
  })
  if (options.dryRun !== true && plan.statements.length > 0) connection.identityMap?.clear()
  return plan
}

/** Checks that the connection (default: the default one) answers; throws `ConnectionError` when not. */
export const ping = async (name?: string): Promise<void> => {
  const connection = getConnection(name)
  // Inside a transaction on this connection, ask on the transaction's own database connection:
  // another pool client could wait forever on a full pool, and SQLite's single connection is
  // held by the transaction until the block (which awaits this ping) ends.
  const scope = transactionFor(connection.name)
  if (scope !== undefined && !scope.closed) {
    await scope.connection.driver.rows({ sql: "SELECT 1", params: [] })
    return
  }
  await connection.driver.rows({ sql: "SELECT 1", params: [] })
}

/** Closes every connection and forgets them (models stay registered). For tests. */
export const resetEngine = async (): Promise<void> => {
  await disconnect()
}
