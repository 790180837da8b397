/**
 * MySQL / MariaDB live-schema introspection through `information_schema`, one query per kind
 * of object for all tables of the current database at once.
 *
 * @module
 */
import {
  type IntrospectionDriver,
  type LiveColumn,
  type LiveForeignKey,
  type LiveIndex,
  type LiveTable,
  type OnDelete,
  groupBy,
  tidyType,
} from "@ferro/core/internal"

const ON_DELETE: Readonly<Record<string, OnDelete>> = {
  "NO ACTION": "no action",
  RESTRICT: "restrict",
  CASCADE: "cascade",
  "SET NULL": "set null",
  "SET DEFAULT": "set default",
}

const text = (cell: unknown): string => (cell instanceof Uint8Array ? Buffer.from(cell).toString("utf8") : String(cell))
const list = (n: number): string => Array.from({ length: n }, () => "?").join(", ")

/** MySQL prints a column default as its value; a string default of 'x' as x (MariaDB: 'x'). */
const liveDefault = (cell: unknown): string | null => (cell === null || cell === undefined ? null : text(cell))

export const introspectMysql = async (driver: IntrospectionDriver, wanted: ReadonlySet<string> | null): Promise<Array<LiveTable>> => {
  const filter = wanted === null ? "" : wanted.size === 0 ? " AND 1 = 0" : ` AND TABLE_NAME IN (${list(wanted.size)})`
  const tableParams = wanted === null ? [] : [...wanted]
  const names = (
    await driver.rows({
      sql: `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'${filter}`,
      params: tableParams,
    })
  ).map(([n]) => text(n))
  if (names.length === 0) return []
  const inTables = `TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (${list(names.length)})`
  // One after the other: a transaction's driver has a single connection.
  const columnRows = await driver.rows({
    sql: `SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY, EXTRA, COLUMN_DEFAULT
      FROM information_schema.COLUMNS WHERE ${inTables} ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    params: names,
  })
  const indexRows = await driver.rows({
    sql: `SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME
      FROM information_schema.STATISTICS WHERE ${inTables} ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    params: names,
  })
  const fkRows = await driver.rows({
    sql: `SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.REFERENCED_TABLE_NAME, r.DELETE_RULE, k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME
      FROM information_schema.KEY_COLUMN_USAGE k
      JOIN information_schema.REFERENTIAL_CONSTRAINTS r
        ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
      WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME IN (${list(names.length)}) AND k.REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
    params: names,
  })
  const checkRows = await driver.rows({
    sql: `SELECT t.TABLE_NAME, c.CHECK_CLAUSE
      FROM information_schema.TABLE_CONSTRAINTS t
      JOIN information_schema.CHECK_CONSTRAINTS c
        ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME
      WHERE t.CONSTRAINT_TYPE = 'CHECK' AND t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME IN (${list(names.length)})
      ORDER BY t.TABLE_NAME, t.CONSTRAINT_NAME`,
    params: names,
  })
  const columnsOf = groupBy(columnRows, (row) => text(row[0]))
  const indexesOf = groupBy(indexRows, (row) => text(row[0]))
  const fksOf = groupBy(fkRows, (row) => text(row[0]))
  const checksOf = groupBy(checkRows, (row) => text(row[0]))

  return names.map((table): LiveTable => {
    // COLUMN_KEY says PRI also for the first UNIQUE NOT NULL index of a table without a primary
    // key: the PRIMARY index is the truth.
    const primary = new Set((indexesOf.get(table) ?? []).filter((row) => text(row[1]) === "PRIMARY").map((row) => text(row[3])))
    const columns = (columnsOf.get(table) ?? []).map(
      ([, name, type, nullable, key, extra, dflt]): LiveColumn => ({
        column: text(name),
        storage: tidyType(text(type)),
        nullable: text(nullable) === "YES",
        primaryKey: text(key) === "PRI" && primary.has(text(name)),
        autoincrement: /auto_increment/i.test(text(extra)),
        default: liveDefault(dflt) === "NULL" ? null : liveDefault(dflt),
      }),
    )
    const indexes = [...groupBy(indexesOf.get(table) ?? [], (row) => text(row[1])).values()].map(
      (rows): LiveIndex => ({
        name: text(rows[0]![1]),
        columns: rows.map((row) => text(row[3])),
        unique: Number(rows[0]![2]) === 0,
        origin: text(rows[0]![1]) === "PRIMARY" ? "constraint" : "index",
      }),
    )
    const foreignKeys = [...groupBy(fksOf.get(table) ?? [], (row) => text(row[1])).values()].map(
      (rows): LiveForeignKey => ({
        name: text(rows[0]![1]),
        columns: rows.map((row) => text(row[4])),
        targetTable: text(rows[0]![2]),
        targetColumns: rows.map((row) => text(row[5])),
        onDelete: ON_DELETE[text(rows[0]![3]).toUpperCase()] ?? "no action",
      }),
    )
    const checks = (checksOf.get(table) ?? []).map((row) => text(row[1]))
    return { table, columns, indexes, foreignKeys, checks }
  })
}
