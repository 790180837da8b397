/**
 * The `Dialect` interface: everything that differs between the databases Ferro speaks, as one
 * object. Each backend package (`@ferro/sqlite`, `@ferro/pg`, ...) exports its dialect; query,
 * hydrate, migrate and transactions receive it (as `driver.dialect`) and never branch on a
 * dialect's name.
 *
 * @module
 */
import type { Statement as SqlStatement } from "effect/sql"
import type { Driver, Statement } from "./driver.js"
import type { ColumnMetadata, ForeignKeyMetadata, ModelMetadata, OnDelete } from "./metadata.js"
import type { LiveTable } from "./live.js"
import { quoteIdentifier } from "./naming.js"

/** What introspection and DDL checks need of a driver (a `TransactionDriver` works too). */
export type IntrospectionDriver = Pick<Driver, "rows" | "objects">

/**
 * The column facts a storage type is derived from: the logical type, its details and the
 * field's `dbType` override (a {@link ColumnMetadata} is one).
 */
export type StorageColumn = Pick<ColumnMetadata, "type" | "maxLength" | "precision" | "scale" | "dbType">

/**
 * A SQL dialect: one object per database, exported by its backend package and carried by
 * every {@link Driver} (`driver.dialect`).
 *
 * It holds
 * - **identity and capabilities**: `name` (for messages and cache keys only: code never
 *   compares it), `returning`, `nativeIlike`, `transactionalDdl`, `maxParameters`;
 * - **compiler hooks** the one generic query compiler calls: placeholders, quoting, LIKE and
 *   ILIKE spellings, text casts, sort keys, range checks, the OFFSET-without-LIMIT spelling,
 *   the INSERT conflict clause (upsert) and the statement that moves a key generator;
 * - **storage types**: the DDL type of a column from its logical type (and `dbType`);
 * - **value encoding and decoding**: how booleans and text are bound, and the decoder
 *   expressions the generated hydrators inline;
 * - **DDL and migration pieces**: the autoincrement key spelling, boolean literals, forward
 *   references, deferred foreign keys, storage-type comparison, index-name checks, and whether
 *   changing a table takes a rebuild;
 * - **introspection** of the live schema;
 * - the `effect/sql` compiler family its SqlClient layer uses.
 *
 * A new database is one new package: a driver, an object implementing this interface, and a
 * `registerBackend` call for its URL schemes.
 */
export interface Dialect {
  /** A short name (sqlite, postgres): for messages and cache keys, never for branching. */
  readonly name: string
  /**
   * The database system as OpenTelemetry names it (`db.system.name`: `sqlite`, `postgresql`):
   * the attribute Ferro's spans carry.
   */
  readonly system: string

  // -- capabilities ---------------------------------------------------------------------------

  /** `INSERT/UPDATE/DELETE ... RETURNING` is supported. */
  readonly returning: boolean
  /**
   * UPDATE and DELETE may not read their own table in a subquery, nor take LIMIT in an `IN`
   * subquery (MySQL): the key subquery of an ordered, paged or joined target goes through a
   * derived table.
   */
  readonly derivedTargetKeys: boolean
  /** The database has a case-insensitive LIKE of its own (`ILIKE`). */
  readonly nativeIlike: boolean
  /** DDL runs inside transactions (and rolls back with them). */
  readonly transactionalDdl: boolean
  /** Most parameters one statement may bind. */
  readonly maxParameters: number

  // -- compiler hooks -------------------------------------------------------------------------

