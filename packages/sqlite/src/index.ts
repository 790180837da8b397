/**
 * `@ferro/sqlite`: Ferro's embedded default backend, on better-sqlite3.
 *
 * @packageDocumentation
 */
export { SqliteDriver, openSqlite } from "./driver.js"
export { parseSqliteUrl, type SqliteLocation } from "./url.js"
export { translateSqliteError } from "./errors.js"
