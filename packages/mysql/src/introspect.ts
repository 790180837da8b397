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

/**
 * A column type spelled the way `dialect.storageType` writes it: integer display widths
 * (MariaDB's `int(11)`, `bigint(20)`) dropped, except `tinyint(1)`, which is Ferro's boolean.
 */
const storageOf = (type: string): string =>
  tidyType(type).replace(/^(tinyint|smallint|mediumint|int|bigint)\((\d+)\)/, (whole, name: string, width: string) =>
    name === "tinyint" && width === "1" ? whole : name,
  )

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** MariaDB's JSON: a `longtext` column with a column-level `json_valid(column)` CHECK. */
const jsonCheck = (column: string, clause: string): boolean => {
  const quoted = `(?:"${escapeRegExp(column.replace(/"/g, '""'))}"|\`${escapeRegExp(column.replace(/`/g, "``"))}\`)`
  return new RegExp(`^\\s*json_valid\\(\\s*${quoted}\\s*\\)\\s*$`, "i").test(clause)
}

/** Unique indexes Ferro creates are named `uq_…` (and `idx_…`); see `origin` below. */
const FERRO_INDEX = /^(uq|idx)_/

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
  )
    .map(([n]) => text(n))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
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
  // MariaDB names a column-level CHECK after its column, so the same name recurs across tables:
  // its CHECK_CONSTRAINTS has the table (and the level). MySQL 8's has neither; there a
  // constraint name is unique in the schema.
  const [[levels]] = await driver.rows({
    sql: `SELECT COUNT(*) FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = 'information_schema' AND TABLE_NAME = 'CHECK_CONSTRAINTS' AND COLUMN_NAME = 'LEVEL'`,
    params: [],
  })
  const mariadb = Number(levels) > 0
  const checkRows = await driver.rows({
    sql: mariadb
      ? `SELECT c.TABLE_NAME, c.CHECK_CLAUSE, c.CONSTRAINT_NAME, c.LEVEL
      FROM information_schema.CHECK_CONSTRAINTS c
      WHERE c.CONSTRAINT_SCHEMA = DATABASE() AND c.TABLE_NAME IN (${list(names.length)})
      ORDER BY c.TABLE_NAME, c.CONSTRAINT_NAME`
      : `SELECT t.TABLE_NAME, c.CHECK_CLAUSE, c.CONSTRAINT_NAME, 'Table'
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
    const tableChecks = checksOf.get(table) ?? []
    // Columns whose json_valid CHECK makes them MariaDB's JSON; those checks are the type, not constraints.
    const jsonChecks = new Set<unknown>()
    const isJson = (column: string, type: string): boolean => {
      if (tidyType(type) !== "longtext") return false
      const check = tableChecks.find((row) => text(row[3]) === "Column" && text(row[2]) === column && jsonCheck(column, text(row[1])))
      if (check === undefined) return false
      jsonChecks.add(check)
      return true
    }
    const columns = (columnsOf.get(table) ?? []).map(
      ([, name, type, nullable, key, extra, dflt]): LiveColumn => ({
        column: text(name),
        storage: isJson(text(name), text(type)) ? "json" : storageOf(text(type)),
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
        // MySQL has unique indexes only: a UNIQUE constraint and CREATE UNIQUE INDEX make the
        // same thing, and information_schema lists every unique index as a UNIQUE constraint.
        // One Ferro did not name (uq_/idx_) may be a constraint someone declared, so it is
        // reported as one, and a destructive migration will not drop it with its column.
        origin:
          text(rows[0]![1]) === "PRIMARY" || (Number(rows[0]![2]) === 0 && !FERRO_INDEX.test(text(rows[0]![1])))
            ? "constraint"
            : "index",
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
    const checks = tableChecks.filter((row) => !jsonChecks.has(row)).map((row) => text(row[1]))
    return { table, columns, indexes, foreignKeys, checks }
  })
}
