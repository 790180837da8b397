/**
 * MySQL and MariaDB errors as Ferro's error classes, by server error number. Messages that
 * quote a stored or proposed value (a duplicate entry, an incorrect value) have it cut out:
 * errors never carry bound values.
 *
 * @module
 */
import {
  CheckViolation,
  ConnectionError,
  DeadlockDetected,
  type FerroError,
  ForeignKeyViolation,
  LockTimeout,
  NotNullViolation,
  QueryError,
  type Statement,
  StatementTimeout,
  UniqueViolation,
  statementContext,
  getModel,
} from "@ferro/core/internal"

interface Mysql2Error {
  readonly errno?: number
  readonly code?: string
  readonly message?: string
  readonly sqlMessage?: string
  readonly fatal?: boolean
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_CON_COUNT_ERROR",
  "HANDSHAKE_SSL_ERROR",
])
/** Access denied (1044, 1045, 1698), unknown database (1049), server shutdown (1053), lost connection (2006, 2013). */
const CONNECTION_ERRNOS = new Set([1044, 1045, 1049, 1053, 1698, 2002, 2003, 2006, 2013, 1927, 4031])

/** Whether the error means the connection (not the statement) failed. */
export const isConnectionFailure = (error: unknown): boolean => {
  const { errno, code, fatal, message = "" } = (error ?? {}) as Mysql2Error
  if (errno !== undefined && CONNECTION_ERRNOS.has(errno)) return true
  if (code !== undefined && NETWORK_CODES.has(code)) return true
  if (fatal === true) return true
  return /Connection lost|closed state|Pool is closed|connect ETIMEDOUT/i.test(message)
}

/** A quoted identifier of Ferro's SQL (`"name"`) or MySQL's (`` `name` ``), unquoted. */
const IDENT = String.raw`(?:"((?:[^"]|"")+)"|\`((?:[^\`]|\`\`)+)\`|([A-Za-z0-9_$]+))`
const unquote = (m: RegExpExecArray, from: number): string =>
  m[from] !== undefined ? m[from]!.replace(/""/g, '"') : m[from + 1] !== undefined ? m[from + 1]!.replace(/``/g, "`") : m[from + 2]!

/** The table a write statement targets (MySQL's duplicate-key and not-null messages name none). */
const writtenTable = (statement: Statement | undefined): string | undefined => {
  if (statement === undefined) return undefined
  const m = new RegExp(String.raw`^\s*(?:INSERT\s+(?:IGNORE\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+${IDENT}`, "i").exec(statement.sql)
  return m === null ? undefined : unquote(m, 1)
}

/** The columns of the unique key named `key` on `table`, from the registered model (PRIMARY: its key). */
const keyColumns = (table: string | undefined, key: string): string | undefined => {
  const metadata = table === undefined ? undefined : getModel(table)?.metadata
  if (metadata === undefined) return undefined
  // MySQL 8.0.19+ prefixes the key with its table: 'users.users_email_key'.
  const name = key.startsWith(`${table}.`) ? key.slice(table!.length + 1) : key
  if (name === "PRIMARY") {
    const pk = metadata.columns.find((c) => c.primaryKey)
    return pk?.column
  }
  return metadata.indexes.find((i) => i.name === name)?.columns.join(", ")
}

/**
 * `(\`db\`.\`posts\`, CONSTRAINT \`fk\` FOREIGN KEY (\`author_id\`) REFERENCES …`: the table and
 * columns. The server quotes names as the session's sql_mode does: with ANSI_QUOTES (Ferro's
 * sessions) in double quotes.
 */
