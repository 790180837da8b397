/**
 * Expression objects: what `where()`, `select()`, `orderBy()`, `groupBy()` and `having()`
 * callbacks receive and build. Each wraps one node of the operation tree plus what is needed
 * to check a compared JS value (the column it is compared as) and to decode its result.
 *
 * @module
 */
import { type ColumnMetadata, type LogicalType, type ModelMetadata, QueryError } from "@ferro/core"
import type { AggregateFunction, ArithmeticOperator, ComparisonOperator, Condition, Expr, SelectNode } from "./expression.js"
import { checkFieldValue, checkPattern, checkValue } from "./values.js"

const EXPRESSION: unique symbol = Symbol.for("ferro/expression")
const PREDICATE: unique symbol = Symbol.for("ferro/predicate")
/** Symbol under which a query hands its select node to an enclosing query (subqueries). */
export const SUBQUERY: unique symbol = Symbol.for("ferro/subquery")

/** Something that can stand as a subquery: a query (its node is read when the outer query compiles). */
export interface SubqueryLike {
  readonly [SUBQUERY]: () => SelectNode
}

export const isSubquery = (value: unknown): value is SubqueryLike =>
  typeof value === "object" && value !== null && SUBQUERY in value

const pseudoColumns = new Map<LogicalType, ColumnMetadata>()

/** A column description for a computed value of logical type `type` (checks, encoding, decoding). */
export const pseudoColumn = (type: LogicalType): ColumnMetadata => {
  let column = pseudoColumns.get(type)
  if (column === undefined) {
    column = {
      property: "value",
      column: "value",
      type,
      dbType: null,
      nullable: true,
      default: null,
      primaryKey: false,
      autoincrement: false,
      unique: false,
      index: false,
      enumValues: null,
      maxLength: null,
      precision: null,
      scale: null,
      onUpdateNow: false,
    }
    pseudoColumns.set(type, column)
  }
  return column
}

/** How JS values compared with an expression are checked: as a model's field, or by logical type. */
export interface ValueCheck {
  readonly model: string
  readonly metadata: ModelMetadata | null
}

const NUMERIC: ReadonlyArray<LogicalType> = ["int", "bigint", "float", "decimal"]
const TEXTUAL: ReadonlyArray<LogicalType> = ["text", "enum", "uuid", "date", "time", "decimal"]

const describe = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : `a ${typeof value}`

/** The result type of an aggregate over an argument of type `arg`. */
const aggregateType = (fn: AggregateFunction, arg: ColumnMetadata | null): ColumnMetadata => {
  switch (fn) {
    case "count":
      return pseudoColumn("int")
    case "sum":
      return pseudoColumn(arg!.type === "bigint" || arg!.type === "decimal" || arg!.type === "float" ? arg!.type : "int")
    case "avg":
      return pseudoColumn(arg!.type === "decimal" ? "decimal" : "float")
    case "min":
    case "max":
      return { ...arg!, nullable: true }
  }
}

/**
 * The runtime of every expression: a column, an aggregate, arithmetic, a relation count, a
 * raw fragment. Typing (see `column.ts`) narrows which methods each expression offers.
 */
export class ExpressionRef {
  readonly [EXPRESSION] = true
  /** @internal */
  constructor(
    readonly expr: Expr,
    /** The value's type: a real column, or a pseudo column for computed values. */
    readonly type: ColumnMetadata,
    /** How compared values are checked; null: by logical type only. */
    readonly check: ValueCheck | null,
    /** Display name in messages. */
    readonly label: string,
  ) {}

