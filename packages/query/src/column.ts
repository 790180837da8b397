/**
 * The types of the expressions query callbacks receive and build. The runtime of all of them
 * is {@link ExpressionRef}; these interfaces narrow what each expression offers (text
 * patterns on text, arithmetic and sums on numbers, exact sums on decimals) and carry the
 * value type through projections and comparisons.
 *
 * @module
 */
import type {
  ColumnKeys,
  DecimalMarker,
  InstanceFields,
  PropertyType,
  RelationField,
  RelationKind,
  ShadowProps,
} from "@ferro/core"
import type { Predicate, SubqueryLike } from "./expression-ref.js"

/** Values a predicate accepts for a column of property type `T`: datetimes also take ISO strings. */
export type Comparable<T> = T extends Date ? Date | string : T

/** What an expression of type `T` may be compared with: a JS value of its type, or another expression of it. */
export type Operand<T> = Comparable<NonNullable<T>> | Expression<NonNullable<T>> | Expression<NonNullable<T> | null>

/** A query selecting one value of type `T`, usable in `in()` (`Author.where(...).select((a) => a.id)`). */
export interface ValueSubquery<T> extends SubqueryLike {
  /** Phantom: the selected value's type. */
  readonly "~row": T
}

/**
 * An expression of value type `T`: a column, an aggregate, arithmetic, a relation count. Each
 * method builds a new node; nothing runs until the query does.
 */
export interface Expression<T> {
  /** Phantom: the value type a projection gives for this expression. */
  readonly "~type": T
  /** `expr = value`; `eq(null)` is `IS NULL`. */
  eq(value: Operand<T> | null): Predicate
  /** `expr <> value`; `ne(null)` is `IS NOT NULL`. */
  ne(value: Operand<T> | null): Predicate
  gt(value: Operand<T>): Predicate
  gte(value: Operand<T>): Predicate
  lt(value: Operand<T>): Predicate
  lte(value: Operand<T>): Predicate
  /** `expr IN (...)`, a list (an empty list matches nothing) or a query selecting one value. */
  in(values: ReadonlyArray<Comparable<NonNullable<T>>> | ValueSubquery<NonNullable<T>> | ValueSubquery<NonNullable<T> | null>): Predicate
  /** `expr NOT IN (...)`; an empty list matches every row. */
  notIn(values: ReadonlyArray<Comparable<NonNullable<T>>> | ValueSubquery<NonNullable<T>> | ValueSubquery<NonNullable<T> | null>): Predicate
  isNull(): Predicate
  isNotNull(): Predicate
  /** `expr BETWEEN low AND high` (inclusive). */
  between(low: Operand<T>, high: Operand<T>): Predicate
  /** `MIN(expr)` over the group (or all rows): null when there are none. */
  min(): Expression<NonNullable<T> | null>
  /** `MAX(expr)`. */
  max(): Expression<NonNullable<T> | null>
  /** `COUNT(expr)`: rows where it is not NULL. */
  count(): NumericExpression<number>
  /** `COUNT(DISTINCT expr)`. */
  countDistinct(): NumericExpression<number>
}

/** A text-like expression: adds pattern matching. */
export interface TextExpression<T> extends Expression<T> {
  /** Case-sensitive `LIKE` on every backend (`%` and `_` wildcards, `\` escapes). */
  like(pattern: string): Predicate
  /** Case-insensitive `LIKE`. */
  ilike(pattern: string): Predicate
  min(): TextExpression<NonNullable<T> | null>
  max(): TextExpression<NonNullable<T> | null>
}

type NumericOperand<T> = NonNullable<T> | NumericExpression<number> | NumericExpression<number | null> | NumericExpression<bigint> | NumericExpression<bigint | null>

/** The type `SUM` gives for values of type `T`. */
export type SumOf<T> = [NonNullable<T>] extends [bigint] ? bigint | null : number | null

