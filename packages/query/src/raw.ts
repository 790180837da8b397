/**
 * Raw SQL: `execute`, `fetchAll`, `fetchOne`, and the `sql` tagged template that binds every
 * interpolation. Strings use the backend's own placeholders (the dialect's: `?` on SQLite, `$1` on PostgreSQL).
 *
 * @module
 */
import { type Dialect, Instances, type Operation, QueryError, type Statement, namedOperation } from "@ferro/core/internal"
import { resolveConnection } from "./context.js"
import type { Expr, Fragment } from "./expression.js"
import { SUBQUERY, isExpression, isSubquery } from "./expression-ref.js"
import { encodeRawValue } from "./values.js"

const FRAGMENT: unique symbol = Symbol.for("ferro/sql")

/**
 * SQL text with bound values, built by the {@link sql} tag. `T` is the value type it has as
 * an expression in a query (`sql<boolean>` in `where()`, `sql<number>` in `select()`).
 */
export interface SqlFragment<T = unknown> {
  readonly [FRAGMENT]: true
  readonly strings: ReadonlyArray<string>
  readonly values: ReadonlyArray<unknown>
  /** Phantom: the fragment's value type as an expression. */
  readonly "~type": T
  /**
   * How a selected fragment's cell becomes its value. A fragment has no column type, so in
   * `select()` it gives the driver's value as is (text on PostgreSQL): `mapWith(Number)` makes
   * `sql<number>\`length(${p.title})\`` a number on every backend.
   */
  mapWith<U>(decode: (raw: unknown) => U): SqlFragment<U>
  /** The decoder set by {@link SqlFragment.mapWith}, if any. */
  readonly decode?: ((raw: unknown) => unknown) | undefined
}

class TemplateFragment<T> {
  readonly [FRAGMENT] = true as const
  declare readonly "~type": T
  constructor(
    readonly strings: ReadonlyArray<string>,
    readonly values: ReadonlyArray<unknown>,
    readonly decode?: ((raw: unknown) => unknown) | undefined,
  ) {}
  mapWith<U>(decode: (raw: unknown) => U): SqlFragment<U> {
    if (typeof decode !== "function") throw new QueryError("mapWith() expects a function, such as Number")
    return new TemplateFragment<U>(this.strings, this.values, decode)
  }
}

export const isFragment = (value: unknown): value is SqlFragment =>
  typeof value === "object" && value !== null && FRAGMENT in value

const fragment = <T = unknown>(strings: ReadonlyArray<string>, values: ReadonlyArray<unknown>): SqlFragment<T> =>
  new TemplateFragment<T>(strings, values)

/**
 * A fragment as a node of a query's tree: column expressions interpolated in it become
 * (quoted, qualified) columns, queries become subqueries, everything else a bound value.
 */
export const fragmentNode = (input: SqlFragment): Fragment => {
  const strings: Array<string> = [""]
  const values: Array<{ readonly expr: Expr } | { readonly value: unknown }> = []
  const walk = (f: SqlFragment) => {
    f.strings.forEach((part, i) => {
      strings[strings.length - 1] += part
      if (i >= f.values.length) return
      const value = f.values[i]
      if (isFragment(value)) walk(value)
      else {
        values.push(
          isExpression(value)
            ? { expr: value.expr }
            : isSubquery(value)
              ? { expr: { kind: "subquery", query: value[SUBQUERY]() } }
              : { value },
        )
        strings.push("")
      }
    })
  }
  walk(input)
  return { kind: "fragment", strings, values }
}

/**
 * Tagged template: every `${value}` becomes a bound parameter, never SQL text. Nested
 * fragments are spliced in, so queries compose.
 *
 * ```ts
 * await fetchAll(sql`SELECT * FROM posts WHERE views > ${min}`)
 * ```
 */