  /** A compared JS value, checked as create()/save() check it; never quoted in an error. */
  #value(value: unknown, allowNull = false): unknown {
    const { check, type } = this
    if (check !== null && check.metadata !== null) return checkFieldValue(check.model, check.metadata, type, value, allowNull)
    return checkValue(check?.model ?? this.label, type, value, allowNull)
  }

  /** The node for an operand: another expression, or a checked JS value. */
  #operand(value: unknown, what: string): Expr {
    if (isExpression(value)) {
      if (value instanceof Predicate && this.type.type !== "bool") {
        throw new QueryError(`${what} on '${this.label}' got a condition where a value was expected`)
      }
      return value.expr
    }
    if (isSubquery(value)) return { kind: "subquery", query: value[SUBQUERY]() }
    return { kind: "param", value: this.#value(value), column: this.type }
  }

  #simple(): boolean {
    return this.expr.kind === "column"
  }

  #compare(op: ComparisonOperator, value: unknown): Predicate {
    const { expr } = this
    if (expr.kind === "column" && !isExpression(value) && !isSubquery(value)) {
      return new Predicate({ kind: "compare", column: expr.column, source: expr.source, op, value: this.#value(value) })
    }
    return new Predicate({ kind: "compareExpr", left: expr, op, right: this.#operand(value, op) })
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
  in(values: unknown): Predicate {
    return this.#in(values, false)
  }
  notIn(values: unknown): Predicate {
    return this.#in(values, true)
  }
  #in(values: unknown, negated: boolean): Predicate {
    const what = negated ? "notIn" : "in"
    if (isSubquery(values)) {
      const query = values[SUBQUERY]()
      if (query.selection === undefined || query.selection.length !== 1) {
        throw new QueryError(`${what}() on '${this.label}' needs a query selecting one value, such as Author.select((a) => a.id)`)
      }
      return new Predicate({ kind: "inQuery", expr: this.expr, query, negated })
    }
    if (!Array.isArray(values)) {
      throw new QueryError(`${what}() on '${this.label}' expects an array of values or a query selecting one value`)
    }
    if (values.length === 0) return new Predicate({ kind: "constant", value: negated })
    const { expr } = this
    if (expr.kind === "column" && !values.some(isExpression)) {
      return new Predicate({ kind: "in", column: expr.column, source: expr.source, values: values.map((v) => this.#value(v)), negated })
    }
    const items: Array<Condition> = values.map((v) => ({ kind: "compareExpr", left: expr, op: "=", right: this.#operand(v, what) }))
    const any: Condition = { kind: "or", items }
    return new Predicate(negated ? { kind: "not", item: any } : any)
  }
  isNull(): Predicate {
    const { expr } = this
    return new Predicate(
      expr.kind === "column"
        ? { kind: "null", column: expr.column, source: expr.source, negated: false }
        : { kind: "nullExpr", expr, negated: false },
    )
  }
  isNotNull(): Predicate {
    const { expr } = this
    return new Predicate(
      expr.kind === "column"
        ? { kind: "null", column: expr.column, source: expr.source, negated: true }
        : { kind: "nullExpr", expr, negated: true },
    )
  }
  between(low: unknown, high: unknown): Predicate {
    const { expr } = this
    if (expr.kind === "column" && !isExpression(low) && !isExpression(high)) {
      return new Predicate({ kind: "between", column: expr.column, source: expr.source, low: this.#value(low), high: this.#value(high) })
    }
    return new Predicate({
      kind: "and",
      items: [
        { kind: "compareExpr", left: expr, op: ">=", right: this.#operand(low, "between") },
        { kind: "compareExpr", left: expr, op: "<=", right: this.#operand(high, "between") },
      ],
    })
  }
  like(pattern: string): Predicate {
    return this.#like(pattern, false)
  }
  ilike(pattern: string): Predicate {
    return this.#like(pattern, true)
  }
  #like(pattern: string, caseInsensitive: boolean): Predicate {
    checkPattern(this.check?.model ?? this.label, this.type, pattern)
    if (!TEXTUAL.includes(this.type.type)) {
      throw new QueryError(`${caseInsensitive ? "ilike" : "like"}() needs a text column; '${this.label}' is ${this.type.type}`)
    }
    const { expr } = this
    return new Predicate(
      expr.kind === "column"
        ? { kind: "like", column: expr.column, source: expr.source, pattern, caseInsensitive }
        : { kind: "likeExpr", expr, pattern, caseInsensitive },
    )
  }

  add(amount: unknown): ExpressionRef {
    return this.#arithmetic("+", amount)
  }
  sub(amount: unknown): ExpressionRef {
    return this.#arithmetic("-", amount)
  }
  mul(amount: unknown): ExpressionRef {
    return this.#arithmetic("*", amount)
  }
  div(amount: unknown): ExpressionRef {
    return this.#arithmetic("/", amount)
  }
  #arithmetic(op: ArithmeticOperator, amount: unknown): ExpressionRef {
    if (!["int", "bigint", "float"].includes(this.type.type)) {
      throw new QueryError(`Arithmetic needs a numeric column; '${this.label}' is ${this.type.type}`)
    }
    let right: Expr
    let type = this.type
    if (isExpression(amount)) {
      if (!["int", "bigint", "float"].includes(amount.type.type)) {
        throw new QueryError(`Arithmetic needs numeric operands; '${amount.label}' is ${amount.type.type}`)
      }
      right = amount.expr
      if (amount.type.type === "float" || (amount.type.type === "bigint" && type.type === "int")) type = amount.type
    } else {
      // The operand is checked as the column's type: an int column takes integers.
      right = { kind: "param", value: checkValue(this.check?.model ?? this.label, { ...this.type, nullable: false }, amount, false), column: this.type }
    }
    return new ExpressionRef({ kind: "arith", op, left: this.expr, right }, { ...pseudoColumn(type.type), dbType: type.dbType }, null, `${this.label} ${op} …`)
  }

  #aggregate(fn: AggregateFunction): ExpressionRef {
    if ((fn === "sum" || fn === "avg") && !NUMERIC.includes(this.type.type)) {
      throw new QueryError(`${fn}() needs a numeric or decimal column; '${this.label}' is ${this.type.type}`)
    }
    if ((fn === "min" || fn === "max") && (this.type.type === "json" || this.type.type === "bytes" || this.type.type === "bool")) {
      throw new QueryError(`${fn}() cannot compare ${this.type.type} values ('${this.label}')`)
    }
    const type = fn === "count" ? pseudoColumn("int") : aggregateType(fn, this.type)
    return new ExpressionRef({ kind: "aggregate", fn, arg: this.expr, distinct: false }, type, null, `${fn}(${this.label})`)
  }
  /** `SUM(expr)`. */
  sum(): ExpressionRef {
    return this.#aggregate("sum")
  }
  /** `AVG(expr)`. */
  avg(): ExpressionRef {
    return this.#aggregate("avg")
  }
  /** `MIN(expr)`. */
  min(): ExpressionRef {
    return this.#aggregate("min")
  }
  /** `MAX(expr)`. */
  max(): ExpressionRef {
    return this.#aggregate("max")
  }
  /** `COUNT(expr)`: rows where the expression is not NULL. */
  count(): ExpressionRef {
    return this.#aggregate("count")
  }
  /** `COUNT(DISTINCT expr)`. */
  countDistinct(): ExpressionRef {
    return new ExpressionRef({ kind: "aggregate", fn: "count", arg: this.expr, distinct: true }, pseudoColumn("int"), null, `count(distinct ${this.label})`)
  }

  /** Whether this is a plain column of a query (used by `update()` values). */
  get isColumn(): boolean {
    return this.#simple()
  }
}

/** True for an expression object (columns, aggregates, conditions, ...). */
export const isExpression = (value: unknown): value is ExpressionRef =>
  typeof value === "object" && value !== null && EXPRESSION in value

/** Predicates built while a `where()`/`having()` callback runs (see {@link collectingPredicates}). */
let built: Array<Predicate> | null = null

/** A boolean condition over a model's columns. Immutable. */
export class Predicate extends ExpressionRef {
  readonly [PREDICATE] = true
  /** Phantom: a condition selects as a boolean. */
  declare readonly "~type": boolean
  /** @internal */
  constructor(readonly condition: Condition) {
    super(condition, pseudoColumn("bool"), null, "condition")
    built?.push(this)
  }

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

/** The condition of a predicate, or a `QueryError` naming where a non-predicate came from. */
export const toCondition = (value: unknown, where: string): Condition => {
  if (isPredicate(value)) return value.condition
  throw new QueryError(
    `${where} expects a predicate such as p.views.gte(100), got ${describe(value)}` +
      (typeof value === "boolean"
        ? " (a JS boolean: use column methods like .eq() and .and()/.or(), not JS operators such as &&, || or ===)"
        : ""),
  )
}

/** Every condition node reachable from `root`, subquery and relation filters included. */
const reachable = (root: Expr, into: Set<object>): void => {
  const visit = (e: Expr | null | undefined): void => {
    if (e === null || e === undefined || into.has(e)) return
    into.add(e)
    switch (e.kind) {
      case "and":
      case "or":
        for (const item of e.items) visit(item)
        return
      case "not":
      case "isNotTrue":
        visit(e.item)
        return
      case "compareExpr":
      case "arith":
        visit(e.left)
        visit(e.right)
        return
      case "likeExpr":
      case "nullExpr":
        visit(e.expr)
        return
      case "aggregate":
        visit(e.arg)
        return
      case "related":
      case "relatedCount":
        visit(e.where)
        return
      case "fragment":
        for (const v of e.values) if ("expr" in v) visit(v.expr)
        return
      default:
        return
    }
  }
  visit(root)
}

/**
 * Runs a `where()`/`having()` callback and refuses a result that silently dropped a condition
 * the callback built: `p.a.gt(1) && p.b.gt(2)` evaluates to its right side only (JS operators
 * cannot combine predicates), so the left one never reaches the query.
 */
export const collectingPredicates = <T>(what: string, callback: () => T): T => {
  const outer = built
  const mine: Array<Predicate> = []
  built = mine
  let result: T
  try {
    result = callback()
  } finally {
    built = outer
  }
  if (mine.length > 1 && isExpression(result)) {
    const seen = new Set<object>()
    reachable(result.expr, seen)
    if (mine.some((p) => !seen.has(p.condition))) {
      throw new QueryError(
        `${what} callback built a condition it does not return: combine conditions with .and()/.or() (or and(), or(), not()), not with JS operators such as && or ||`,
      )
    }
  }
  // What a nested where() (a subquery) built was checked there; the outer callback only
  // answers for its own conditions.
  return result
}
