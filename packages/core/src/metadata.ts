/**
 * The model-metadata contract: a plain, JSON-serialisable description of a registered model.
 * Every other Ferro package reads models through this shape and nothing else of core.
 *
 * @module
 */

/** SQL dialects Ferro compiles for. */
export type Dialect = "sqlite" | "postgres"

/** The logical (storage-independent) type of a column. */
export type LogicalType =
  | "int"
  | "bigint"
  | "float"
  | "decimal"
  | "text"
  | "bool"
  | "datetime"
  | "date"
  | "time"
  | "uuid"
  | "bytes"
  | "json"
  | "enum"

/** How a column gets its value when the input leaves it out. Applied client-side. */
export type ColumnDefault =
  | { readonly kind: "literal"; readonly value: string | number | boolean | null }
  | { readonly kind: "now" }
  | { readonly kind: "randomUuid" }
  | { readonly kind: "function" }

/** One stored column. */
export interface ColumnMetadata {
  /** camelCase property name on the model instance. */
  readonly property: string
  /** Column name in the database (snake_case unless overridden). */
  readonly column: string
  readonly type: LogicalType
  /** Column type in each dialect's DDL, `dbType` overrides applied. */
  readonly storage: { readonly [D in Dialect]: string }
  readonly nullable: boolean
  readonly default: ColumnDefault | null
  readonly primaryKey: boolean
  /** The database assigns the value (integer identity). */
  readonly autoincrement: boolean
  readonly unique: boolean
  readonly index: boolean
  /** Allowed values of an `enum` column, else null. */
  readonly enumValues: ReadonlyArray<string> | null
  /** `varchar(n)` length of a `text` column, else null. */
  readonly maxLength: number | null
  /** Numeric precision and scale of a `decimal` column, else null. */
  readonly precision: number | null
  readonly scale: number | null
}

/** A single- or multi-column index, unique or not. Column names, in index order. */
export interface IndexMetadata {
  readonly name: string
  readonly columns: ReadonlyArray<string>
  readonly unique: boolean
}

/** What the database does to referencing rows when the referenced row is deleted. */
export type OnDelete = "cascade" | "restrict" | "set null" | "set default" | "no action"

/** A foreign key constraint. Filled by `@ferro/relations`; empty until relations land. */
export interface ForeignKeyMetadata {
  readonly name: string
  readonly columns: ReadonlyArray<string>
  readonly targetTable: string
  readonly targetColumns: ReadonlyArray<string>
  readonly onDelete: OnDelete
}

/** A many-to-many relation's join table. Filled by `@ferro/relations`. */
export interface ManyToManyMetadata {
  readonly property: string
  readonly joinTable: string
  readonly sourceColumn: string
  readonly targetColumn: string
  readonly targetTable: string
}

/** Version of the contract's shape; bump on any breaking change to these interfaces. */
export const METADATA_VERSION = 1 as const

/** Everything Ferro knows about one model, as plain data. */
export interface ModelMetadata {
  readonly version: typeof METADATA_VERSION
  /** Table name; also the model's registry key. */
  readonly table: string
  /** Property name of the primary key column, or null for a model without one. */
  readonly primaryKey: string | null
  /** Columns in declaration order. */
  readonly columns: ReadonlyArray<ColumnMetadata>
  readonly indexes: ReadonlyArray<IndexMetadata>
  readonly foreignKeys: ReadonlyArray<ForeignKeyMetadata>
  readonly manyToMany: ReadonlyArray<ManyToManyMetadata>
}
