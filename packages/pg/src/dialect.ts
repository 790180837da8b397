/**
 * The PostgreSQL dialect: storage types, value encoding and decoding, compiler hooks, DDL
 * pieces and introspection for PostgreSQL. Imports nothing but `@ferro/core`, so it loads
 * without the driver (`@ferro/pg/dialect`).
 *
 * @module
 */
import {
  type ColumnMetadata,
  type Dialect,
  type IntrospectionDriver,
  MigrationError,
  type ModelMetadata,
  type StorageColumn,
  ValidationError,
  dbTypeOverride,
  quoteIdentifier as q,
  standardAggregate,
  standardAlterColumn,
  standardDropIndex,
  standardExcluded,
  standardNullsOrder,
  standardUpsert,
} from "@ferro/core/internal"
import { introspectPostgres } from "./introspect.js"

/** The most parameters the PostgreSQL wire protocol binds in one statement. */
export const POSTGRES_MAX_PARAMETERS = 65535

const NAME = "postgres"

const storageType = (column: StorageColumn): string => {
  const override = dbTypeOverride(column, NAME)
  if (override !== undefined) return override
  switch (column.type) {
    case "int":
      return "integer"
    case "bigint":
      return "bigint"
    case "float":
      return "double precision"
    case "decimal":
      return column.precision != null ? `numeric(${column.precision}, ${column.scale ?? 0})` : "numeric"
    case "text":
      return column.maxLength != null ? `varchar(${column.maxLength})` : "text"
    case "bool":
      return "boolean"
    case "datetime":
      return "timestamp with time zone"
    case "date":
      return "date"
    case "time":
      return "time"
    case "uuid":
      return "uuid"
    case "bytes":
      return "bytea"
    case "json":
      return "jsonb"
    case "enum":
      return "text"
  }
}

/** How a PostgreSQL cell (always text: the driver disables pg's own parsing) becomes a value. */
const decoder = (column: ColumnMetadata): string | null => {
  switch (column.type) {
    case "int":
    case "float":
      return "+v"
    case "bigint":
      return "BigInt(v)"
    case "bool":
      return '(v === "t")'
    case "datetime":
      return "helpers.pgTimestamp(v)"
    case "json":
      return "JSON.parse(v)"
    case "bytes":
      return "helpers.pgBytes(v)"
    case "decimal":
    case "text":
    case "enum":
    case "uuid":
    case "date":
    case "time":
      return null
  }
}

/** NUL in a JSON text: the escape `\u0000` preceded by an even number of backslashes. */
const JSON_NUL = /(?<!\\)(?:\\\\)*\\u0000/

const refuseNul = (column: ColumnMetadata, text: string): string => {
  if (column.type === "json" ? JSON_NUL.test(text) : text.includes("\u0000")) {
    throw new ValidationError("PostgreSQL value", [
      { path: column.property, message: "PostgreSQL cannot store the character U+0000 (NUL) in text or JSON" },
    ])
  }
  return text
}

const literal = (value: string): string => `'${value.replace(/'/g, "''")}'`

/** PostgreSQL prints some types under another name than they may be declared with. */
const PG_ALIASES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^char\(/, "character("],
  [/^int4$|^int$/, "integer"],
  [/^int8$/, "bigint"],
  [/^int2$/, "smallint"],
  [/^float8$/, "double precision"],
  [/^float4$/, "real"],
  [/^bool$/, "boolean"],
  [/^timestamptz$/, "timestamp with time zone"],
  [/^character varying/, "varchar"],
]

const norm = (s: string) => {
  let out = s.toLowerCase().replace(/\s+/g, " ").replace(/\s*,\s*/g, ", ").trim()
  for (const [alias, name] of PG_ALIASES) out = out.replace(alias, name)
  return out
}

/**
 * PostgreSQL's `CREATE INDEX IF NOT EXISTS` silently does nothing when *any* relation (a table,
 * say) already has the index's name, which would leave a unique constraint unenforced. Refuse
 * that up front: each existing relation with one of our index names must be that index.
 */
