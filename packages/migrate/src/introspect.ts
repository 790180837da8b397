/**
 * Live-schema introspection: reads the tables, columns, indexes, foreign keys and CHECK
 * constraints a database actually has, in the shapes of `./live.ts`.
 *
 * SQLite is read through the `pragma_*` table-valued functions plus the `CREATE TABLE` text in
 * `sqlite_master` (for AUTOINCREMENT, CHECK and `WITHOUT ROWID`); PostgreSQL through the
 * catalogs (`pg_class`, `pg_attribute`, `pg_index`, `pg_constraint`), one query per kind of
 * object for all tables at once.
 *
 * @module
 */
import type { Driver, OnDelete } from "@ferro/core"
import type { LiveColumn, LiveForeignKey, LiveIndex, LiveTable } from "./live.js"

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
  const live = driver.dialect === "sqlite" ? await introspectSqlite(driver, wanted) : await introspectPostgres(driver, wanted)
  return [...live].sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0))
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

/**
 * A storage type spelled like Ferro writes it: lower case, single spaces, no space inside
 * parentheses, `", "` between arguments (`Varchar( 20 )` -> `varchar(20)`, `numeric(10,2)` ->
 * `numeric(10, 2)`). Quoted names (PostgreSQL user types such as `"Mood"`) keep their case.
 */
const tidyType = (type: string): string => {
  const tidied = type
    .trim()
    .replace(/\s+/g, " ")
    .replace(/\s*\(\s*/g, "(")
    .replace(/\s*\)/g, ")")
    .replace(/\s*,\s*/g, ", ")
  return tidied.includes('"') ? tidied : tidied.toLowerCase()
}

/**
 * A PostgreSQL `format_type()` spelling in Ferro's: `character varying(n)` -> `varchar(n)`,
 * `numeric(p,s)` -> `numeric(p, s)`, `time without time zone` -> `time`, `timestamp without
 * time zone` -> `timestamp` (with their precisions and array suffixes). Other spellings
 * (`integer`, `timestamp with time zone`, `double precision`, `jsonb`, ...) are kept.
 */
export const normalizePostgresType = (formatted: string): string =>
  tidyType(formatted)
    .replace(/^character varying\b/, "varchar")
    .replace(/^(time|timestamp)(\(\d+\))? without time zone\b/, "$1$2")

interface Token {
  readonly kind: "word" | "quoted" | "string" | "punct"
  readonly text: string
  readonly start: number
  readonly end: number
}

/**
 * Splits SQL text into words, quoted identifiers, string literals and punctuation, skipping
 * whitespace and comments: enough to find keywords and balanced parentheses without being
 * fooled by a `)` or a keyword inside a literal or an identifier.
 */
const tokenize = (sql: string): Array<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  const closing = (quote: string, from: number): number => {
    // Doubled quotes escape themselves ('it''s', "a""b"); [..] has no escape.
    let j = from
    for (;;) {
      const k = sql.indexOf(quote, j)
      if (k === -1) return sql.length
      if (quote !== "]" && sql[k + 1] === quote) {
        j = k + 2
        continue
      }
      return k + 1
    }
  }
  while (i < sql.length) {
    const c = sql[i]!
    if (/\s/.test(c)) {
      i++
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i)
      i = end === -1 ? sql.length : end + 1
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2)
      i = end === -1 ? sql.length : end + 2
    } else if (c === "'") {
      const end = closing("'", i + 1)
      tokens.push({ kind: "string", text: sql.slice(i, end), start: i, end })
      i = end
    } else if (c === '"' || c === "`" || c === "[") {
      const end = closing(c === "[" ? "]" : c, i + 1)
      tokens.push({ kind: "quoted", text: sql.slice(i, end), start: i, end })
      i = end
    } else if (/[\p{L}\p{N}_$]/u.test(c)) {
      let j = i + 1
      while (j < sql.length && /[\p{L}\p{N}_$.]/u.test(sql[j]!) && !(sql[j] === "." && !/\d/.test(c))) j++
      tokens.push({ kind: "word", text: sql.slice(i, j), start: i, end: j })
      i = j
    } else {
      tokens.push({ kind: "punct", text: c, start: i, end: i + 1 })
      i++
    }
  }
  return tokens
}

const isWord = (token: Token | undefined, word: string): boolean =>
  token !== undefined && token.kind === "word" && token.text.toUpperCase() === word

/** Index of the `)` that closes the `(` at `open`, or -1. */
const matchingParen = (tokens: ReadonlyArray<Token>, open: number): number => {
  let depth = 0
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!
    if (t.kind !== "punct") continue
    if (t.text === "(") depth++
    else if (t.text === ")" && --depth === 0) return i
  }
  return -1
}

/** The expression inside each `CHECK (...)` of a statement, in order, as written. */
const checkExpressions = (sql: string): Array<string> => {
  const tokens = tokenize(sql)
  const out: Array<string> = []
  for (let i = 0; i < tokens.length - 1; i++) {
    if (!isWord(tokens[i], "CHECK") || tokens[i + 1]!.text !== "(" || tokens[i + 1]!.kind !== "punct") continue
    const close = matchingParen(tokens, i + 1)
    if (close === -1) break
    out.push(sql.slice(tokens[i + 1]!.end, tokens[close]!.start).trim())
    i = close
  }
  return out
}

/** Groups rows by a key, keeping row order within each group. */
const groupBy = <T>(rows: ReadonlyArray<T>, key: (row: T) => string): Map<string, Array<T>> => {
  const groups = new Map<string, Array<T>>()
  for (const row of rows) {
    const k = key(row)
    const group = groups.get(k)
    if (group === undefined) groups.set(k, [row])
    else group.push(row)
  }
  return groups
}

