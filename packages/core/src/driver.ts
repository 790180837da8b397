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

/** Transaction isolation levels (PostgreSQL honours all; SQLite transactions are serializable). */
export type IsolationLevel = "read uncommitted" | "read committed" | "repeatable read" | "serializable"

/** How to begin a transaction. */
export interface BeginOptions {
  readonly isolation?: IsolationLevel
  readonly readOnly?: boolean
  /** SQLite locking: `deferred` (default) or `immediate` (take the write lock at BEGIN). */
  readonly sqliteMode?: "deferred" | "immediate" | "exclusive"
}

/** A transaction on one dedicated connection: the driver methods, plus commit, rollback and savepoints. */
export interface TransactionDriver extends Omit<Driver, "begin" | "close"> {
  savepoint(name: string): Promise<void>
  releaseSavepoint(name: string): Promise<void>
  rollbackToSavepoint(name: string): Promise<void>
  commit(): Promise<void>
  rollback(): Promise<void>
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
  /**
   * Begins a transaction on a dedicated connection. Until it ends, SQLite queues every other
   * statement on the (single) connection; PostgreSQL keeps serving them from the pool.
   */
  begin(options?: BeginOptions): Promise<TransactionDriver>
  /** Called after DDL: drop whatever was prepared against the old schema. */
  schemaChanged?(): void
  /** Closes the connection or pool. */
  close(): Promise<void>
}
