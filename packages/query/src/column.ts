/**
 * Column references: what a `where()` / `orderBy()` callback receives for each field.
 *
 * @module
 */
import { type ColumnMetadata, type ModelMetadata, QueryError } from "@ferro/core"
import type { ComparisonOperator } from "./expression.js"
import { Predicate, UpdateExpression } from "./predicate.js"
import { checkFieldValue, checkPattern, checkValue } from "./values.js"

/** Values a predicate accepts for a column of property type `T`: datetimes also take ISO strings. */
export type Comparable<T> = T extends Date ? Date | string : T

/** A reference to one column of a model, with the operators of SPEC §2. */
export interface Column<T> {
  /** `column = value`; `eq(null)` is `IS NULL`. */
  eq(value: Comparable<T>): Predicate
  /** `column <> value`; `ne(null)` is `IS NOT NULL`. */
  ne(value: Comparable<T>): Predicate
  gt(value: Comparable<NonNullable<T>>): Predicate
  gte(value: Comparable<NonNullable<T>>): Predicate
  lt(value: Comparable<NonNullable<T>>): Predicate
  lte(value: Comparable<NonNullable<T>>): Predicate
  /** `column IN (...)`; an empty list matches nothing. */
  in(values: ReadonlyArray<Comparable<NonNullable<T>>>): Predicate
  /** `column NOT IN (...)`; an empty list matches every row. */
  notIn(values: ReadonlyArray<Comparable<NonNullable<T>>>): Predicate
  isNull(): Predicate
  isNotNull(): Predicate
  /** `column BETWEEN low AND high` (inclusive). */
  between(low: Comparable<NonNullable<T>>, high: Comparable<NonNullable<T>>): Predicate
}

/** A text-like column: adds pattern matching. */
export interface TextColumn<T> extends Column<T> {
  /** Case-sensitive `LIKE` on both backends (`%` and `_` wildcards). */
  like(pattern: string): Predicate
  /** Case-insensitive `LIKE`. */
  ilike(pattern: string): Predicate
}

/** A numeric column: adds arithmetic for atomic updates. */
export interface NumericColumn<T> extends Column<T> {
  add(amount: NonNullable<T>): UpdateExpression
  sub(amount: NonNullable<T>): UpdateExpression
  mul(amount: NonNullable<T>): UpdateExpression
  div(amount: NonNullable<T>): UpdateExpression
}

/** The reference type for a property of type `T`. */
export type ColumnFor<T> = [NonNullable<T>] extends [string]
  ? TextColumn<T>
  : [NonNullable<T>] extends [number | bigint]
    ? NumericColumn<T>
    : Column<T>

/** Runtime implementation of every column operator; typing narrows what each column offers. */
export class ColumnRef {
  /** @internal */
  constructor(
    readonly model: string,
    readonly column: ColumnMetadata,
    readonly metadata?: ModelMetadata,
  ) {}

