import {
  CheckViolation,
  ConnectionError,
  DeadlockDetected,
  type FerroError,
  ForeignKeyViolation,
  LockTimeout,
  NotNullViolation,
  QueryError,
  SerializationFailure,
  type Statement,
  StatementTimeout,
  UniqueViolation,
  statementContext,
} from "@ferro/core/internal"

interface PgError {
  readonly code?: string
  readonly message?: string
  readonly detail?: string
  readonly table?: string
  readonly constraint?: string
  readonly column?: string
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"])

/** Whether the error means the connection (not the statement) failed. */
export const isConnectionFailure = (error: unknown): boolean => {
  const { code, message = "" } = (error ?? {}) as PgError
  // 08P01 (protocol violation) is what a statement with the wrong number of parameters gets.
  if (code === "08P01") return false
  if (code !== undefined && (code.startsWith("08") || code.startsWith("28") || code.startsWith("57P") || code === "3D000")) {
    return true
  }
  if (code !== undefined && NETWORK_CODES.has(code)) return true
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(message)
}

/**
 * Translates a pg error into a Ferro error by SQLSTATE. PostgreSQL puts offending values in
 * `detail` (kept only in `cause`) and, for data errors (class 22), at the end of the message:
 * that part is dropped.
 */
export const translatePgError = (error: unknown, statement: Statement | undefined, url: string): FerroError => {
  const pg = (error ?? {}) as PgError
  const code = pg.code
  let message = pg.message ?? String(error)
  // Data errors (class 22) quote the offending value anywhere in the message: drop every
  // quoted literal and anything after a final colon.
  if (code?.startsWith("22")) message = message.replace(/"(?:[^"]|"")*"/g, "<value>").replace(/:\s*[^:]*$/, "")
  // Name the columns, as SQLite does: "Key (a, b)=(…) already exists." -> "a, b" (the part
  // after "=" holds the values and is never read).
  const keyColumns = /^Key \((.*?)\)=\(/
    .exec(pg.detail ?? "")?.[1]
    ?.split(", ")
    .map((c) => c.replace(/^"(.*)"$/, "$1").replace(/""/g, '"'))
    .join(", ")
  // "Key (id)=(…) is still referenced from table "posts"": a delete or key change blocked by
  // referencing rows; the key named is the referenced table's, not the referencing one's.
  const referenced = /is still referenced from table/.test(pg.detail ?? "")
  const detail = referenced
    ? { table: pg.table, referenced: true, cause: error }
    : { table: pg.table, constraint: keyColumns ?? pg.column ?? pg.constraint, cause: error }
  switch (code) {
    case "23505":
      return new UniqueViolation(message, detail)
    case "23503":
      return new ForeignKeyViolation(message, detail)
    case "23502":
      return new NotNullViolation(message, detail)
    case "23514":
      return new CheckViolation(message, detail)
    case "40001":
      return new SerializationFailure(`Serialization failure: ${message}`, { cause: error })
    case "40P01":
      return new DeadlockDetected(`Deadlock detected: ${message}`, { cause: error })
    case "55P03":
      return new LockTimeout(`Lock wait timed out: ${message}${statementContext(statement)}`, { cause: error })
    case "57014":
      // query_canceled: a statement_timeout, or a cancel request (left as a QueryError).
      if (/statement timeout/i.test(message)) {
        return new StatementTimeout(`Statement timed out: ${message}${statementContext(statement)}`, { cause: error })
      }
      break
  }
  if (isConnectionFailure(error)) return new ConnectionError(`PostgreSQL connection failed (${url}): ${message}`, url, { cause: error })
  return QueryError.rejected(message, statement?.sql, statement?.params.length, error)
}
