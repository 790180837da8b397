/**
 * Free-standing expressions for query callbacks: `count()` and `exists(query)`.
 *
 * @module
 */
import { QueryError } from "@ferro/core"
import type { NumericExpression } from "./column.js"
import { ExpressionRef, Predicate, SUBQUERY, type SubqueryLike, isSubquery, pseudoColumn } from "./expression-ref.js"

/** `COUNT(*)`: the number of rows (of the group, with `groupBy()`). */
export const count = (): NumericExpression<number> =>
  new ExpressionRef({ kind: "aggregate", fn: "count", arg: null, distinct: false }, pseudoColumn("int"), null, "count()") as unknown as NumericExpression<number>

/**
 * `EXISTS (subquery)`: true where the query finds a row. The query may refer to the outer
 * query's columns (a correlated subquery):
 * `Author.where((a) => exists(Post.where((p) => p.authorId.eq(a.id))))`.
 */
export const exists = (query: SubqueryLike): Predicate => {
  if (!isSubquery(query)) throw new QueryError("exists() expects a query, such as Post.where((p) => p.authorId.eq(a.id))")
  return new Predicate({ kind: "exists", query: query[SUBQUERY](), negated: false })
}

/** `NOT EXISTS (subquery)`. */
export const notExists = (query: SubqueryLike): Predicate => {
  if (!isSubquery(query)) throw new QueryError("notExists() expects a query")
  return new Predicate({ kind: "exists", query: query[SUBQUERY](), negated: true })
}
