/**
 * The native SQLite engine's binding, as the SQLite driver uses it. The addon lives in the
 * optional package `@ferro/sqlite-native`; its shape is declared here, beside the Driver
 * interface, so that `@ferro/sqlite`'s published types do not depend on a package the user
 * may not have installed.
 *
 * @module
 */
import type { ColumnarKind, ColumnarResult } from "./driver.js"

/** A prepared statement owned by the native engine. */
export interface NativeStatement {
  /** Whether the statement returns rows. */
  readonly reader: boolean
  /** Column names of the result, in select-list order. */
  columns(): Array<string>
  /** Runs to completion; resolves the rows changed. */
  run(params: ReadonlyArray<unknown>): number
  /**
   * Calls `onRow(cell0, ..., cellN)` per row; returns the row count. Where `epochColumns[i]`
   * is 1, ISO-8601 UTC text (`Date#toISOString` form) arrives as epoch milliseconds.
   */
  each(
    params: ReadonlyArray<unknown>,
    bigints: boolean,
    onRow: (...cells: Array<unknown>) => void,
    epochColumns?: Uint8Array,
  ): number
  /**
   * The streaming read: with `params`, resets and binds; then steps at most `max` rows, calling
   * `onRow(cell0, ..., cellN)` per row, and stops there (the next call, `params` null, goes on).
   * Returns the rows stepped; fewer than `max` means done (the statement is then reset).
   */
  step(params: ReadonlyArray<unknown> | null, bigints: boolean, max: number, onRow: (...cells: Array<unknown>) => void): number
  /** Stops a statement `step()` left part-way (releases its read). */
  reset(): void
  /** Reads every row into typed-array columns. */
  columnar(params: ReadonlyArray<unknown>, kinds: ReadonlyArray<ColumnarKind>): ColumnarResult
  /** Whether the last `each()` stopped because its row callback threw (its error then propagated as is). */
  readonly callbackFailed: boolean
  /** Frees the statement now rather than when it is collected (after the current step, if it runs). */
  finalize(): void
}

/** A SQLite connection owned by the native engine. */
export interface NativeDatabase {
  readonly open: boolean
  readonly inTransaction: boolean
  exec(sql: string): void
  prepare(sql: string): NativeStatement
  /** Registers a SQL function implemented in JS (`bigints`: integer arguments arrive as bigint). */
  function(name: string, argc: number, deterministic: boolean, bigints: boolean, fn: (...args: Array<unknown>) => unknown): void
  changes(): number
  lastInsertRowid(): bigint
  close(): void
}

/** What the addon exports. */
export interface NativeBinding {
  readonly NativeDatabase: new (filename: string, readonly: boolean, busyTimeoutMs: number) => NativeDatabase
  /** Version of the SQLite compiled into the addon (the one better-sqlite3 ships). */
  readonly sqliteVersion: string
}

/** The addon, or why it is unavailable. */
export type NativeEngine =
  | { readonly available: true; readonly binding: NativeBinding; readonly path: string }
  | { readonly available: false; readonly reason: string }