  /** Placeholder for the parameter at 1-based position `n` (`?`, `$1`). */
  placeholder(n: number): string
  /** A quoted identifier (table or column name). */
  quoteIdentifier(name: string): string
  /** `column LIKE pattern`, where a backslash escapes `%`, `_` and itself. */
  like(column: string, pattern: string): string
  /** Case-insensitive LIKE, same escaping. */
  ilike(column: string, pattern: string): string
  /** A column as text, for pattern matching on non-text types. */
  asText(column: ColumnMetadata, sql: string): string
  /** A column (or placeholder) as the database must compare and sort it (e.g. a decimal sort key). */
  ordered(column: ColumnMetadata, sql: string): string
  /**
   * An arithmetic result written to `column`, checked against its range where the database does
   * not. `again`, when given, compiles the same expression once more (binding its parameters
   * again): it is offered only for expressions of columns, values and arithmetic (no subquery,
   * no SQL fragment), which evaluate the same each time, so the range can be tested in SQL and
   * a checking function called only for a value out of range.
   */
  checkedRange(column: ColumnMetadata, sql: string, again?: () => string): string
  /**
   * An aggregate over `argument` (null: `COUNT(*)`), whose argument has logical type `type`.
   * `fn` is `count`, `sum`, `avg`, `min` or `max`.
   */
  aggregate(fn: AggregateFunctionName, type: ColumnMetadata | null, argument: string | null, distinct: boolean): string
  /**
   * A bound integer operand of arithmetic, made an integer where the driver binds JS numbers as
   * floats (so `"views" / ?` truncates as integer division does elsewhere).
   */
  integerOperand(sql: string): string
  /**
   * The operator of integer division (both operands integers): `/` where dividing integers
   * truncates (SQLite, PostgreSQL), `DIV` on MySQL, whose `/` always divides exactly.
   */
  readonly integerDivide: string
  /** `sql` (an ORDER BY term with its direction) with NULLs placed first or last. */
  nullsOrder(sql: string, nulls: "first" | "last"): string
  /**
   * The conflict clause of an `INSERT ... VALUES` (written after the VALUES lists, before
   * RETURNING): what happens to a proposed row that collides with an existing one.
   *
   * - `conflictColumns`: the quoted columns of the unique or primary-key constraint the
   *   collision is detected on (the caller checks they are exactly one such set), or null for
   *   "any unique constraint" (only with an empty `set`).
   * - `set`: `[quoted column, SQL expression]` assignments applied to the existing row; empty
   *   means keep the existing row as it is. An expression reads the proposed row's value of a
   *   column through {@link excluded}.
   *
   * SQLite and PostgreSQL spell it alike: `ON CONFLICT ("email") DO UPDATE SET "name" =
   * excluded."name"`, and `ON CONFLICT DO NOTHING` / `ON CONFLICT ("email") DO NOTHING`.
   * The shape is meant to fit MySQL too: it has no conflict target (any unique key collides),
   * so it would ignore `conflictColumns` for `ON DUPLICATE KEY UPDATE "name" = VALUES("name")`
   * (with `excluded(c)` = `VALUES(c)`), and spell "keep the existing row" as a no-op
   * assignment of the first conflict column (`ON DUPLICATE KEY UPDATE a = a`); its affected-row
   * count reports 2 for an updated row, which such a dialect would document.
   */
  upsert(
    table: string,
    conflictColumns: ReadonlyArray<string> | null,
    set: ReadonlyArray<readonly [column: string, value: string]>,
    /** The quoted columns the INSERT gives values for (MySQL's no-op assignment names one). */
    insertedColumns?: ReadonlyArray<string>,
  ): string
  /**
   * Inside the assignments of {@link upsert}: the value the colliding INSERT proposed for
   * `column` (quoted): `excluded."name"` on SQLite and PostgreSQL, `VALUES(name)` on MySQL.
   */
  excluded(column: string): string
  /**
   * The clause ending a SELECT that must read the newest committed rows rather than the
   * transaction's snapshot (a locking read: ` LOCK IN SHARE MODE` on MySQL, whose default
   * REPEATABLE READ keeps one snapshot per transaction); null where the default isolation reads
   * them anyway (PostgreSQL's READ COMMITTED, SQLite's single writer). The re-read after a lost
   * insert race (`getOrCreate`) uses it.
   */
  readonly lockingRead: string | null
  /**
   * The LIMIT value meaning "no limit", written before an OFFSET that has no LIMIT (SQLite
   * accepts OFFSET only after a LIMIT: `-1`); null where OFFSET may stand alone.
   */
  readonly unlimited: string | null
  /**
   * After rows were inserted with explicit values for a database-assigned key: the statement
   * that moves the key generator past them, or null where none is needed.
   */
  syncKeyGenerator(table: string, column: ColumnMetadata): Statement | null

  // -- storage --------------------------------------------------------------------------------