export const sql: {
  <T = unknown>(strings: TemplateStringsArray, ...values: ReadonlyArray<unknown>): SqlFragment<T>
  /** Trusted SQL text spliced in verbatim (never user input). */
  raw(text: string): SqlFragment
  /** A quoted identifier (table or column name). */
  identifier(name: string): SqlFragment
  /** Fragments joined with `separator` (default `, `). */
  join(fragments: ReadonlyArray<SqlFragment | unknown>, separator?: string): SqlFragment
} = Object.assign(<T = unknown>(strings: TemplateStringsArray, ...values: ReadonlyArray<unknown>) => fragment<T>([...strings], values), {
  raw: (text: string) => fragment([text], []),
  identifier: (name: string) => fragment([`"${name.replace(/"/g, '""')}"`], []),
  join: (parts: ReadonlyArray<unknown>, separator = ", ") => {
    if (parts.length === 0) return fragment([""], [])
    const strings = ["", ...parts.slice(1).map(() => separator), ""]
    return fragment(strings, parts)
  },
})

/** Compiles a fragment for `dialect`: placeholders in order, nested fragments flattened. */
export const compileFragment = (input: SqlFragment, dialect: Dialect): Statement => {
  let text = ""
  const params: Array<unknown> = []
  const walk = (f: SqlFragment) => {
    f.strings.forEach((part, i) => {
      text += part
      if (i < f.values.length) {
        const value = f.values[i]
        if (isFragment(value)) walk(value)
        else {
          params.push(value)
          text += dialect.placeholder(params.length)
        }
      }
    })
  }
  walk(input)
  return { sql: text, params }
}

/** Options for raw SQL. */
export interface RawOptions {
  /** Connection name; defaults to the default connection. */
  readonly using?: string
  /**
   * With `using`, inside a transaction on another connection: run outside that transaction
   * instead of being refused with a `TransactionError`.
   */
  readonly outsideTransaction?: boolean
}

const statementFor = (
  query: string | SqlFragment,
  params: ReadonlyArray<unknown> | undefined,
  dialect: Dialect,
): Statement => {
  let statement: Statement
  if (isFragment(query)) {
    if (params !== undefined && params.length > 0) {
      throw new QueryError("Pass parameters either through the sql`` template or as an array, not both")
    }
    statement = compileFragment(query, dialect)
  } else if (typeof query === "string") {
    if (params !== undefined && !Array.isArray(params)) throw new QueryError("Raw SQL parameters must be an array")
    statement = { sql: query, params: params ?? [] }
  } else {
    throw new QueryError("Raw SQL must be a string or a sql`` template")
  }
  if (statement.sql.trim().length === 0) throw new QueryError("Raw SQL must be a non-empty statement")
  const encoded = statement.params.map((value, i) => {
    try {
      return encodeRawValue(value, dialect)
    } catch (error) {
      throw new QueryError(
        `Cannot bind parameter ${i + 1}: ${(error as Error).message}`,
        statement.sql,
        statement.params.length,
      )
    }
  })
  return { sql: statement.sql, params: encoded }
}

/** Runs a statement; returns the number of rows it affected. */
export const execute = (
  query: string | SqlFragment,
  params?: ReadonlyArray<unknown>,
  options?: RawOptions,
): Operation<number> =>
  namedOperation("execute", undefined, async () => {
    const connection = resolveConnection(options?.using, options)
    const result = await connection.driver.execute(statementFor(query, params, connection.driver.dialect))
    Instances.noteWrite()
    return result.rowsAffected
  })

/** Runs a query; returns every row as an object keyed by column name. */
export const fetchAll = <Row extends Record<string, unknown> = Record<string, unknown>>(
  query: string | SqlFragment,
  params?: ReadonlyArray<unknown>,
  options?: RawOptions,
): Operation<Array<Row>> =>
  namedOperation("fetchAll", undefined, async () => {
    const connection = resolveConnection(options?.using, options)
    return (await connection.driver.objects(statementFor(query, params, connection.driver.dialect))) as Array<Row>
  })

/** Runs a query; returns the first row, or null. */
export const fetchOne = <Row extends Record<string, unknown> = Record<string, unknown>>(
  query: string | SqlFragment,
  params?: ReadonlyArray<unknown>,
  options?: RawOptions,
): Operation<Row | null> =>
  namedOperation("fetchOne", undefined, async () => {
    const rows = await fetchAll<Row>(query, params, options)
    return rows[0] ?? null
  })
