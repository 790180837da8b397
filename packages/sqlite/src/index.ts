/**
 * `@ferro/sqlite`: Ferro's embedded default backend, on better-sqlite3 or on Ferro's native
 * engine (`engine: "native"`).
 *
 * @packageDocumentation
 */
export { SqliteDriver, openSqlite, type SqliteDriverOptions, type SqliteEngineName } from "./driver.js"
export { parseSqliteUrl, type SqliteLocation } from "./url.js"
export { translateSqliteError } from "./errors.js"
export { sqliteDialect } from "./dialect.js"
export { sqliteBackend } from "./backend.js"