  /** The column's type in this dialect's DDL, its `dbType` override applied. */
  storageType(column: StorageColumn): string

  // -- values ---------------------------------------------------------------------------------

  /** A boolean as the driver binds it (`1`/`0` where there is no boolean type). */
  encodeBoolean(value: boolean): unknown
  /**
   * Text (or JSON text, for a `json` column) as the driver binds it; throws a
   * `ValidationError` for what the database cannot store.
   */
  encodeText(column: ColumnMetadata, text: string): string
  /**
   * A (valid) decimal string as the driver binds it; throws a `ValidationError` for one the
   * column would store altered (MySQL rounds an unconstrained decimal past 30 fraction digits
   * without an error). Absent: the string as it is.
   */
  encodeDecimal?(column: ColumnMetadata, value: string): string
  /** A (valid) datetime as the driver binds it: ISO-8601 UTC text, or the database's own spelling. */
  encodeDatetime(value: Date): unknown
  /**
   * The decoder of a raw cell of `column`: a JS expression over `v` (the non-null cell) that
   * may call `helpers.<name>` from {@link decoderHelpers}; null when the cell is the value.
   * `bigints` says the statement read integers as `bigint`.
   */
  decoder(column: ColumnMetadata, bigints: boolean): string | null
  /** Functions the decoder expressions call, passed to the generated code as `helpers`. */
  readonly decoderHelpers: Readonly<Record<string, (v: never) => unknown>>
  /** The driver can return integers as `bigint` (`ReadOptions.bigints`); reading a `bigint` column needs it. */
  readonly readsBigints: boolean
  /** The driver may hand datetime cells over as epoch milliseconds (`ReadOptions.epochColumns`). */
  readonly epochDatetimes: boolean

  // -- DDL and migrations ---------------------------------------------------------------------

  /** What follows the type of an autoincrement primary key column in CREATE TABLE. */
  readonly autoincrementPrimaryKey: string
  /** What follows the column list of CREATE TABLE (table options such as a charset), or "". */
  readonly tableOptions: string
  /** A boolean as a SQL literal (defaults, backfills). */
  booleanLiteral(value: boolean): string
  /** CREATE TABLE may reference tables created later in the same batch. */
  readonly forwardReferences: boolean
  /**
   * Where {@link forwardReferences} is false: the idempotent statement adding foreign key `fk`
   * (spelled `clause`) to `model`'s table once both tables exist.
   */
  addForeignKey(model: ModelMetadata, fk: ForeignKeyMetadata, clause: string): string
  /**
   * The statements changing a live column's type and/or nullability to the model's (`storage`
   * is the model's storage type, `current` the live one), for dialects without a table rebuild.
   */
  alterColumn(table: string, column: ColumnMetadata, change: ColumnChange): Array<string>
  /** The statement dropping index `name` of `table` if it exists. */
  dropIndex(table: string, name: string): string
  /** Text after a column's type in its definition (MySQL: a collation); absent or "": none. */
  columnCollation?(column: ColumnMetadata): string
  /**
   * The ON DELETE action the database is given for `fk`, where it cannot enforce the declared
   * one (InnoDB parses SET DEFAULT but does not enforce it); absent: the declared action.
   */
  foreignKeyAction?(fk: ForeignKeyMetadata, model: ModelMetadata | undefined): OnDelete
  /**
   * Why the database cannot hold `name` as an identifier (too long, a character it refuses), or
   * null when it can; absent: any name. Migrations refuse such names before any SQL runs.
   */
  identifierProblem?(name: string): string | null
  /** Whether a model's storage type and a live column's introspected one spell the same storage. */
  sameStorage(model: string, live: string): boolean
  /** Checks before creating tables (e.g. that no other relation already holds an index's name); throws `MigrationError`. */
  checkIndexNames?(driver: IntrospectionDriver, models: ReadonlyArray<ModelMetadata>): Promise<void>
  /**
   * Non-null where ALTER TABLE can only add columns (with inline REFERENCES): any other change
   * rebuilds the table, inside a transaction, between these statements (foreign keys off
   * before it, checked before commit, back on after).
   */
  readonly tableRebuild: {
    readonly disableForeignKeys: string
    readonly foreignKeyCheck: string
    readonly enableForeignKeys: string
  } | null

