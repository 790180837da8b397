/**
 * `@ferro/sqlite-native`: Ferro's native SQLite engine, a C++ N-API addon that owns a SQLite
 * connection, steps statements itself and hands each row's cells straight to Ferro's
 * generated hydrators (no intermediate row arrays), and fills typed-array columns for lazy
 * results. It compiles the SQLite that better-sqlite3 ships, so both engines run one SQLite.
 *
 * Install it beside `@ferro/sqlite` and open connections with `engine: "native"` (or
 * `sqlite:app.db?engine=native`); without it those connections fall back to better-sqlite3
 * and say so once.
 *
 * @packageDocumentation
 */
export { loadNativeEngine } from "./native.js"
export type { NativeBinding, NativeDatabase, NativeEngine, NativeStatement } from "@ferro/core/internal"
