/**
 * `@ferro/mysql`: Ferro's MySQL and MariaDB driver on mysql2: a pool, prepared statements,
 * strings for exact values decoded by Ferro's own parsers, error classification by server
 * error number, streaming on a dedicated connection.
 *
 * @packageDocumentation
 */
export { MysqlDriver, openMysql, type PoolOptions, type SessionOptions } from "./driver.js"
export { parseMysqlUrl, type MysqlLocation, type MysqlTls } from "./url.js"
export { isConnectionFailure, translateMysqlError } from "./errors.js"
export { mysqlDialect } from "./dialect.js"
export { mysqlBackend } from "./backend.js"
