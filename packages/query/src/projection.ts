/**
 * Partial selects: what `select((p) => ...)` takes, the row type it gives, and how result rows
 * become plain objects (not instances, not in the identity map).
 *
 * @module
 */
import { type ColumnMetadata, type Dialect, QueryError } from "@ferro/core"
import { cellDecoder, needsBigints } from "@ferro/hydrate"
import type { Expression } from "./column.js"
import type { Selected } from "./expression.js"
import { type ExpressionRef, isExpression, pseudoColumn } from "./expression-ref.js"
import { type SqlFragment, fragmentNode, isFragment } from "./raw.js"

/** One selectable value: an expression or a `sql<T>` fragment. */
export type Selectable = Expression<unknown> | SqlFragment<unknown>

/** What a `select()` callback may return: one value, a tuple, or a plain object of them. */
export type Selection = Selectable | ReadonlyArray<Selectable> | { readonly [key: string]: Selectable }

/** The value a selected expression gives. */
export type SelectedValue<E> = E extends { readonly "~type": infer T } ? T : never

/** The row type of a selection. */
export type RowOf<S> = S extends Selectable
  ? SelectedValue<S>
  : { -readonly [K in keyof S]: SelectedValue<S[K]> }

/** A compiled projection: the selected nodes and how to decode and shape each row. */
export interface Projection {
  readonly shape: "value" | "tuple" | "object"
  readonly items: ReadonlyArray<Selected>
  /** Decoding type per item (null: the driver's value as is, for raw fragments). */
  readonly types: ReadonlyArray<ColumnMetadata | null>
  /** A raw fragment's own decoder (`mapWith`), per item. */
  readonly maps: ReadonlyArray<((raw: unknown) => unknown) | undefined>
}

const item = (
  key: string,
  value: unknown,
  what: string,
): { selected: Selected; type: ColumnMetadata | null; map?: ((raw: unknown) => unknown) | undefined } => {
  if (isExpression(value)) {
    const ref = value as ExpressionRef
    return { selected: { key, expr: ref.expr }, type: ref.type }
  }
  if (isFragment(value)) return { selected: { key, expr: fragmentNode(value) }, type: null, map: value.decode }
  throw new QueryError(
    `${what}: '${key}' must be an expression such as p.title, p.views.sum() or count(), got ${value === null ? "null" : typeof value}`,
  )
}

/** Builds a projection from what a `select()` callback returned. */
export const toProjection = (value: unknown): Projection => {
  const what = "select()"
  if (isExpression(value) || isFragment(value)) {
    const one = item("value", value, what)
    return { shape: "value", items: [one.selected], types: [one.type], maps: [one.map] }
  }
  if (Array.isArray(value)) {
    if (value.length === 0) throw new QueryError(`${what} needs at least one expression`)
    const items = value.map((v, i) => item(String(i), v, what))
    return { shape: "tuple", items: items.map((i) => i.selected), types: items.map((i) => i.type), maps: items.map((i) => i.map) }
  }
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value)
    if (entries.length === 0) throw new QueryError(`${what} needs at least one expression`)
    const items = entries.map(([k, v]) => item(k, v, what))
    return { shape: "object", items: items.map((i) => i.selected), types: items.map((i) => i.type), maps: items.map((i) => i.map) }
  }
  throw new QueryError(
    `${what} expects a callback returning an expression, an array or a plain object of expressions, such as (p) => ({ id: p.id, title: p.title })`,
  )
}

/** Whether SQLite must read this projection's integers as bigint. */
export const projectionNeedsBigints = (projection: Projection): boolean =>
  needsBigints(projection.types.filter((t): t is ColumnMetadata => t !== null))

/** Turns result rows into the projection's values. */
export const decodeProjection = (
  projection: Projection,
  rows: ReadonlyArray<ReadonlyArray<unknown>>,
  dialect: Dialect,
  bigints: boolean,
): Array<unknown> => {
  const decoders = projection.types.map((t) => cellDecoder(t ?? pseudoColumn("text"), dialect, bigints))
  const raw = projection.types.map((t) => t === null)
  const { maps } = projection
  const cell = (row: ReadonlyArray<unknown>, i: number): unknown => {
    const value = row[i]
    if (raw[i]) {
      const driverValue = value === undefined ? null : typeof value === "bigint" && bigints ? normaliseInteger(value) : value
      const map = maps[i]
      return map === undefined || driverValue === null ? driverValue : map(driverValue)
    }
    return decoders[i]!(value)
  }
  const { shape, items } = projection
  if (shape === "value") return rows.map((row) => cell(row, 0))
  if (shape === "tuple") return rows.map((row) => items.map((_, i) => cell(row, i)))
  const keys = items.map((i) => i.key)
  // A key named __proto__ must be an own property, not a prototype assignment.
  if (keys.includes("__proto__")) {
    return rows.map((row) => {
      const out: Record<string, unknown> = {}
      keys.forEach((key, i) => Object.defineProperty(out, key, { value: cell(row, i), enumerable: true, writable: true, configurable: true }))
      return out
    })
  }
  return rows.map((row) => {
    const out: Record<string, unknown> = {}
    for (let i = 0; i < keys.length; i++) out[keys[i]!] = cell(row, i)
    return out
  })
}

/** A raw fragment's integer read in bigint mode: a number when it fits. */
const normaliseInteger = (value: bigint): number | bigint =>
  value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value
