/**
 * The live schema of a database, as introspection reads it. Column and index names are the
 * database's; storage types are the declared types, lower-cased and normalised per dialect
 * (e.g. PostgreSQL `character varying(20)` -> `varchar(20)`, `timestamp with time zone` as is).
 *
 * @module
 */
import type { OnDelete } from "./metadata.js"

export interface LiveColumn {
  readonly column: string
  /** Declared storage type, lower-case, spelled like `dialect.storageType(column)`. */
  readonly storage: string
  readonly nullable: boolean
  readonly primaryKey: boolean
  /** SQLite `AUTOINCREMENT` / PostgreSQL identity or serial. */
  readonly autoincrement: boolean
  /** Default expression as the database reports it, or null. */
  readonly default: string | null
}

export interface LiveIndex {
  readonly name: string
  readonly columns: ReadonlyArray<string>
  readonly unique: boolean
  /** "index": created with CREATE INDEX; "constraint": backs a UNIQUE/PRIMARY KEY constraint. */
  readonly origin: "index" | "constraint"
}

export interface LiveForeignKey {
  /** Constraint name (PostgreSQL; SQLite reports none). */
  readonly name: string | null
  readonly columns: ReadonlyArray<string>
  readonly targetTable: string
  readonly targetColumns: ReadonlyArray<string>
  readonly onDelete: OnDelete
}

export interface LiveTable {
  readonly table: string
  /** In table order. */
  readonly columns: ReadonlyArray<LiveColumn>
  readonly indexes: ReadonlyArray<LiveIndex>
  readonly foreignKeys: ReadonlyArray<LiveForeignKey>
  /** CHECK constraint expressions on the table, as the database prints them. */
  readonly checks: ReadonlyArray<string>
}
