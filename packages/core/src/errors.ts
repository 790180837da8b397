/**
 * Ferro's typed errors. Every error extends {@link FerroError}, carries a `_tag` for
 * `Effect.catchTag`, and keeps the driver's error as `cause`. Messages never contain bound
 * parameter values or passwords.
 *
 * @module
 */
import { getModel } from "./registry.js"

/** Base class of every error Ferro raises. */
export abstract class FerroError extends Error {
  abstract readonly _tag: string
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
  }
}

/** `Model.get(pk)` found no row. The message leaves the key out; read it from `.pk`. */
export class ModelDoesNotExist extends FerroError {
  readonly _tag = "ModelDoesNotExist" as const
  constructor(
    /** Name of the model class that was queried. */
    readonly model: string,
    /** The primary key that was looked up. */
    readonly pk: unknown,
    options?: { readonly cause?: unknown; readonly detail?: string },
  ) {
    super(options?.detail ?? `No ${model} row exists with the requested primary key`, options)
    // The key is a bound value: readable as `.pk`, but kept out of JSON.stringify(error).
    Object.defineProperty(this, "pk", { value: pk, enumerable: false, writable: false, configurable: true })
  }
}

/** One failing field of a {@link ValidationError}. */
export interface ValidationIssue {
  /** Property path, e.g. `"email"` or `"tags.0"`; empty for the object itself. */
  readonly path: string
  readonly message: string
}

/** Input failed validation before any SQL ran. `issues` names every failing field. */
export class ValidationError extends FerroError {
  readonly _tag = "ValidationError" as const
  constructor(
    readonly model: string,
    readonly issues: ReadonlyArray<ValidationIssue>,
    options?: { readonly cause?: unknown },
  ) {
    super(
      `Invalid ${model}: ${issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join("; ")}`,
      options,
    )
  }
}

/** Fields shared by the constraint-violation errors. */
export interface ConstraintDetail {
  /** Table named by the database, when it names one. */
  readonly table?: string | undefined
  /** Columns or constraint named by the database, when it names them. */
  readonly constraint?: string | undefined
  /**
   * A foreign key blocked deleting or re-keying a row other rows still reference (`table` is
   * then the table written to, or the referencing one where the database names that).
   */
  readonly referenced?: boolean
  readonly cause?: unknown
}

/** A constraint's table and columns in the models' terms: the model, and the fields it covers. */
interface ConstraintTarget {
  readonly model: string
  readonly fields: ReadonlyArray<string> | undefined
  /** True when the database did not say which of `fields` failed (SQLite foreign keys). */
  readonly candidates: boolean
}

/**
 * Names a constraint's target as the user's model and fields: columns become properties, a
 * foreign key's shadow column (`author_id`) its relation (`author`). A foreign key violation
 * the database names no column for (SQLite) lists the model's foreign keys as candidates.
 */
const constraintTarget = (kind: string, detail: ConstraintDetail): ConstraintTarget | undefined => {
  if (detail.table === undefined) return undefined
  const entry = getModel(detail.table)
  if (entry === undefined) return undefined
  const { metadata, modelClass } = entry
  const model = modelClass.name && !modelClass.name.startsWith("Model(") ? modelClass.name : metadata.table
  const fieldOf = (column: string): string | undefined => {
    const c = metadata.columns.find((m) => m.column === column)
    if (c === undefined) return undefined
    return metadata.relations.find((r) => r.kind === "foreignKey" && r.via === c.property)?.property ?? c.property
  }
  const named = (detail.constraint ?? "")
    .split(",")
    .map((c) => fieldOf(c.trim()))
    .filter((f): f is string => f !== undefined)
  if (detail.referenced === true) return { model, fields: undefined, candidates: false }
  if (named.length > 0) return { model, fields: named, candidates: false }
  if (kind === "ForeignKeyViolation") {
    const keys = metadata.relations.filter((r) => r.kind === "foreignKey").map((r) => r.property)
    return { model, fields: keys.length > 0 ? keys : undefined, candidates: keys.length > 1 }
  }
  return { model, fields: undefined, candidates: false }
}

const KIND_LABEL: Record<string, string> = {
  UniqueViolation: "Unique constraint failed",
  ForeignKeyViolation: "Foreign key constraint failed",
  NotNullViolation: "Not-null constraint failed",
  CheckViolation: "Check constraint failed",
}

abstract class ConstraintViolation extends FerroError {
  readonly table: string | undefined
  readonly constraint: string | undefined
  /** The model whose table the constraint belongs to, when it is a registered model. */
  readonly model: string | undefined
  /**
   * The model's fields the constraint covers (a foreign key by its relation name), when the
   * database names them; for a SQLite foreign key, every foreign key of the model (see message).
   */
  readonly fields: ReadonlyArray<string> | undefined
  constructor(message: string, detail: ConstraintDetail) {
    const kind = new.target.name
    const target = constraintTarget(kind, detail)
    const on =
      target === undefined
        ? ""
        : detail.referenced === true
          ? `${KIND_LABEL[kind] ?? "Constraint failed"} on ${target.model} (other rows still reference the row): `
          : target.fields === undefined
          ? `${KIND_LABEL[kind] ?? "Constraint failed"} on ${target.model}: `
          : `${KIND_LABEL[kind] ?? "Constraint failed"} on ${target.model} (${target.candidates ? "one of: " : ""}${target.fields.join(", ")}): `
    super(`${on}${message}`, { cause: detail.cause })
    this.table = detail.table
    this.constraint = detail.constraint
    this.model = target?.model
    this.fields = target?.fields
  }
}

/** A UNIQUE or PRIMARY KEY constraint rejected the write. */
export class UniqueViolation extends ConstraintViolation {
  readonly _tag = "UniqueViolation" as const
}

