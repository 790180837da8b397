/**
 * `@ferro/pg`: Ferro's PostgreSQL driver on pg (node-postgres): a pool, text-mode array rows
 * decoded by Ferro's own parsers, SQLSTATE error classification and schema pinning.
 *
 * @packageDocumentation
 */
export { PostgresDriver, openPostgres, type PoolOptions, type SessionOptions } from "./driver.js"
export { checkTimeout } from "@ferro/core/internal"
export { parsePostgresUrl, type PostgresLocation } from "./url.js"
export { isConnectionFailure, translatePgError } from "./errors.js"
export { postgresDialect } from "./dialect.js"
export { postgresBackend } from "./backend.js"
