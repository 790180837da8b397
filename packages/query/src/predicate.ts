/**
 * Predicates built by column references in `where()` callbacks, combined with `.and()`,
 * `.or()` and {@link not}.
 *
 * @module
 */
import { QueryError } from "@ferro/core"
import type { Arithmetic, Condition } from "./expression.js"

const PREDICATE: unique symbol = Symbol.for("ferro/predicate")

/** A boolean condition over a model's columns. Immutable. */
export class Predicate {
  readonly [PREDICATE] = true
  /** @internal */
  constructor(readonly condition: Condition) {}

  /** Both this and `other` hold. */
  and(...others: ReadonlyArray<Predicate>): Predicate {
    return new Predicate({ kind: "and", items: [this.condition, ...others.map((o) => toCondition(o, "and()"))] })
  }

  /** This or `other` holds. */
  or(...others: ReadonlyArray<Predicate>): Predicate {
    return new Predicate({ kind: "or", items: [this.condition, ...others.map((o) => toCondition(o, "or()"))] })
  }
}

/** True for a {@link Predicate}. */
export const isPredicate = (value: unknown): value is Predicate =>
  typeof value === "object" && value !== null && PREDICATE in value

const describe = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : `a ${typeof value}`

/** The condition of a predicate, or a `QueryError` naming where a non-predicate came from. */
export const toCondition = (value: unknown, where: string): Condition => {
  if (isPredicate(value)) return value.condition
  throw new QueryError(
    `${where} expects a predicate such as p.views.gte(100), got ${describe(value)}` +
      (typeof value === "boolean" ? " (use column methods like .eq(), not JS operators)" : ""),
  )
}

/** Negates a predicate: `not(p.published.eq(true))`. */
export const not = (predicate: Predicate): Predicate => new Predicate({ kind: "not", item: toCondition(predicate, "not()") })

/** Both/all predicates hold. */
export const and = (first: Predicate, ...rest: ReadonlyArray<Predicate>): Predicate => first.and(...rest)
/** Any of the predicates holds. */
export const or = (first: Predicate, ...rest: ReadonlyArray<Predicate>): Predicate => first.or(...rest)

const UPDATE_EXPRESSION: unique symbol = Symbol.for("ferro/update-expression")

/** An atomic update value computed by the database: `update({ views: (p) => p.views.add(1) })`. */
export class UpdateExpression {
  readonly [UPDATE_EXPRESSION] = true
  /** @internal */
  constructor(readonly arithmetic: Arithmetic) {}
}

export const isUpdateExpression = (value: unknown): value is UpdateExpression =>
  typeof value === "object" && value !== null && UPDATE_EXPRESSION in value