  // -- introspection --------------------------------------------------------------------------

  /** The live user tables, or only those named in `wanted` (null: all), in any order. */
  introspect(driver: IntrospectionDriver, wanted: ReadonlySet<string> | null): Promise<Array<LiveTable>>

  // -- bridges --------------------------------------------------------------------------------

  /** The `effect/sql` statement compiler family the SqlClient layer builds for this dialect. */
  readonly sqlClientDialect: SqlStatement.Dialect
  /** How that compiler quotes an identifier (`sql("name")` in `effect/sql` statements). */
  sqlClientIdentifier(name: string): string
}

/**
 * The `dbType` override of `column` for the dialect named `name`, or undefined: backends call
 * it first in {@link Dialect.storageType}.
 */
export const dbTypeOverride = (column: StorageColumn, name: string): string | undefined => {
  const dbType = column.dbType
  if (dbType === null || dbType === undefined) return undefined
  return typeof dbType === "string" ? dbType : dbType[name]
}

/** What {@link Dialect.alterColumn} changes about a column. */
export interface ColumnChange {
  readonly storage: string
  readonly current: string
  readonly type: boolean
  readonly nullability: boolean
}

/**
 * `ALTER COLUMN ... TYPE ... USING` (a cast when the type family changes) and `SET/DROP NOT
 * NULL`, as PostgreSQL spells them.
 */
export const standardAlterColumn = (table: string, column: ColumnMetadata, change: ColumnChange): Array<string> => {
  const statements: Array<string> = []
  const name = quoteIdentifier(column.column)
  if (change.type) {
    const family = (t: string) => t.replace(/\(.*$/, "").trim()
    const cast = family(change.current) === family(change.storage) ? "" : ` USING ${name}::${change.storage}`
    statements.push(`ALTER TABLE ${quoteIdentifier(table)} ALTER COLUMN ${name} TYPE ${change.storage}${cast}`)
  }
  if (change.nullability) {
    statements.push(`ALTER TABLE ${quoteIdentifier(table)} ALTER COLUMN ${name} ${column.nullable ? "DROP NOT NULL" : "SET NOT NULL"}`)
  }
  return statements
}

/** `DROP INDEX IF EXISTS "name"` (SQLite and PostgreSQL: index names are per schema). */
export const standardDropIndex = (_table: string, name: string): string => `DROP INDEX IF EXISTS ${quoteIdentifier(name)}`

/** Aggregate functions the query compiler emits. */
export type AggregateFunctionName = "count" | "sum" | "avg" | "min" | "max"

/** The standard spelling of an aggregate, for dialects that need nothing else. */
export const standardAggregate = (fn: AggregateFunctionName, argument: string | null, distinct: boolean): string =>
  `${fn.toUpperCase()}(${argument === null ? "*" : `${distinct ? "DISTINCT " : ""}${argument}`})`

/** `NULLS FIRST` / `NULLS LAST`, as PostgreSQL and SQLite (3.30+) spell it. */
export const standardNullsOrder = (sql: string, nulls: "first" | "last"): string => `${sql} NULLS ${nulls === "first" ? "FIRST" : "LAST"}`

/**
 * The conflict clause as SQLite (3.24+) and PostgreSQL (9.5+) spell it: `ON CONFLICT [(cols)]
 * DO NOTHING` or `ON CONFLICT (cols) DO UPDATE SET c = expr, ...` (see {@link Dialect.upsert}).
 */
export const standardUpsert = (
  _table: string,
  conflictColumns: ReadonlyArray<string> | null,
  set: ReadonlyArray<readonly [column: string, value: string]>,
): string => {
  const target = conflictColumns === null || conflictColumns.length === 0 ? "" : ` (${conflictColumns.join(", ")})`
  if (set.length === 0) return `ON CONFLICT${target} DO NOTHING`
  return `ON CONFLICT${target} DO UPDATE SET ${set.map(([column, value]) => `${column} = ${value}`).join(", ")}`
}

/** `excluded.<column>`: the proposed row in SQLite's and PostgreSQL's conflict clause. */
export const standardExcluded = (column: string): string => `excluded.${column}`