/** A FOREIGN KEY constraint rejected the write. */
export class ForeignKeyViolation extends ConstraintViolation {
  readonly _tag = "ForeignKeyViolation" as const
}

/** A NOT NULL constraint rejected the write. */
export class NotNullViolation extends ConstraintViolation {
  readonly _tag = "NotNullViolation" as const
}

/** A CHECK constraint rejected the write. */
export class CheckViolation extends ConstraintViolation {
  readonly _tag = "CheckViolation" as const
}

/** Connecting failed, or no usable connection exists. `url` has secrets redacted. */
export class ConnectionError extends FerroError {
  readonly _tag = "ConnectionError" as const
  constructor(
    message: string,
    readonly url?: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options)
  }

  /**
   * The error for a statement the database rejected: the driver's message, then the SQL
   * (cut at 1,000 characters) and its parameter count, never the values.
   */
  static rejected(driverMessage: string, sql: string | undefined, parameterCount: number | undefined, cause: unknown): QueryError {
    const shown = sql !== undefined && sql.length > 1000 ? `${sql.slice(0, 1000)}…` : sql
    const context =
      shown === undefined ? "" : ` (SQL: ${shown}; ${parameterCount} parameter${parameterCount === 1 ? "" : "s"})`
    return new QueryError(`Query failed: ${driverMessage}${context}`, sql, parameterCount, { cause })
  }
}

/** Creating or changing the schema failed, or was refused. */
export class MigrationError extends FerroError {
  readonly _tag = "MigrationError" as const
}

/**
 * The class behind {@link TransactionError}; the retryable subclasses give their own tag. (The
 * public constructor is typed without the tag parameter, so `new TransactionError(…)` is always
 * a plain `TransactionError`, whatever the context.)
 */
class TransactionErrorClass<Tag extends string> extends FerroError {
  readonly _tag: Tag = "TransactionError" as Tag
}
Object.defineProperty(TransactionErrorClass, "name", { value: "TransactionError" })

/** A transaction could not begin, commit or roll back, or a closed handle was used. */
export interface TransactionError extends TransactionErrorClass<"TransactionError"> {}

/**
 * A transaction could not begin, commit or roll back, or a closed handle was used.
 * {@link SerializationFailure} and {@link DeadlockDetected} are TransactionErrors too
 * (`instanceof TransactionError` holds), with tags of their own.
 */
export const TransactionError: {
  new (message: string, options?: { readonly cause?: unknown }): TransactionError
  readonly prototype: TransactionError
} = TransactionErrorClass

/**
 * The database aborted the transaction because it could not serialize it with concurrent ones
 * (PostgreSQL SQLSTATE 40001). Retrying the whole transaction is the remedy:
 * `transaction(fn, { retry: 3 })` does it.
 */
export class SerializationFailure extends TransactionErrorClass<"SerializationFailure"> {
  override readonly _tag = "SerializationFailure" as const
}

/**
 * The database broke a deadlock by aborting this transaction (PostgreSQL SQLSTATE 40P01).
 * Retrying the whole transaction is the remedy: `transaction(fn, { retry: 3 })` does it.
 */
export class DeadlockDetected extends TransactionErrorClass<"DeadlockDetected"> {
  override readonly _tag = "DeadlockDetected" as const
}

/**
 * Waiting for a lock took longer than allowed: PostgreSQL's `lock_timeout` (SQLSTATE 55P03,
 * the `lockTimeout` connect option), or SQLite's busy timeout (`SQLITE_BUSY`, "database is
 * locked").
 */
export class LockTimeout extends FerroError {
  readonly _tag = "LockTimeout" as const
}

/** A statement ran longer than `statement_timeout` (the `statementTimeout` connect option) and was cancelled. */
export class StatementTimeout extends FerroError {
  readonly _tag = "StatementTimeout" as const
}

/**
 * A model cannot be built or resolved: a bad field or option in `Model()` / `field.*()`, or a
 * relation whose target or back reference does not exist. Raised at definition time or, for
 * relations (resolved lazily), on first use or at `connect()`.
 */
export class ModelDefinitionError extends FerroError {
  readonly _tag = "ModelDefinitionError" as const
}

/**
 * A query was malformed or the database rejected it. Carries the SQL text and the number of
 * bound parameters, never their values.
 */
export class QueryError extends FerroError {
  readonly _tag = "QueryError" as const
  constructor(
    message: string,
    readonly sql?: string,
    readonly parameterCount?: number,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options)
  }

  /**
   * The error for a statement the database rejected: the driver's message, then the SQL
   * (cut at 1,000 characters) and its parameter count, never the values.
   */
  static rejected(driverMessage: string, sql: string | undefined, parameterCount: number | undefined, cause: unknown): QueryError {
    const shown = sql !== undefined && sql.length > 1000 ? `${sql.slice(0, 1000)}…` : sql
    const context =
      shown === undefined ? "" : ` (SQL: ${shown}; ${parameterCount} parameter${parameterCount === 1 ? "" : "s"})`
    return new QueryError(`Query failed: ${driverMessage}${context}`, sql, parameterCount, { cause })
  }
}

/**
 * " (SQL: …; n parameters)" for a message about `statement`: the SQL cut at 200 characters and
 * its parameter count, never the values; "" without a statement.
 */
export const statementContext = (statement: { readonly sql: string; readonly params: ReadonlyArray<unknown> } | undefined): string => {
  if (statement === undefined) return ""
  const shown = statement.sql.length > 200 ? `${statement.sql.slice(0, 200)}…` : statement.sql
  return ` (SQL: ${shown}; ${statement.params.length} parameter${statement.params.length === 1 ? "" : "s"})`
}