  /** A compared value: the same per-field validation as create(), save() and update(). */
  #value(value: unknown, allowNull = false): unknown {
    return this.metadata === undefined
      ? checkValue(this.model, this.column, value, allowNull)
      : checkFieldValue(this.model, this.metadata, this.column, value, allowNull)
  }

  #compare(op: ComparisonOperator, value: unknown): Predicate {
    return new Predicate({ kind: "compare", column: this.column, op, value: this.#value(value) })
  }

  eq(value: unknown): Predicate {
    if (value === null) return this.isNull()
    return this.#compare("=", value)
  }
  ne(value: unknown): Predicate {
    if (value === null) return this.isNotNull()
    return this.#compare("<>", value)
  }
  gt(value: unknown): Predicate {
    return this.#compare(">", value)
  }
  gte(value: unknown): Predicate {
    return this.#compare(">=", value)
  }
  lt(value: unknown): Predicate {
    return this.#compare("<", value)
  }
  lte(value: unknown): Predicate {
    return this.#compare("<=", value)
  }
  in(values: ReadonlyArray<unknown>): Predicate {
    return this.#in(values, false)
  }
  notIn(values: ReadonlyArray<unknown>): Predicate {
    return this.#in(values, true)
  }
  #in(values: ReadonlyArray<unknown>, negated: boolean): Predicate {
    if (!Array.isArray(values)) {
      throw new QueryError(`${negated ? "notIn" : "in"}() on '${this.column.property}' expects an array of values`)
    }
    if (values.length === 0) return new Predicate({ kind: "constant", value: negated })
    return new Predicate({ kind: "in", column: this.column, values: values.map((v) => this.#value(v)), negated })
  }
  isNull(): Predicate {
    return new Predicate({ kind: "null", column: this.column, negated: false })
  }
  isNotNull(): Predicate {
    return new Predicate({ kind: "null", column: this.column, negated: true })
  }
  between(low: unknown, high: unknown): Predicate {
    return new Predicate({ kind: "between", column: this.column, low: this.#value(low), high: this.#value(high) })
  }
  like(pattern: string): Predicate {
    return this.#like(pattern, false)
  }
  ilike(pattern: string): Predicate {
    return this.#like(pattern, true)
  }
  #like(pattern: string, caseInsensitive: boolean): Predicate {
    checkPattern(this.model, this.column, pattern)
    if (!["text", "enum", "uuid", "date", "time", "decimal"].includes(this.column.type)) {
      throw new QueryError(`${caseInsensitive ? "ilike" : "like"}() needs a text column; '${this.column.property}' is ${this.column.type}`)
    }
    return new Predicate({ kind: "like", column: this.column, pattern, caseInsensitive })
  }
  add(amount: unknown): UpdateExpression {
    return this.#arithmetic("+", amount)
  }
  sub(amount: unknown): UpdateExpression {
    return this.#arithmetic("-", amount)
  }
  mul(amount: unknown): UpdateExpression {
    return this.#arithmetic("*", amount)
  }
  div(amount: unknown): UpdateExpression {
    return this.#arithmetic("/", amount)
  }
  #arithmetic(op: "+" | "-" | "*" | "/", amount: unknown): UpdateExpression {
    if (!["int", "bigint", "float"].includes(this.column.type)) {
      throw new QueryError(`Arithmetic needs a numeric column; '${this.column.property}' is ${this.column.type}`)
    }
    return new UpdateExpression({ kind: "arithmetic", column: this.column, op, operand: checkValue(this.model, this.column, amount, false) })
  }
}

const proxies = new WeakMap<ModelMetadata, Record<string, ColumnRef>>()

/**
 * The object a `where()` callback receives: one {@link ColumnRef} per field. Reading an
 * unknown property throws a `QueryError` naming the model's fields.
 */
export const columnsOf = (model: string, metadata: ModelMetadata): Record<string, ColumnRef> => {
  let proxy = proxies.get(metadata)
  if (proxy === undefined) {
    const refs = new Map(metadata.columns.map((c) => [c.property, new ColumnRef(model, c, metadata)]))
    proxy = new Proxy({} as Record<string, ColumnRef>, {
      get: (_target, property) => {
        if (typeof property !== "string") return undefined
        const ref = refs.get(property)
        if (ref === undefined) {
          if (property === "then") return undefined
          throw new QueryError(
            `'${property}' is not a field of ${model}; fields: ${metadata.columns.map((c) => c.property).join(", ")}`,
          )
        }
        return ref
      },
      has: (_target, property) => typeof property === "string" && refs.has(property),
      ownKeys: () => [...refs.keys()],
      getOwnPropertyDescriptor: (_target, property) =>
        typeof property === "string" && refs.has(property)
          ? { value: refs.get(property), enumerable: true, configurable: true }
          : undefined,
    })
    proxies.set(metadata, proxy)
  }
  return proxy
}
