import { type Backend, registerBackend } from "@ferro/core/internal"
import { postgresDialect } from "./dialect.js"
import { openPostgres } from "./driver.js"

let nativeWarned = false

/** PostgreSQL as a backend: the `postgres:` and `postgresql:` schemes, its dialect and its opener. */
export const postgresBackend: Backend = {
  schemes: ["postgres", "postgresql"],
  dialect: postgresDialect,
  open: (url, options) => {
    if (options.engine === "native" && !nativeWarned) {
      nativeWarned = true
      process.emitWarning("Ferro's native engine is SQLite-only; PostgreSQL connections use the generated-JS engine", {
        code: "FERRO_NATIVE_UNAVAILABLE",
      })
    }
    return openPostgres(url, options.pool, {
      ...(options.statementTimeout === undefined ? {} : { statementTimeout: options.statementTimeout }),
      ...(options.lockTimeout === undefined ? {} : { lockTimeout: options.lockTimeout }),
    })
  },
}

registerBackend(postgresBackend)
