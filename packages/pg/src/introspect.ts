/**
 * PostgreSQL live-schema introspection through the catalogs (`pg_class`, `pg_attribute`,
 * `pg_index`, `pg_constraint`), one query per kind of object for all tables at once.
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
  checkExpressions,
  groupBy,
  tidyType,
} from "@ferro/core/internal"

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

export const introspectPostgres = async (driver: IntrospectionDriver, wanted: ReadonlySet<string> | null): Promise<Array<LiveTable>> => {
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
