import { type Backend, ConnectionError, redactUrl, registerBackend } from "@ferro/core/internal"
import { sqliteDialect } from "./dialect.js"
import { openSqlite } from "./driver.js"

/** SQLite as a backend: the `sqlite:` scheme, its dialect and its opener. */
export const sqliteBackend: Backend = {
  schemes: ["sqlite"],
  dialect: sqliteDialect,
  open: (url, options) => {
    if (options.statementTimeout !== undefined) {
      throw new ConnectionError(
        "statementTimeout is not supported on SQLite (it has no server-side statement timeout); use it with PostgreSQL",
        redactUrl(url),
      )
    }
    return openSqlite(url, {
      ...(options.engine === undefined ? {} : { engine: options.engine }),
      ...(options.lockTimeout === undefined ? {} : { busyTimeout: options.lockTimeout }),
    })
  },
}

registerBackend(sqliteBackend)