// ---------------------------------------------------------------------------------------------
// SQLite

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

const introspectSqlite = async (driver: IntrospectionDriver, wanted: ReadonlySet<string> | null): Promise<Array<LiveTable>> => {
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

// ---------------------------------------------------------------------------------------------
// PostgreSQL

const POSTGRES_ON_DELETE: Readonly<Record<string, OnDelete>> = {
  a: "no action",
  r: "restrict",
  c: "cascade",
  n: "set null",
  d: "set default",
}

/** `pg_class` rows of the tables to read: ordinary and partitioned tables in current_schema(). */
const TABLES_SQL = `SELECT c.relname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND ($1::text[] IS NULL OR c.relname = ANY($1::text[]))`

/** Restricts `c` (a pg_class alias) to the tables of TABLES_SQL named in `$1`. */
const IN_TABLES = `c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
  AND c.relkind IN ('r', 'p') AND c.relname = ANY($1::text[])`

const COLUMNS_SQL = `SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
    EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY(i.indkey)),
    a.attidentity <> '' OR (pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%'
      AND pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) IS NOT NULL),
    pg_get_expr(d.adbin, d.adrelid)
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
  WHERE ${IN_TABLES}
  ORDER BY c.relname, a.attnum`

/** One row per key column of each index (INCLUDE columns left out). */
const INDEXES_SQL = `SELECT c.relname, ic.relname, i.indisunique,
    EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = c.oid AND k.contype IN ('p', 'u', 'x')),
    CASE WHEN i.indkey[s.n - 1] = 0 THEN pg_get_indexdef(i.indexrelid, s.n, true) ELSE a.attname END
  FROM pg_class c
  JOIN pg_index i ON i.indrelid = c.oid
  JOIN pg_class ic ON ic.oid = i.indexrelid
  CROSS JOIN LATERAL generate_series(1, i.indnkeyatts) AS s(n)
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[s.n - 1]
  WHERE ${IN_TABLES}
  ORDER BY c.relname, ic.relname, s.n`

const FOREIGN_KEYS_SQL = `SELECT c.relname, k.conname, t.relname, k.confdeltype, a.attname, fa.attname
  FROM pg_class c
  JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f'
  JOIN pg_class t ON t.oid = k.confrelid
  CROSS JOIN LATERAL unnest(k.conkey, k.confkey) WITH ORDINALITY AS u(attnum, fattnum, ord)
  JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
  JOIN pg_attribute fa ON fa.attrelid = k.confrelid AND fa.attnum = u.fattnum
  WHERE ${IN_TABLES}
  ORDER BY c.relname, k.conname, u.ord`

const CHECKS_SQL = `SELECT c.relname, pg_get_constraintdef(k.oid)
  FROM pg_class c
  JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'c'
  WHERE ${IN_TABLES}
  ORDER BY c.relname, k.conname`

/** PostgreSQL sends every cell as text here: `t`/`f` for booleans. */
const pgBool = (cell: unknown): boolean => cell === true || cell === "t" || cell === "true"
const text = (cell: unknown): string => String(cell)

const introspectPostgres = async (driver: IntrospectionDriver, wanted: ReadonlySet<string> | null): Promise<Array<LiveTable>> => {
  const names = (await driver.rows({ sql: TABLES_SQL, params: [wanted === null ? null : [...wanted]] })).map(([n]) => text(n))
  if (names.length === 0) return []
  const params = [names]
  // One after the other: a transaction's driver has a single connection.
  const columnRows = await driver.rows({ sql: COLUMNS_SQL, params })
  const indexRows = await driver.rows({ sql: INDEXES_SQL, params })
  const fkRows = await driver.rows({ sql: FOREIGN_KEYS_SQL, params })
  const checkRows = await driver.rows({ sql: CHECKS_SQL, params })
  const columnsOf = groupBy(columnRows, (row) => text(row[0]))
  const indexesOf = groupBy(indexRows, (row) => text(row[0]))
  const fksOf = groupBy(fkRows, (row) => text(row[0]))
  const checksOf = groupBy(checkRows, (row) => text(row[0]))

  return names.map((table): LiveTable => {
    const columns = (columnsOf.get(table) ?? []).map(
      ([, name, type, notnull, pk, auto, dflt]): LiveColumn => ({
        column: text(name),
        storage: normalizePostgresType(text(type)),
        nullable: !pgBool(notnull),
        primaryKey: pgBool(pk),
        autoincrement: pgBool(auto),
        default: dflt === null || dflt === undefined ? null : text(dflt),
      }),
    )
    const indexes = [...groupBy(indexesOf.get(table) ?? [], (row) => text(row[1])).values()].map(
      (rows): LiveIndex => ({
        name: text(rows[0]![1]),
        columns: rows.map((row) => text(row[4])),
        unique: pgBool(rows[0]![2]),
        origin: pgBool(rows[0]![3]) ? "constraint" : "index",
      }),
    )
    const foreignKeys = [...groupBy(fksOf.get(table) ?? [], (row) => text(row[1])).values()].map(
      (rows): LiveForeignKey => ({
        name: text(rows[0]![1]),
        columns: rows.map((row) => text(row[4])),
        targetTable: text(rows[0]![2]),
        targetColumns: rows.map((row) => text(row[5])),
        onDelete: POSTGRES_ON_DELETE[text(rows[0]![3])] ?? "no action",
      }),
    )
    const checks = (checksOf.get(table) ?? []).flatMap((row) => checkExpressions(text(row[1])))
    return { table, columns, indexes, foreignKeys, checks }
  })
}
