/**
 * The model-metadata contract: a plain, JSON-serialisable description of a registered model.
 * Every other Ferro package reads models through this shape and nothing else of core.
 *
 * @module
 */

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
  /**
   * The field's storage-type override: one spelling for every dialect, or one per dialect
   * name; null when the dialect's own type for the logical type is used. The storage type
   * itself is the dialect's to say: `dialect.storageType(column)`.
   */
  readonly dbType: string | { readonly [dialect: string]: string | undefined } | null
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
  /** `field.datetime({ onUpdateNow: true })`: set to the current time on every write of the row. */
  readonly onUpdateNow: boolean
}

/** A single- or multi-column index, unique or not. Column names, in index order. */
export interface IndexMetadata {
  readonly name: string
  readonly columns: ReadonlyArray<string>
  readonly unique: boolean
}

/** What the database does to referencing rows when the referenced row is deleted. */
export type OnDelete = "cascade" | "restrict" | "set null" | "set default" | "no action"

/** A foreign key constraint (declared by `field.foreignKey`). */
export interface ForeignKeyMetadata {
  readonly name: string
  readonly columns: ReadonlyArray<string>
  readonly targetTable: string
  readonly targetColumns: ReadonlyArray<string>
  readonly onDelete: OnDelete
}

/** A many-to-many relation's join table, seen from the model that declares it. */
export interface ManyToManyMetadata {
  readonly property: string
  readonly joinTable: string
  /** Join-table column holding this model's key. */
  readonly sourceColumn: string
  /** Join-table column holding the target's key. */
  readonly targetColumn: string
  readonly targetTable: string
}

/** A relation property of a model. */
export interface RelationMetadata {
  readonly property: string
  readonly kind: "foreignKey" | "backRef" | "manyToMany"
  readonly targetTable: string
  /**
   * foreignKey: the shadow key property (`authorId`). backRef: the property on the target it
   * mirrors (a foreign key, e.g. `author`, or a many-to-many, e.g. `tags`). manyToMany: null.
   */
  readonly via: string | null
  /** The back reference's name on the other side, if any. */
  readonly relatedName: string | null
  /** One row on the other side at most (unique foreign key / its back reference). */
  readonly one: boolean
  /** Join table of a many-to-many relation (either side), else null. */
  readonly joinTable: string | null
}

/**
 * Version of the contract's shape; bump on any breaking change to these interfaces.
 * 2: `ColumnMetadata.storage` (a type per dialect name) gave way to `dbType` (the override);
 * storage types are asked of the dialect.
 * 3: `ColumnMetadata.onUpdateNow` and `ModelMetadata.softDelete` (lifecycle writes).
 */
export const METADATA_VERSION = 3 as const

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
  readonly relations: ReadonlyArray<RelationMetadata>
  /** True for a many-to-many join table Ferro synthesised (it has no model class). */
  readonly joinTable: boolean
  /**
   * `Model(table, fields, { softDelete: "deletedAt" })`: the property of the nullable datetime
   * column that marks a row deleted (queries skip rows where it is set), else null.
   */
  readonly softDelete: string | null
}
