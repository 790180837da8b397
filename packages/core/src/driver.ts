import type { Dialect } from "./metadata.js"

/** SQL text with its bound parameters (already encoded for the driver). */
export interface Statement {
  readonly sql: string
  readonly params: ReadonlyArray<unknown>
}

/** Options for reading rows. */
export interface ReadOptions {
  /** Return 64-bit integers as `bigint` (SQLite only; PostgreSQL returns them as text). */
  readonly bigints?: boolean
}

/** Outcome of a write. */
export interface WriteResult {
  readonly rowsAffected: number
}

/**
 * What a database backend provides to Ferro. Drivers translate their native errors into
 * Ferro's error classes (`UniqueViolation`, `QueryError`, ...) before rejecting.
 */
export interface Driver {
  readonly dialect: Dialect
  /** The connection URL with secrets redacted. */
  readonly url: string
  /** Statements sent to the database so far (tests and benchmarks count round trips with it). */
  readonly statementCount: number
  /** Most parameters one statement may bind. */
  readonly maxParameters: number
  /** Rows as arrays, in select-list order. */
  rows(statement: Statement, options?: ReadOptions): Promise<ReadonlyArray<ReadonlyArray<unknown>>>
  /** Rows as objects keyed by column name (raw SQL). */
  objects(statement: Statement): Promise<ReadonlyArray<Record<string, unknown>>>
  /** Runs a write and reports the rows it affected. */
  execute(statement: Statement): Promise<WriteResult>
  /** Runs the statements in order, all or nothing. */
  executeAtomically(statements: ReadonlyArray<Statement>): Promise<ReadonlyArray<WriteResult>>
  /** Closes the connection or pool. */
  close(): Promise<void>
}
