/**
 * Combining predicates: `.and()`, `.or()` on a predicate, and the free functions {@link not},
 * {@link and}, {@link or}.
 *
 * @module
 */
import { Predicate, toCondition } from "./expression-ref.js"

export { Predicate, isPredicate, toCondition } from "./expression-ref.js"

/** Negates a predicate: `not(p.published.eq(true))`. */
export const not = (predicate: Predicate): Predicate => new Predicate({ kind: "not", item: toCondition(predicate, "not()") })

/** Both/all predicates hold. */
export const and = (first: Predicate, ...rest: ReadonlyArray<Predicate>): Predicate => first.and(...rest)
/** Any of the predicates holds. */
export const or = (first: Predicate, ...rest: ReadonlyArray<Predicate>): Predicate => first.or(...rest)