const foreignKeyParts = (message: string): { table?: string; columns?: string } => {
  const name = String.raw`(?:\`((?:[^\`]|\`\`)+)\`|"((?:[^"]|"")+)")`
  const m = new RegExp(String.raw`\((?:(?:\`(?:[^\`]|\`\`)*\`|"(?:[^"]|"")*")\.)?${name}, CONSTRAINT (?:\`(?:[^\`]|\`\`)*\`|"(?:[^"]|"")*") FOREIGN KEY \(([^)]*)\)`).exec(message)
  if (m === null) return {}
  const table = m[1] !== undefined ? m[1].replace(/``/g, "`") : m[2]!.replace(/""/g, '"')
  const columns = m[3]!
    .split(",")
    .map((c) => c.trim().replace(/^`(.*)`$/, (_, n: string) => n.replace(/``/g, "`")).replace(/^"(.*)"$/, (_, n: string) => n.replace(/""/g, '"')))
    .join(", ")
  return { table, columns }
}

/** Cuts quoted values out of data-error messages: "Incorrect integer value: '…' for column" -> "value: <value> …". */
const withoutValues = (message: string): string =>
  message.replace(/(value|entry):? '(?:[^'\\]|\\.|'')*'/gi, "$1 <value>").replace(/value: <value>/g, "value <value>")

/**
 * Translates a mysql2 error into a Ferro error by server error number: 1062 (duplicate key)
 * `UniqueViolation` naming the key's columns, 1451/1452 `ForeignKeyViolation`, 1048 and 1364
 * `NotNullViolation`, 3819 (MySQL) and 4025 (MariaDB) `CheckViolation`, 1213
 * `DeadlockDetected`, 1205 `LockTimeout`, 1969 (MariaDB max_statement_time) and 3024 (MySQL
 * max_execution_time) `StatementTimeout`; a lost or refused connection `ConnectionError`.
 */
export const translateMysqlError = (error: unknown, statement: Statement | undefined, url: string): FerroError => {
  if (error instanceof Error && "_tag" in error) return error as unknown as FerroError
  const e = (error ?? {}) as Mysql2Error
  const raw = e.sqlMessage ?? e.message ?? String(error)
  const message = withoutValues(raw)
  switch (e.errno) {
    case 1062:
    case 1586: {
      const key = /for key '([^']+)'/.exec(raw)?.[1]
      const table = writtenTable(statement)
      return new UniqueViolation(message, {
        table,
        constraint: key === undefined ? undefined : (keyColumns(table, key) ?? key),
        cause: error,
      })
    }
    case 1451: {
      const { table } = foreignKeyParts(raw)
      return new ForeignKeyViolation(message, { table: writtenTable(statement) ?? table, referenced: true, cause: error })
    }
    case 1452: {
      const { table, columns } = foreignKeyParts(raw)
      return new ForeignKeyViolation(message, { table: table ?? writtenTable(statement), constraint: columns, cause: error })
    }
    case 1048:
    case 1364: {
      const column = /Field '([^']+)'|Column '([^']+)'/.exec(raw)
      return new NotNullViolation(message, { table: writtenTable(statement), constraint: column?.[1] ?? column?.[2], cause: error })
    }
    case 3819:
    case 4025: {
      // MariaDB names a column CHECK by its column: "CONSTRAINT `status` failed for `db`.`users`".
      const m = /CONSTRAINT `([^`]+)` failed for (?:`[^`]*`\.)?`([^`]+)`/.exec(raw) ?? /constraint '([^']+)'/.exec(raw)
      const table = m?.[2] ?? writtenTable(statement)
      const name = m?.[1]
      const column = name === undefined ? undefined : name.startsWith(`${table}.`) ? name.slice(table!.length + 1) : name
      return new CheckViolation(message, { table, constraint: column, cause: error })
    }
    case 1213:
      return new DeadlockDetected(`Deadlock detected: ${message}`, { cause: error })
    case 1205:
      return new LockTimeout(`Lock wait timed out: ${message}${statementContext(statement)}`, { cause: error })
    case 1969:
    case 3024:
      return new StatementTimeout(`Statement timed out: ${message}${statementContext(statement)}`, { cause: error })
  }
  if (isConnectionFailure(error)) return new ConnectionError(`MySQL connection failed (${url}): ${message}`, url, { cause: error })
  return QueryError.rejected(message, statement?.sql, statement?.params.length, error)
}