/** A numeric expression: arithmetic (also for atomic updates) and aggregates. */
export interface NumericExpression<T> extends Expression<T> {
  add(amount: NumericOperand<T>): NumericExpression<T>
  sub(amount: NumericOperand<T>): NumericExpression<T>
  mul(amount: NumericOperand<T>): NumericExpression<T>
  div(amount: NumericOperand<T>): NumericExpression<T>
  /** `SUM(expr)`: `number` (`bigint` for bigint columns), null when there are no rows. */
  sum(): NumericExpression<SumOf<T>>
  /** `AVG(expr)` as a number; null when there are no rows. */
  avg(): NumericExpression<number | null>
  min(): NumericExpression<NonNullable<T> | null>
  max(): NumericExpression<NonNullable<T> | null>
}

/** A decimal expression (values are exact strings): exact aggregates. */
export interface DecimalExpression<T> extends TextExpression<T> {
  /** Exact `SUM` as a decimal string; null when there are no rows. */
  sum(): DecimalExpression<string | null>
  /** `AVG` as a decimal string; null when there are no rows. */
  avg(): DecimalExpression<string | null>
  min(): DecimalExpression<NonNullable<T> | null>
  max(): DecimalExpression<NonNullable<T> | null>
}

/** A reference to one column of a model, with the operators of SPEC §2. */
export type Column<T> = Expression<T>
/** A text-like column. */
export type TextColumn<T> = TextExpression<T>
/** A numeric column. */
export type NumericColumn<T> = NumericExpression<T>
/** An atomic update value computed by the database (`p.views.add(1)`). */
export type UpdateExpression = NumericExpression<unknown>

/** The expression type for a value of type `T`. */
export type ExpressionFor<T> = [NonNullable<T>] extends [string]
  ? TextExpression<T>
  : [NonNullable<T>] extends [number | bigint]
    ? NumericExpression<T>
    : Expression<T>

/** The reference type for a property of type `T`. */
export type ColumnFor<T> = ExpressionFor<T>

/** The reference type for field `V` (decimals get exact aggregates). */
export type FieldExpression<V> = V extends DecimalMarker ? DecimalExpression<PropertyType<V>> : ExpressionFor<PropertyType<V>>

/** Makes every expression of a columns object nullable: a relation path that can be missing (LEFT JOIN). */
type NullablePath<C> = {
  readonly [K in keyof C]: C[K] extends DecimalExpression<infer T>
    ? DecimalExpression<T | null>
    : C[K] extends Expression<infer T>
      ? ExpressionFor<T | null>
      : C[K]
}

/** A to-many relation inside a query callback. */
export interface Collection<F> {
  /** Rows with at least one related row matching (any related row, without a callback). */
  some(filter?: (columns: ColumnsOf<F>) => Predicate): Predicate
  /** Rows whose related rows all match (true where there are none). */
  every(filter: (columns: ColumnsOf<F>) => Predicate): Predicate
  /** Rows with no related row matching (no related row at all, without a callback). */
  none(filter?: (columns: ColumnsOf<F>) => Predicate): Predicate
  /** The number of related rows (matching the callback), per row. */
  count(filter?: (columns: ColumnsOf<F>) => Predicate): NumericExpression<number>
}

type RelationColumns<V> =
  V extends RelationField<"foreignKey", infer T, infer N>
    ? N extends true
      ? NullablePath<ColumnsOf<InstanceFields<T>>>
      : ColumnsOf<InstanceFields<T>>
    : V extends RelationField<"backRef", infer T, boolean, infer One>
      ? One extends true
        ? NullablePath<ColumnsOf<InstanceFields<T>>>
        : Collection<InstanceFields<T>>
      : V extends RelationField<RelationKind, infer T>
        ? Collection<InstanceFields<T>>
        : never

type RelationKeys<F> = { [K in keyof F]: F[K] extends RelationField<RelationKind, unknown> ? K : never }[keyof F] & string

/**
 * What a query callback receives for a model with fields `F`: an expression per column
 * (foreign keys also as `authorId`), the related model's columns per to-one relation
 * (`p.author.name`), and a {@link Collection} per to-many relation (`a.posts.some(...)`).
 */
export type ColumnsOf<F> = { readonly [K in ColumnKeys<F>]: FieldExpression<F[K]> } & {
  readonly [K in keyof ShadowProps<F>]: ExpressionFor<ShadowProps<F>[K]>
} & { readonly [K in RelationKeys<F>]: RelationColumns<F[K]> }
