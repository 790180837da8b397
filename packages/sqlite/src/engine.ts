import type { ColumnarKind, ColumnarResult, ReadOptions, Statement, WriteResult } from "@ferro/core/internal"

/**
 * One SQLite connection as the driver uses it: synchronous statement execution with a
 * statement cache. Two engines implement it, better-sqlite3 (`"js"`, the default) and
 * Ferro's native addon (`"native"`); the driver around them (queueing, transactions,
 * error translation) is the same, so both behave alike.
 */
export interface SqliteEngine {
  readonly kind: "js" | "native"
  readonly inTransaction: boolean
  /** Rows as arrays; integers as bigint when `bigints`. Throws for statements that return no data. */
  rows(statement: Statement, bigints: boolean): Array<Array<unknown>>
  /** Rows as objects keyed by column name, integers exact (bigint). Runs non-readers and returns []. */
  objects(statement: Statement): Array<Record<string, unknown>>
  execute(statement: Statement): WriteResult
  /** Calls `onRow` with each row's cells as arguments; returns the row count (native only). */
  each?(statement: Statement, options: ReadOptions, onRow: (...cells: Array<unknown>) => void): number
  /** Reads typed-array columns (native only). */
  columnar?(statement: Statement, kinds: ReadonlyArray<ColumnarKind>): ColumnarResult
  /**
   * Opens `statement` for stepping (streams): a statement of its own, not the cached one, so
   * other statements run meanwhile. Nothing runs before the first `next()`.
   */
  cursor(statement: Statement, bigints: boolean): EngineCursor
  /** Runs SQL with no parameters and no result (BEGIN, PRAGMA ... = ...). */
  exec(sql: string): void
  clearStatementCache(): void
  close(): void
}

/** What both engines throw when `rows()` meets a statement that returns no data. */
export const notAReader = (): TypeError => new TypeError("This statement does not return data; use execute()")

/**
 * An error the row callback of `each()` raised (a decoder, a model's initialiser): the driver
 * passes `error` through unchanged instead of translating it as a SQLite error.
 */
export class RowCallbackFailure {
  constructor(readonly error: unknown) {}
}

/** A statement being stepped by a stream (see {@link SqliteEngine.cursor}). */
export interface EngineCursor {
  /** Steps at most `max` rows; fewer than `max` means the statement is done (and closed). */
  next(max: number): Array<Array<unknown>>
  /** Stops stepping and frees the statement (idempotent). */
  close(): void
}
