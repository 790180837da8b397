/**
 * Loading the native engine: the C++ addon. The published package carries a prebuilt binary
 * (`prebuilds/<platform>-<arch>/ferro_native.node`, made at pack time); where none fits, the
 * install step compiles `build/Release/ferro_native.node` with node-gyp.
 *
 * @module
 */
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import type { ColumnarKind, ColumnarResult } from "@ferro/core"

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

let loaded: NativeEngine | undefined

const packageRoot = (): string => {
  // src/native.ts in the workspace, dist/index.mjs once built: the package root is one up.
  const here = dirname(fileURLToPath(import.meta.url))
  return join(here, "..")
}

/**
 * Loads the native engine once per process. Never throws: when the addon was not built (no
 * compiler at install time) or does not load, the result says why.
 */
export const loadNativeEngine = (): NativeEngine => {
  if (loaded !== undefined) return loaded
  const candidates =
    process.env.FERRO_NATIVE_ADDON !== undefined
      ? [process.env.FERRO_NATIVE_ADDON]
      : [
          join(packageRoot(), "prebuilds", `${process.platform}-${process.arch}`, "ferro_native.node"),
          join(packageRoot(), "build", "Release", "ferro_native.node"),
        ]
  const path = candidates.find((candidate) => existsSync(candidate)) ?? candidates[candidates.length - 1]!
  if (process.env.FERRO_NATIVE_DISABLE === "1") {
    loaded = { available: false, reason: "FERRO_NATIVE_DISABLE=1 is set" }
  } else if (!existsSync(path)) {
    loaded = { available: false, reason: `the addon was not built (no prebuild for ${process.platform}-${process.arch} and ${path} is missing; reinstall @ferro/sqlite-native with a C++ toolchain to build it)` }
  } else {
    try {
      const binding = createRequire(import.meta.url)(path) as NativeBinding
      loaded = { available: true, binding, path }
    } catch (error) {
      loaded = { available: false, reason: `the addon did not load: ${error instanceof Error ? error.message : String(error)}` }
    }
  }
  return loaded
}