const checkIndexNames = async (driver: IntrospectionDriver, models: ReadonlyArray<ModelMetadata>): Promise<void> => {
  const expected = new Map(models.flatMap((m) => m.indexes.map((i) => [i.name, m.table] as const)))
  if (expected.size === 0) return
  const rows = await driver.rows({
    sql: `SELECT c.relname, c.relkind, t.relname
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_index x ON x.indexrelid = c.oid
          LEFT JOIN pg_class t ON t.oid = x.indrelid
          WHERE n.nspname = current_schema() AND c.relname = ANY($1)`,
    params: [[...expected.keys()]],
  })
  for (const [name, kind, table] of rows) {
    const wanted = expected.get(name as string)
    if (kind !== "i" || table !== wanted) {
      throw new MigrationError(
        `Cannot create index "${String(name)}" on "${String(wanted)}": a ${kind === "i" ? `index on "${String(table)}"` : "table or other relation"} with that name already exists. Rename or drop it, then migrate again.`,
      )
    }
  }
}

/** PostgreSQL: `$n` placeholders, native ILIKE, identity columns, catalogs introspection. */
export const postgresDialect: Dialect = {
  name: NAME,
  system: "postgresql",
  returning: true,
  derivedTargetKeys: false,
  nativeIlike: true,
  transactionalDdl: true,
  maxParameters: POSTGRES_MAX_PARAMETERS,

  placeholder: (n) => `$${n}`,
  quoteIdentifier: q,
  like: (column, pattern) => `${column} LIKE ${pattern}`,
  ilike: (column, pattern) => `${column} ILIKE ${pattern}`,
  asText: (column, sql) => (column.type === "text" || column.type === "enum" ? sql : `${sql}::text`),
  ordered: (_column, sql) => sql,
  checkedRange: (_column, sql) => sql,
  aggregate: (fn, _type, argument, distinct) => standardAggregate(fn, argument, distinct),
  integerOperand: (sql) => sql,
  integerDivide: "/",
  nullsOrder: standardNullsOrder,
  upsert: standardUpsert,
  excluded: standardExcluded,
  unlimited: null,
  lockingRead: null,
  /** Identity columns do not advance when a row supplies its own key; setval() catches up. */
  syncKeyGenerator: (table, column) => ({
    sql: `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT MAX(${q(column.column)}) FROM ${q(table)}), 1))`,
    params: [q(table), column.column],
  }),

  storageType,

  encodeBoolean: (value) => value,
  encodeText: refuseNul,
  encodeDatetime: (value) => value.toISOString(),
  decoder,
  decoderHelpers: {
    /** PostgreSQL `timestamptz` text in a UTC, ISO-DateStyle session: `2024-01-02 03:04:05.678+00`. */
    pgTimestamp: (v: string): Date =>
      v.length >= 22 && v.endsWith("+00") && v.charCodeAt(4) === 45
        ? new Date(`${v.slice(0, 10)}T${v.slice(11, -3)}Z`)
        : new Date(v.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00")),
    /** PostgreSQL `bytea` hex text: `\\x0102ff`. */
    pgBytes: (v: string): Uint8Array => new Uint8Array(Buffer.from(v.slice(2), "hex")),
  },
  readsBigints: false,
  epochDatetimes: false,

  autoincrementPrimaryKey: "GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
  tableOptions: "",
  booleanLiteral: (value) => (value ? "TRUE" : "FALSE"),
  // Tables in a reference cycle: the later foreign keys are added once both tables exist.
  forwardReferences: false,
  addForeignKey: (model, fk, clause) =>
    `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = ${literal(fk.name)} AND conrelid = to_regclass(${literal(q(model.table))})) THEN ALTER TABLE ${q(model.table)} ADD ${clause}; END IF; END $$`,
  sameStorage: (model, live) => norm(model) === norm(live),
  checkIndexNames,
  alterColumn: standardAlterColumn,
  dropIndex: standardDropIndex,
  tableRebuild: null,

  introspect: introspectPostgres,

  sqlClientDialect: "pg",
  sqlClientIdentifier: q,
}
