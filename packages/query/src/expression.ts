/**
 * The query operation tree: immutable plain nodes that each dialect's compiler turns into
 * SQL. Values are checked when a node is built and encoded when it is compiled.
 *
 * @module
 */
import type { ColumnMetadata } from "@ferro/core"

export type ComparisonOperator = "=" | "<>" | ">" | ">=" | "<" | "<="

/** A boolean condition. */
export type Condition =
  | { readonly kind: "compare"; readonly column: ColumnMetadata; readonly op: ComparisonOperator; readonly value: unknown }
  | { readonly kind: "like"; readonly column: ColumnMetadata; readonly pattern: string; readonly caseInsensitive: boolean }
  | { readonly kind: "in"; readonly column: ColumnMetadata; readonly values: ReadonlyArray<unknown>; readonly negated: boolean }
  | { readonly kind: "null"; readonly column: ColumnMetadata; readonly negated: boolean }
  | { readonly kind: "between"; readonly column: ColumnMetadata; readonly low: unknown; readonly high: unknown }
  | { readonly kind: "and"; readonly items: ReadonlyArray<Condition> }
  | { readonly kind: "or"; readonly items: ReadonlyArray<Condition> }
  | { readonly kind: "not"; readonly item: Condition }
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

/** An arithmetic value for atomic updates: `column <op> operand`. */
export interface Arithmetic {
  readonly kind: "arithmetic"
  readonly column: ColumnMetadata
  readonly op: "+" | "-" | "*" | "/"
  readonly operand: unknown
}

export interface Ordering {
  readonly column: ColumnMetadata
  readonly direction: "asc" | "desc"
}

/** Everything a SELECT-shaped query needs. */
export interface SelectNode {
  readonly table: string
  readonly columns: ReadonlyArray<ColumnMetadata>
  readonly where: Condition | null
  readonly orderBy: ReadonlyArray<Ordering>
  readonly limit: number | null
  readonly offset: number | null
}

/** Rows of `table` matched by a filter, for UPDATE and DELETE. */
export interface TargetNode {
  readonly table: string
  readonly primaryKey: ColumnMetadata | null
  readonly where: Condition | null
  readonly orderBy: ReadonlyArray<Ordering>
  readonly limit: number | null
  readonly offset: number | null
}

export interface UpdateNode extends TargetNode {
  readonly set: ReadonlyArray<readonly [ColumnMetadata, unknown | Arithmetic]>
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
}
