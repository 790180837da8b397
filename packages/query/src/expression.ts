/**
 * The query operation tree: immutable plain nodes that each dialect's compiler turns into
 * SQL. Values are checked when a node is built and encoded when it is compiled.
 *
 * Conditions are boolean expressions. The simple condition kinds (`compare`, `like`, `in`,
 * `null`, `between`) compare one column with JS values: they are what internal lookups and most
 * user filters build, and they compile without walking an expression. Everything else
 * (column against column, arithmetic, aggregates, relation paths, subqueries, raw fragments)
 * is an {@link Expr}.
 *
 * @module
 */
import type { ColumnMetadata, ModelMetadata, RelationMetadata } from "@ferro/core"

export type ComparisonOperator = "=" | "<>" | ">" | ">=" | "<" | "<="
export type ArithmeticOperator = "+" | "-" | "*" | "/"
export type AggregateFunction = "count" | "sum" | "avg" | "min" | "max"

/**
 * Where a column reference reads from: a query's root table, or a table joined to another source
 * by a to-one relation (a foreign key, or the one-to-one side of a back reference). Sources are
 * compared by identity: the same relation path inside one query is one join.
 */
export interface Source {
  readonly metadata: ModelMetadata
  /** The model's display name, for messages. */
  readonly model: string
  readonly parent: Source | null
  /** How this source joins its parent; null for a root. */
  readonly hop: Hop | null
  /** Whether a row of the root can have no row here (a LEFT JOIN somewhere on the path). */
  readonly optional: boolean
}

/** One to-one step of a relation path: `child.childColumn = parent.parentColumn`. */
export interface Hop {
  readonly relation: RelationMetadata
  /** Column of the parent source. */
  readonly parentColumn: ColumnMetadata
  /** Column of the joined source. */
  readonly childColumn: ColumnMetadata
}

/**
 * A to-many relation of a source, as `some`/`every`/`none` and counts see it: rows of `target`
 * whose `targetColumn` equals the owner's `ownerColumn`, directly or through a join table.
 */
export interface Collection {
  readonly owner: Source
  readonly ownerColumn: ColumnMetadata
  /** The related rows' own source (a fresh root, correlated to the owner). */
  readonly target: Source
  readonly link:
    | { readonly kind: "direct"; readonly targetColumn: ColumnMetadata }
    | {
        readonly kind: "joinTable"
        readonly table: string
        /** Join-table column holding the owner's key. */
        readonly ownerKey: ColumnMetadata
        /** Join-table column holding the target's key. */
        readonly targetKey: ColumnMetadata
        /** The target's column the join table references (its primary key). */
        readonly targetColumn: ColumnMetadata
      }
}

/** A boolean condition. */
export type Condition =
  | {
      readonly kind: "compare"
      readonly column: ColumnMetadata
      readonly source?: Source
      readonly op: ComparisonOperator
      readonly value: unknown
    }
  | {
      readonly kind: "like"
      readonly column: ColumnMetadata
      readonly source?: Source
      readonly pattern: string
      readonly caseInsensitive: boolean
    }
  | {
      readonly kind: "in"
      readonly column: ColumnMetadata
      readonly source?: Source
      readonly values: ReadonlyArray<unknown>
      readonly negated: boolean
    }
  | { readonly kind: "null"; readonly column: ColumnMetadata; readonly source?: Source; readonly negated: boolean }
  | {
      readonly kind: "between"
      readonly column: ColumnMetadata
      readonly source?: Source
      readonly low: unknown
      readonly high: unknown
    }
  | { readonly kind: "and"; readonly items: ReadonlyArray<Condition> }
  | { readonly kind: "or"; readonly items: ReadonlyArray<Condition> }
  | { readonly kind: "not"; readonly item: Condition }
  /** `(item) IS NOT TRUE`: false or NULL (every(): a related row whose condition is NULL does not match). */
  | { readonly kind: "isNotTrue"; readonly item: Condition }
  | { readonly kind: "constant"; readonly value: boolean }
  /** `column IN (SELECT select FROM table WHERE match = value)`: rows linked through a join table. */
  | {
      readonly kind: "linked"
      readonly column: ColumnMetadata
      readonly table: string
      readonly select: ColumnMetadata
      readonly match: ColumnMetadata
      readonly value: unknown
    }
  /** Any two expressions compared. */
  | { readonly kind: "compareExpr"; readonly left: Expr; readonly op: ComparisonOperator; readonly right: Expr }
  /** `expr [NOT] LIKE pattern` on any text expression. */
  | { readonly kind: "likeExpr"; readonly expr: Expr; readonly pattern: string; readonly caseInsensitive: boolean }
  | { readonly kind: "nullExpr"; readonly expr: Expr; readonly negated: boolean }
  /** `expr [NOT] IN (subquery)`; the subquery selects one expression. */
  | { readonly kind: "inQuery"; readonly expr: Expr; readonly query: SelectNode; readonly negated: boolean }
  /** `[NOT] EXISTS (subquery)`. */
  | { readonly kind: "exists"; readonly query: SelectNode; readonly negated: boolean }
  /** some / every / none of a to-many relation's rows match `where` (null: any row). */
  | {
      readonly kind: "related"
      readonly quantifier: "some" | "every" | "none"
      readonly collection: Collection
      readonly where: Condition | null
    }
  /** A raw `sql` fragment used as a condition. */
  | Fragment

