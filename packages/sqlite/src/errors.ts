import {
  CheckViolation,
  ConnectionError,
  type FerroError,
  ForeignKeyViolation,
  LockTimeout,
  NotNullViolation,
  QueryError,
  SerializationFailure,
  type Statement,
  UniqueViolation,
} from "@ferro/core/internal"

/** Parses "UNIQUE constraint failed: authors.email, authors.name" into table and columns. */
const constraintTarget = (message: string): { table?: string; constraint?: string } => {
  const match = /constraint failed: ([^\s]+?)\.([^\s,]+)(?:,|$)/.exec(message)
  if (match === null) return {}
  const columns = [...message.matchAll(/([^\s,:]+)\.([^\s,]+)/g)].map((m) => m[2]!)
  return { table: match[1]!, constraint: columns.join(", ") }
}

/** The table a write statement targets (SQLite's foreign-key errors name none). */
const writtenTable = (statement: Statement | undefined): { table?: string; referenced?: boolean } => {
  const match = /^\s*(INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"((?:[^"]|"")+)"/i.exec(statement?.sql ?? "")
  if (match === null) return {}
  // A DELETE fails because other rows still reference the row; an INSERT or UPDATE because a
  // key it writes references nothing (an UPDATE of a referenced key is rare: named as such).
  return { table: match[2]!.replace(/""/g, '"'), ...(/^DELETE/i.test(match[1]!) ? { referenced: true } : {}) }
}

/**
 * Whether `error` is SQLite saying another connection holds the lock right now, so the same
 * statement can succeed later (SQLITE_BUSY, _RECOVERY, _TIMEOUT). SQLITE_BUSY_SNAPSHOT is
 * not: the transaction read a snapshot that is now stale, and only a new transaction helps.
 */
export const isLockBusy = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code
  return code === "SQLITE_BUSY" || code === "SQLITE_BUSY_RECOVERY" || code === "SQLITE_BUSY_TIMEOUT"
}

/**
 * Translates an error thrown by better-sqlite3 or the native engine into a Ferro error.
 * SQLite's messages name tables and columns but never bound values, so they are safe to keep.
 * `lockTimeout` (milliseconds) is named in the message of a {@link LockTimeout}.
 */
export const translateSqliteError = (error: unknown, statement: Statement | undefined, lockTimeout?: number): FerroError => {
  const code = (error as { code?: unknown } | null)?.code
  const message = error instanceof Error ? error.message : String(error)
  if (typeof code === "string") {
    // A deferred transaction read, then another connection committed a write: its snapshot is
    // stale, so it can never write. Rolling back and rerunning the whole transaction is the
    // remedy (`transaction(fn, { retry })` does it on SerializationFailure).
    if (code === "SQLITE_BUSY_SNAPSHOT") {
      return new SerializationFailure(
        `SQLite: ${message} (another connection wrote since this transaction read; retry the whole transaction)`,
        { cause: error },
      )
    }
    // SQLITE_BUSY and its other extended codes: another connection held the lock past the wait.
    if (code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY_")) {
      const limit = lockTimeout === undefined ? "the lock timeout" : `lockTimeout, ${lockTimeout} ms`
      return new LockTimeout(`SQLite: ${message} (another connection held the lock longer than ${limit})`, { cause: error })
    }
    switch (code) {
      case "SQLITE_CONSTRAINT_UNIQUE":
      case "SQLITE_CONSTRAINT_PRIMARYKEY":
        return new UniqueViolation(message, { ...constraintTarget(message), cause: error })
      case "SQLITE_CONSTRAINT_FOREIGNKEY":
        return new ForeignKeyViolation(message, { ...writtenTable(statement), cause: error })
      case "SQLITE_CONSTRAINT_TRIGGER":
        // ON DELETE RESTRICT is enforced by a trigger-like check and reported with this code.
        if (message.startsWith("FOREIGN KEY constraint failed")) {
          return new ForeignKeyViolation(message, { ...writtenTable(statement), cause: error })
        }
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
