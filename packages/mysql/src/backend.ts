import { type Backend, registerBackend } from "@ferro/core/internal"
import { mysqlDialect } from "./dialect.js"
import { openMysql } from "./driver.js"

let nativeWarned = false

/** MySQL and MariaDB as a backend: the `mysql:` and `mariadb:` schemes, its dialect and its opener. */
export const mysqlBackend: Backend = {
  schemes: ["mysql", "mariadb"],
  dialect: mysqlDialect,
  open: (url, options) => {
    if (options.engine === "native" && !nativeWarned) {
      nativeWarned = true
      process.emitWarning("Ferro's native engine is SQLite-only; MySQL connections use the generated-JS engine", {
        code: "FERRO_NATIVE_UNAVAILABLE",
      })
    }
    return openMysql(url, options.pool, {
      ...(options.statementTimeout === undefined ? {} : { statementTimeout: options.statementTimeout }),
      ...(options.lockTimeout === undefined ? {} : { lockTimeout: options.lockTimeout }),
    })
  },
}

registerBackend(mysqlBackend)
