/**
 * SQLite live-schema introspection: the `pragma_*` table-valued functions plus the
 * `CREATE TABLE` text in `sqlite_master` (for AUTOINCREMENT, CHECK and `WITHOUT ROWID`).
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
  type Token,
  checkExpressions,
  groupBy,
  isWord,
  matchingParen,
  tidyType,
  tokenize,
} from "@ferro/core/internal"

const SQLITE_ON_DELETE: Readonly<Record<string, OnDelete>> = {
  "NO ACTION": "no action",
  RESTRICT: "restrict",
  CASCADE: "cascade",
  "SET NULL": "set null",
  "SET DEFAULT": "set default",
}

/** The items of a `CREATE INDEX ... ON t (a, lower(b) DESC)`, without ASC/DESC/COLLATE. */
const sqliteIndexItems = (sql: string): Array<string> => {
  const tokens = tokenize(sql)
  const on = tokens.findIndex((t) => isWord(t, "ON"))
  const open = tokens.findIndex((t, i) => i > on && t.kind === "punct" && t.text === "(")
  if (on === -1 || open === -1) return []
  const close = matchingParen(tokens, open)
  if (close === -1) return []
  const items: Array<string> = []
  let depth = 0
  let from = open + 1
  const flush = (to: number) => {
    let last = to - 1
    // Drop trailing ordering / collation: `... COLLATE nocase DESC`.
    if (isWord(tokens[last], "ASC") || isWord(tokens[last], "DESC")) last--
    if (last - 1 >= from && isWord(tokens[last - 1], "COLLATE")) last -= 2
    items.push(last >= from ? sql.slice(tokens[from]!.start, tokens[last]!.end) : "")
    from = to + 1
  }
  for (let i = open + 1; i < close; i++) {
    const t = tokens[i]!
    if (t.kind !== "punct") continue
    if (t.text === "(") depth++
    else if (t.text === ")") depth--
    else if (t.text === "," && depth === 0) flush(i)
  }
  flush(close)
  return items
}

/** `WITHOUT ROWID` after the column list of a CREATE TABLE. */
const isWithoutRowid = (tokens: ReadonlyArray<Token>): boolean => {
  const open = tokens.findIndex((t) => t.kind === "punct" && t.text === "(")
  const close = open === -1 ? -1 : matchingParen(tokens, open)
  if (close === -1) return false
  return tokens.slice(close + 1).some((t, i, rest) => isWord(t, "WITHOUT") && isWord(rest[i + 1], "ROWID"))
}

export const introspectSqlite = async (driver: IntrospectionDriver, wanted: ReadonlySet<string> | null): Promise<Array<LiveTable>> => {
  const master = await driver.rows({
    // SQLite reserves every name starting with sqlite_ (any case) for itself.
    sql: `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND lower(substr(name, 1, 7)) <> 'sqlite_'`,
    params: [],
  })
  const indexSql = new Map(
    (
      await driver.rows({ sql: `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`, params: [] })
    ).map(([name, sql]) => [String(name), String(sql)] as const),
  )
  const out: Array<LiveTable> = []
  for (const [nameCell, sqlCell] of master) {
    const table = String(nameCell)
    if (wanted !== null && !wanted.has(table)) continue
    const createSql = typeof sqlCell === "string" ? sqlCell : ""
    const tokens = tokenize(createSql)
    const withoutRowid = isWithoutRowid(tokens)
    const autoincrement = tokens.some((t) => isWord(t, "AUTOINCREMENT"))

    const columnRows = await driver.rows({
      sql: `SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?, 'main') ORDER BY cid`,
      params: [table],
    })
    const visible = columnRows.filter((row) => Number(row[5]) !== 1) // 1: a virtual table's hidden column
    const pkCount = visible.filter((row) => Number(row[4]) > 0).length
    const columns: Array<LiveColumn> = visible.map(([name, type, notnull, dflt, pk]) => {
      const storage = tidyType(String(type ?? ""))
      const primaryKey = Number(pk) > 0
      // The single INTEGER PRIMARY KEY of a rowid table is the rowid: never NULL. So is every
      // key column of a WITHOUT ROWID table. Other key columns accept NULL unless NOT NULL.
      const rowidAlias = primaryKey && pkCount === 1 && !withoutRowid && storage === "integer"
      return {
        column: String(name),
        storage,
        nullable: Number(notnull) === 0 && !rowidAlias && !(primaryKey && withoutRowid),
        primaryKey,
        autoincrement: autoincrement && rowidAlias,
        default: dflt === null || dflt === undefined ? null : String(dflt),
      }
    })

    const indexes: Array<LiveIndex> = []
    const indexRows = await driver.rows({
      sql: `SELECT name, "unique", origin FROM pragma_index_list(?, 'main') ORDER BY name`,
      params: [table],
    })
    for (const [indexCell, unique, origin] of indexRows) {
      const name = String(indexCell)
      const keyRows = await driver.rows({
        sql: `SELECT cid, name FROM pragma_index_info(?, 'main') ORDER BY seqno`,
        params: [name],
      })
      const needsSql = keyRows.some(([cid]) => Number(cid) < 0)
      const items = needsSql ? sqliteIndexItems(indexSql.get(name) ?? "") : []
      indexes.push({
        name,
        // A key on an expression (cid -2) is reported as its text; on the rowid (cid -1) as "rowid".
        columns: keyRows.map(([cid, column], k) =>
          Number(cid) === -1 ? "rowid" : column === null ? (items[k] ?? "") : String(column),
        ),
        unique: Number(unique) === 1,
        origin: origin === "c" ? "index" : "constraint",
      })
    }

    const fkRows = await driver.rows({
      sql: `SELECT id, "table", "from", "to", on_delete FROM pragma_foreign_key_list(?, 'main') ORDER BY id DESC, seq`,
      params: [table],
    })
    const foreignKeys: Array<LiveForeignKey> = []
    // SQLite numbers foreign keys from the last declared; ORDER BY id DESC gives declaration order.
    for (const rows of groupBy(fkRows, (row) => String(row[0])).values()) {
      const targetTable = String(rows[0]![1])
      let targetColumns = rows.map((row) => (row[3] === null ? null : String(row[3])))
      if (targetColumns.some((c) => c === null)) {
        // `REFERENCES parent` without columns: the parent's primary key.
        const pk = await driver.rows({
          sql: `SELECT name FROM pragma_table_info(?, 'main') WHERE pk > 0 ORDER BY pk`,
          params: [targetTable],
        })
        targetColumns = pk.length === rows.length ? pk.map(([n]) => String(n)) : targetColumns
      }
      foreignKeys.push({
        name: null,
        columns: rows.map((row) => String(row[2])),
        targetTable,
        targetColumns: targetColumns.map((c) => c ?? ""),
        onDelete: SQLITE_ON_DELETE[String(rows[0]![4]).toUpperCase()] ?? "no action",
      })
    }

    out.push({ table, columns, indexes, foreignKeys, checks: checkExpressions(createSql) })
  }
  return out
}
