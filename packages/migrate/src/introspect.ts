/**
 * Live-schema introspection: reads the tables, columns, indexes, foreign keys and CHECK
 * constraints a database actually has, in the shapes of `./live.ts`. Each dialect reads its
 * own catalogs (`dialect.introspect`); this sorts and filters.
 *
 * @module
 */
import type { Driver } from "@ferro/core/internal"
import type { LiveTable } from "./live.js"

/** What introspection needs of a driver (a `TransactionDriver` works too). */
export type IntrospectionDriver = Pick<Driver, "dialect" | "rows" | "objects">

/**
 * The live schema: every user table (SQLite: all but `sqlite_%`; PostgreSQL: the tables in
 * `current_schema()`), or only those named in `tables` that exist, sorted by table name.
 */
export const introspect = async (
  driver: IntrospectionDriver,
  tables?: ReadonlyArray<string>,
): Promise<ReadonlyArray<LiveTable>> => {
  const wanted = tables === undefined ? null : new Set(tables)
  if (wanted !== null && wanted.size === 0) return []
  const live = await driver.dialect.introspect(driver, wanted)
  return [...live].sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0))
}
