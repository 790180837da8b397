/**
 * The MySQL / MariaDB dialect: storage types, value encoding and decoding, compiler hooks, DDL
 * pieces and introspection. Imports nothing but `@ferro/core`, so it loads without the driver
 * (`@ferro/mysql/dialect`).
 *
 * Ferro's SQL quotes identifiers with double quotes: every connection runs with `ANSI_QUOTES`
 * (and `NO_BACKSLASH_ESCAPES`, `PIPES_AS_CONCAT`, strict mode), so one quoting serves all
 * dialects and string literals follow standard SQL. Tables are created `utf8mb4` with the
 * binary collation, so text compares and sorts by code point and is case-sensitive, as on
 * SQLite and PostgreSQL.
 *
 * @module
 */
import {
  type ColumnMetadata,
  type Dialect,
  type ForeignKeyMetadata,
  type ModelMetadata,
  type OnDelete,
  type StorageColumn,
  ValidationError,
  dbTypeOverride,
  quoteIdentifier as q,
  standardAggregate,
} from "@ferro/core/internal"
import { introspectMysql } from "./introspect.js"

/** The most parameters one MySQL prepared statement binds (a 16-bit count). */
export const MYSQL_MAX_PARAMETERS = 65535

const NAME = "mysql"

/**
 * Text without a `maxLength` is `longtext`; as a key (primary key, unique, indexed) it is
 * `varchar(255)`, since MySQL indexes no unbounded text. Give such a field a `maxLength` to
 * choose another bound.
 */
const KEY_TEXT = "varchar(255)"

const keyed = (column: StorageColumn): boolean => {
  const c = column as Partial<ColumnMetadata>
  return c.primaryKey === true || c.unique === true || c.index === true
}

const storageType = (column: StorageColumn): string => {
  const override = dbTypeOverride(column, NAME)
  if (override !== undefined) return override
  switch (column.type) {
    case "int":
      return "int"
    case "bigint":
      return "bigint"
    case "float":
      return "double"
    case "decimal":
      // MySQL's bare DECIMAL is DECIMAL(10,0): the widest exact type stands in for "any".
      return column.precision != null ? `decimal(${column.precision}, ${column.scale ?? 0})` : "decimal(65, 30)"
    case "text":
      return column.maxLength != null ? `varchar(${column.maxLength})` : keyed(column) ? KEY_TEXT : "longtext"
    case "bool":
      return "tinyint(1)"
    case "datetime":
      return "datetime(6)"
    case "date":
      return "date"
    case "time":
      return "time(6)"
    case "uuid":
      return "char(36)"
    case "bytes":
      return keyed(column) ? "varbinary(255)" : "longblob"
    case "json":
      return "json"
    case "enum":
      return KEY_TEXT
  }
}

/**
 * How a MySQL cell becomes a value. The driver reads BIGINT and DECIMAL as strings, dates and
 * times as strings, JSON as text and bytes as Buffers; INT and DOUBLE arrive as numbers (as
 * strings from aggregates), which `+v` takes either way.
 */
const decoder = (column: ColumnMetadata): string | null => {
  switch (column.type) {
    case "int":
    case "float":
      return "+v"
    case "bigint":
      return "BigInt(v)"
    case "bool":
      return "(+v !== 0)"
    case "datetime":
      return "helpers.mysqlDatetime(v)"
    case "json":
      return "helpers.mysqlJson(v)"
    case "bytes":
      return "helpers.mysqlBytes(v)"
    case "decimal":
      return column.precision == null ? "helpers.mysqlDecimal(v)" : null
    case "time":
      return "helpers.mysqlTime(v)"
    case "text":
    case "enum":
    case "uuid":
      return null
    case "date":
      return "String(v)"
  }
}

/**
 * An unconstrained decimal is DECIMAL(65,30): MySQL refuses more than 35 integer digits (out of
 * range) but rounds more than 30 fraction digits with only a note. Refuse that before any SQL,
 * as the other backends store such a value exactly. (A declared scale rounds on every database.)
 */
const encodeDecimal = (column: ColumnMetadata, value: string): string => {
  if (column.precision != null) return value
  const digits = /^[+-]?(\d*)(?:\.(\d*))?(?:e[+-]?\d+)?$/i.exec(value)
  const integer = (digits?.[1] ?? "").replace(/^0+/, "").length
  const fraction = (digits?.[2] ?? "").replace(/0+$/, "").length
  if (integer > 35 || fraction > 30) {
    throw new ValidationError("MySQL value", [
      {
        path: column.property,
        message: `MySQL stores a decimal without precision as DECIMAL(65,30): at most 35 integer and 30 fraction digits (got ${integer} and ${fraction}); declare the field's precision and scale`,
      },
    ])
  }
  return value
}

