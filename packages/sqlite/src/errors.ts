import {
  CheckViolation,
  ConnectionError,
  type FerroError,
  ForeignKeyViolation,
  LockTimeout,
  NotNullViolation,
  QueryError,
  type Statement,
  UniqueViolation,
} from "@ferro/core"

/** Parses "UNIQUE constraint failed: authors.email, authors.name" into table and columns. */
const constraintTarget = (message: string): { table?: string; constraint?: string } => {
  const match = /constraint failed: ([^\s]+?)\.([^\s,]+)(?:,|$)/.exec(message)
  if (match === null) return {}
  const columns = [...message.matchAll(/([^\s,:]+)\.([^\s,]+)/g)].map((m) => m[2]!)
  return { table: match[1]!, constraint: columns.join(", ") }
}

/**
 * Translates an error thrown by better-sqlite3 into a Ferro error. SQLite's messages name
 * tables and columns but never bound values, so they are safe to keep.
 */
export const translateSqliteError = (error: unknown, statement: Statement | undefined): FerroError => {
  const code = (error as { code?: unknown } | null)?.code
  const message = error instanceof Error ? error.message : String(error)
  if (typeof code === "string") {
    // SQLITE_BUSY and its extended codes: another connection held the lock past the busy timeout.
    if (code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY_")) {
      return new LockTimeout(`SQLite: ${message} (another connection held the lock past the busy timeout)`, { cause: error })
    }
    switch (code) {
      case "SQLITE_CONSTRAINT_UNIQUE":
      case "SQLITE_CONSTRAINT_PRIMARYKEY":
        return new UniqueViolation(message, { ...constraintTarget(message), cause: error })
      case "SQLITE_CONSTRAINT_FOREIGNKEY":
        return new ForeignKeyViolation(message, { cause: error })
      case "SQLITE_CONSTRAINT_TRIGGER":
        // ON DELETE RESTRICT is enforced by a trigger-like check and reported with this code.
        if (message.startsWith("FOREIGN KEY constraint failed")) return new ForeignKeyViolation(message, { cause: error })
        break
      case "SQLITE_CONSTRAINT_NOTNULL":
        return new NotNullViolation(message, { ...constraintTarget(message), cause: error })
      case "SQLITE_CONSTRAINT_CHECK":
        return new CheckViolation(message, { constraint: /: (.*)$/.exec(message)?.[1], cause: error })
      case "SQLITE_CANTOPEN":
      case "SQLITE_NOTADB":
      case "SQLITE_IOERR":
      case "SQLITE_READONLY":
        return new ConnectionError(`SQLite: ${message}`, undefined, { cause: error })
    }
  }
  return QueryError.rejected(message, statement?.sql, statement?.params.length, error)
}