/** A raw `sql` fragment: text parts with expressions (columns) and JS values (bound) between them. */
export interface Fragment {
  readonly kind: "fragment"
  readonly strings: ReadonlyArray<string>
  readonly values: ReadonlyArray<{ readonly expr: Expr } | { readonly value: unknown }>
}

/** A value-producing expression. */
export type Expr =
  | { readonly kind: "column"; readonly source: Source; readonly column: ColumnMetadata }
  /** A JS value, encoded as `column`'s type (raw encoding when null). */
  | { readonly kind: "param"; readonly value: unknown; readonly column: ColumnMetadata | null }
  | { readonly kind: "arith"; readonly op: ArithmeticOperator; readonly left: Expr; readonly right: Expr }
  /** An aggregate; `arg` null is `COUNT(*)`. */
  | { readonly kind: "aggregate"; readonly fn: AggregateFunction; readonly arg: Expr | null; readonly distinct: boolean }
  /** The number of a to-many relation's rows (matching `where`), per owner row. */
  | { readonly kind: "relatedCount"; readonly collection: Collection; readonly where: Condition | null }
  /** A scalar subquery. */
  | { readonly kind: "subquery"; readonly query: SelectNode }
  | Condition

/** A value the database computes for an update: `update({ views: (p) => p.views.add(1) })`. */
export interface Computed {
  readonly kind: "computed"
  readonly expr: Expr
}

export interface Ordering {
  readonly expr: Expr
  readonly direction: "asc" | "desc"
  readonly nulls?: "first" | "last" | undefined
}

/** One selected expression of a projection, under its result key. */
export interface Selected {
  readonly key: string
  readonly expr: Expr
}

/** Everything a SELECT-shaped query needs. */
export interface SelectNode {
  readonly table: string
  /** The model's columns, selected when there is no projection. */
  readonly columns: ReadonlyArray<ColumnMetadata>
  readonly where: Condition | null
  readonly orderBy: ReadonlyArray<Ordering>
  readonly limit: number | null
  readonly offset: number | null
  /** The root source column references of this query point at (absent: internal lookups). */
  readonly source?: Source
  /** A projection instead of the model's columns. */
  readonly selection?: ReadonlyArray<Selected>
  readonly distinct?: boolean
  readonly groupBy?: ReadonlyArray<Expr>
  readonly having?: Condition | null
  /** The model read, for internal lookups without a source (its soft-delete column). */
  readonly metadata?: ModelMetadata
  /**
   * Soft-deleted rows are kept (`withDeleted()`): no `deleted_at IS NULL` on the root, its
   * joins and its relation subqueries. Absent: a soft-delete model's deleted rows are skipped.
   */
  readonly withDeleted?: boolean
  /** A locking read: the dialect's `lockingRead` clause ends the statement. */
  readonly lock?: "share"
}

/** Rows of `table` matched by a filter, for UPDATE and DELETE. */
export interface TargetNode {
  readonly table: string
  readonly primaryKey: ColumnMetadata | null
  readonly where: Condition | null
  readonly orderBy: ReadonlyArray<Ordering>
  readonly limit: number | null
  readonly offset: number | null
  readonly source?: Source
  /** The model targeted; with it (or a source) a soft-delete model's deleted rows are skipped. */
  readonly metadata?: ModelMetadata
  /** Target soft-deleted rows too (`withDeleted()`). */
  readonly withDeleted?: boolean
}

export interface UpdateNode extends TargetNode {
  readonly set: ReadonlyArray<readonly [ColumnMetadata, unknown | Computed]>
  /** Columns to return from the updated rows (none: report the count only). */
  readonly returning: ReadonlyArray<ColumnMetadata>
}

export interface DeleteNode extends TargetNode {
  /** Columns to return from the deleted rows. */
  readonly returning: ReadonlyArray<ColumnMetadata>
}

export interface InsertNode {
  readonly table: string
  readonly columns: ReadonlyArray<ColumnMetadata>
  /** One array of property values per row, in `columns` order. */
  readonly rows: ReadonlyArray<ReadonlyArray<unknown>>
  readonly returning: ReadonlyArray<ColumnMetadata>
  /** What a row colliding with an existing one does (upsert); absent: the collision is an error. */
  readonly onConflict?: OnConflictNode
}

/**
 * The conflict clause of an INSERT: on a collision on `target` (a unique or primary-key column
 * set; null: any unique constraint, only when `update` is empty), set `update` on the existing
 * row to the proposed row's values, or keep it as it is when `update` is empty.
 */
export interface OnConflictNode {
  readonly target: ReadonlyArray<ColumnMetadata> | null
  readonly update: ReadonlyArray<ColumnMetadata>
}

export const and = (items: ReadonlyArray<Condition>): Condition | null =>
  items.length === 0 ? null : items.length === 1 ? items[0]! : { kind: "and", items }

/**
 * Target rows joined to their link rows, for eager many-to-many loads:
 * `SELECT j.source, t.* FROM target t JOIN join j ON j.target = t.pk WHERE j.source IN (...)`.
 */
export interface LinkedSelectNode {
  readonly table: string
  readonly columns: ReadonlyArray<ColumnMetadata>
  readonly primaryKey: ColumnMetadata
  readonly joinTable: string
  readonly sourceColumn: ColumnMetadata
  readonly targetColumn: ColumnMetadata
  readonly sources: ReadonlyArray<unknown>
  /** The target model: its soft-deleted rows are skipped. */
  readonly metadata?: ModelMetadata
}