/** `2024-01-02 03:04:05.678` (UTC): what a DATETIME(6) column is given for a Date. */
const encodeDatetime = (value: Date): string => value.toISOString().slice(0, 23).replace("T", " ")

/** MySQL prints types with display widths and aliases; compare them without. */
const norm = (s: string): string =>
  s
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/\s*,\s*/g, ",")
    .replace(/^(int|bigint|smallint|mediumint)\(\d+\)/, "$1")
    .replace(/^integer/, "int")
    .replace(/^boolean$|^bool$/, "tinyint(1)")
    .replace(/^double precision$|^real$/, "double")
    .replace(/^numeric/, "decimal")
    .replace(/ (unsigned|zerofill)$/, "")
    .trim()

/** MariaDB stores JSON as `longtext` with a JSON_VALID check. */
const sameStorage = (model: string, live: string): boolean => {
  const a = norm(model)
  const b = norm(live)
  return a === b || (a === "json" && b === "longtext") || (a === "longtext" && b === "json")
}

/**
 * MariaDB's utf8mb4_bin is a PAD SPACE collation: 'a' and 'a ' compare equal (and collide in a
 * unique index). Text columns there take the NO PAD binary collation, in a comment only
 * MariaDB reads (MySQL 8 keeps the table's utf8mb4_bin, which pads too; its NO PAD binary
 * collation, utf8mb4_0900_bin, is unknown to MariaDB 10).
 */
const MARIADB_NO_PAD = " /*M!100202 COLLATE utf8mb4_nopad_bin */"

/** MySQL's identifier limit, in characters. */
const MAX_IDENTIFIER = 64

const identifierProblem = (name: string): string | null =>
  [...name].length > MAX_IDENTIFIER
    ? `is longer than ${MAX_IDENTIFIER} characters`
    : name.endsWith(" ")
      ? "ends with a space"
      : name.includes("\u0000")
        ? "holds the character U+0000 (NUL)"
        : // Identifiers are stored as 3-byte utf8: "rel_😀" is an "Invalid utf8mb4 character string".
          [...name].some((ch) => ch.codePointAt(0)! > 0xffff)
          ? "holds a character beyond the Basic Multilingual Plane (such as an emoji)"
          : null

/**
 * InnoDB parses `ON DELETE SET DEFAULT` but does not enforce it: the key silently becomes
 * RESTRICT. Ferro writes no column DEFAULT for a key, so its default is NULL and SET DEFAULT
 * means SET NULL; a NOT NULL key has no default to take, so deleting the parent is refused
 * (RESTRICT), as the NOT NULL violation refuses it elsewhere.
 */
const foreignKeyAction = (fk: ForeignKeyMetadata, model: ModelMetadata | undefined): OnDelete => {
  if (fk.onDelete !== "set default") return fk.onDelete
  const nullable = fk.columns.every((name) => model?.columns.find((c) => c.column === name)?.nullable === true)
  return nullable ? "set null" : "restrict"
}

const trimDecimal = (v: string): string => (v.includes(".") ? v.replace(/\.?0+$/, "") : v)

/**
 * MySQL 8 and MariaDB 10.5+: `?` placeholders, `ON DUPLICATE KEY UPDATE`, no RETURNING (so
 * written rows are read back by key: one more statement per row or batch), implicit commits
 * around DDL.
 */
