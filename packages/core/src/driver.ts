import type { Dialect } from "./dialect.js"

/** SQL text with its bound parameters (already encoded for the driver). */
export interface Statement {
  readonly sql: string
  readonly params: ReadonlyArray<unknown>
}

/** Options for reading rows. */
export interface ReadOptions {
  /** Return 64-bit integers as `bigint` (SQLite only; PostgreSQL returns them as text). */
  readonly bigints?: boolean
  /**
   * `forEachRow` only: columns (1 = yes) holding ISO-8601 UTC datetimes, which the engine may
   * hand over as epoch milliseconds instead of text. The decoders accept both.
   */
  readonly epochColumns?: Uint8Array
}

/**
 * How the native engine stores a column of a lazy columnar result: `0` numbers
 * (Float64Array), `1` 64-bit integers (BigInt64Array), `2` UTF-8 text and `3` bytes (one heap
 * plus offsets).
 */
export type ColumnarKind = 0 | 1 | 2 | 3

/** One column of a {@link ColumnarResult}; `nulls[i]` is 1 where row i holds NULL. */
export type ColumnarColumn =
  | { readonly kind: 0; readonly nulls: Uint8Array; readonly values: Float64Array }
  | { readonly kind: 1; readonly nulls: Uint8Array; readonly values: BigInt64Array }
  | { readonly kind: 2 | 3; readonly nulls: Uint8Array; readonly heap: Uint8Array; readonly offsets: Uint32Array }

/** Rows read into typed-array columns (the native engine's lazy results). */
export interface ColumnarResult {
  readonly rows: number
  readonly columns: ReadonlyArray<ColumnarColumn>
}

/** Outcome of a write. */
export interface WriteResult {
  readonly rowsAffected: number
  /**
   * The key the database assigned to the (first) row an INSERT added, where the driver reports
   * one (MySQL's insert id): dialects without RETURNING read the stored row back by it.
   */
  readonly lastInsertId?: number | bigint | string
}

/** Transaction isolation levels (PostgreSQL honours all; SQLite transactions are serializable). */
export type IsolationLevel = "read uncommitted" | "read committed" | "repeatable read" | "serializable"

/** How to begin a transaction. */
export interface BeginOptions {
  readonly isolation?: IsolationLevel
  readonly readOnly?: boolean
  /** SQLite locking: `deferred`, `immediate` (take the write lock at BEGIN) or `exclusive`. Default: `immediate` for writable transactions, `deferred` for read-only ones. */
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
  /**
   * Most bytes one statement (its SQL and bound values) may take, where the server refuses a
   * larger one (MySQL's `max_allowed_packet`); absent: no limit Ferro needs to mind.
   */
  readonly maxStatementBytes?: number
  /** Rows as arrays, in select-list order. */
  rows(statement: Statement, options?: ReadOptions): Promise<ReadonlyArray<ReadonlyArray<unknown>>>
  /**
   * Reads rows and calls `onRow` with each row's cells as its arguments, building no row
   * arrays (the native engine's hydration path). Resolves to the number of rows. Optional:
   * only engines that step statements themselves offer it.
   */
  forEachRow?(statement: Statement, options: ReadOptions, onRow: (...cells: Array<unknown>) => void): Promise<number>
  /** Reads rows into typed-array columns, one {@link ColumnarKind} per selected column. Optional (native engine). */
  columnar?(statement: Statement, kinds: ReadonlyArray<ColumnarKind>): Promise<ColumnarResult>
  /**
   * Reads rows in batches of at most `batchSize` (arrays, in select-list order, as {@link rows}
   * gives them) without holding the whole result: PostgreSQL through a server-side cursor,
   * SQLite by stepping the statement. Optional: without it Ferro's `stream()` refuses to run.
   * Nothing is sent before the first `next()`. Leaving early is `return()` on the iterator
   * (what `for await` calls on `break` or a throw): it closes the cursor or statement and gives
   * the connection back; it is safe to call more than once, and after the last batch.
   */
  stream?(statement: Statement, options: ReadOptions, batchSize: number): AsyncIterableIterator<ReadonlyArray<ReadonlyArray<unknown>>>
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