export const mysqlDialect: Dialect = {
  name: NAME,
  system: "mysql",
  returning: false,
  derivedTargetKeys: true,
  nativeIlike: false,
  transactionalDdl: false,
  maxParameters: MYSQL_MAX_PARAMETERS,

  placeholder: () => "?",
  quoteIdentifier: q,
  // NO_BACKSLASH_ESCAPES leaves LIKE without an escape character unless one is named.
  like: (column, pattern) => `${column} LIKE ${pattern} ESCAPE '\\'`,
  ilike: (column, pattern) => `LOWER(${column}) LIKE LOWER(${pattern}) ESCAPE '\\'`,
  asText: (column, sql) => (column.type === "text" || column.type === "enum" ? sql : `CAST(${sql} AS CHAR)`),
  ordered: (_column, sql) => sql,
  // Strict mode refuses out-of-range writes itself (error 1264).
  checkedRange: (_column, sql) => sql,
  aggregate: (fn, type, argument, distinct) => {
    const sql = standardAggregate(fn, argument, distinct)
    // SUM of integers is DECIMAL in MySQL; keep it an integer, as elsewhere.
    if (fn === "sum" && (type?.type === "int" || type?.type === "bigint")) return `CAST(${sql} AS SIGNED)`
    return sql
  },
  integerOperand: (sql) => sql,
  integerDivide: "DIV",
  // No NULLS FIRST/LAST: sort on "is null" first (NULLs come first in ascending order).
  nullsOrder: (sql, nulls) => {
    const expression = sql.replace(/ (ASC|DESC)$/i, "")
    return `(${expression} IS NULL) ${nulls === "first" ? "DESC" : "ASC"}, ${sql}`
  },
  // Any unique key collides (there is no conflict target); "keep the existing row" is a no-op
  // assignment of the first conflict column.
  upsert: (_table, conflictColumns, set, insertedColumns = []) => {
    if (set.length > 0) return `ON DUPLICATE KEY UPDATE ${set.map(([column, value]) => `${column} = ${value}`).join(", ")}`
    const kept = conflictColumns?.[0] ?? insertedColumns[0]
    if (kept === undefined) throw new Error("MySQL's ON DUPLICATE KEY UPDATE needs a column to assign")
    return `ON DUPLICATE KEY UPDATE ${kept} = ${kept}`
  },
  excluded: (column) => `VALUES(${column})`,
  unlimited: "18446744073709551615",
  lockingRead: " LOCK IN SHARE MODE",
  // AUTO_INCREMENT moves past explicitly inserted keys by itself.
  syncKeyGenerator: () => null,

  storageType,

  encodeBoolean: (value) => (value ? 1 : 0),
  encodeText: (_column, text) => text,
  encodeDecimal,
  encodeDatetime,
  decoder,
  decoderHelpers: {
    /** DATETIME(6) text, UTC: `2024-01-02 03:04:05.678000`. */
    mysqlDatetime: (v: string): Date => new Date(`${v.slice(0, 10)}T${v.slice(11)}Z`),
    /** JSON arrives as text (MariaDB's JSON is longtext; the driver keeps MySQL's as text too). */
    mysqlJson: (v: string | Buffer): unknown => JSON.parse(typeof v === "string" ? v : v.toString("utf8")),
    mysqlBytes: (v: Buffer): Uint8Array => new Uint8Array(v),
    /** An unconstrained decimal is DECIMAL(65,30): its trailing zeros are storage, not value. */
    mysqlDecimal: trimDecimal,
    /** TIME(6) prints six fraction digits: the canonical time has none trailing. */
    mysqlTime: (v: string): string => (v.includes(".") ? v.replace(/\.?0+$/, "") : v),
  },
  readsBigints: false,
  epochDatetimes: false,

  autoincrementPrimaryKey: "AUTO_INCREMENT PRIMARY KEY",
  tableOptions: " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
  booleanLiteral: (value) => (value ? "TRUE" : "FALSE"),
  forwardReferences: false,
  // MariaDB's `FOREIGN KEY IF NOT EXISTS` makes the late foreign key idempotent.
  addForeignKey: (model, _fk, clause) => `ALTER TABLE ${q(model.table)} ADD ${clause.replace(" FOREIGN KEY (", " FOREIGN KEY IF NOT EXISTS (")}`,
  // MODIFY restates the whole column: type and nullability in one statement (an implicit cast).
  alterColumn: (table, column, change) => [
    `ALTER TABLE ${q(table)} MODIFY COLUMN ${q(column.column)} ${change.storage}${column.nullable ? " NULL" : " NOT NULL"}`,
  ],
  // Index names are per table in MySQL.
  dropIndex: (table, name) => `DROP INDEX IF EXISTS ${q(name)} ON ${q(table)}`,
  sameStorage,
  tableRebuild: null,
  columnCollation: (column) => (column.type === "text" || column.type === "enum" ? MARIADB_NO_PAD : ""),
  foreignKeyAction,
  identifierProblem,

  introspect: introspectMysql,

  sqlClientDialect: "mysql",
  sqlClientIdentifier: (name) => `\`${name.replace(/`/g, "``")}\``,
}
