import type { ColumnMetadata, Dialect } from "@ferro/core/internal"

/**
 * A decoder is a JS expression template over `v` (the non-null raw cell) that yields the
 * property value; `null` means the raw value is used as is. Expressions rather than closures
 * let the generated hydrator inline them. Each dialect supplies its decoders
 * (`dialect.decoder`) and the helpers they call (`dialect.decoderHelpers`).
 */
export type DecoderExpression = string | null

/** The decoder expression for `column` read from `dialect`. */
export const decoderFor = (column: ColumnMetadata, dialect: Dialect, bigints: boolean): DecoderExpression =>
  dialect.decoder(column, bigints)

/** Whether reading these columns needs integers as `bigint` (where the dialect reads them so: `readsBigints`). */
export const needsBigints = (columns: ReadonlyArray<ColumnMetadata>): boolean =>
  columns.some((c) => c.type === "bigint")

const cellDecoders = new WeakMap<Dialect, Map<string, (raw: unknown) => unknown>>()

/**
 * A function decoding one raw cell of `column` (null stays null). Built once per logical
 * type, dialect and integer mode; for one-off reads (hydrators inline their decoders).
 */
export const cellDecoder = (column: ColumnMetadata, dialect: Dialect, bigints: boolean): ((raw: unknown) => unknown) => {
  let decoders = cellDecoders.get(dialect)
  if (decoders === undefined) cellDecoders.set(dialect, (decoders = new Map()))
  const key = `${column.type}:${bigints}`
  let decode = decoders.get(key)
  if (decode === undefined) {
    const expression = decoderFor(column, dialect, bigints)
    decode =
      expression === null
        ? (raw: unknown) => (raw === undefined ? null : raw)
        : (new Function("helpers", `return (v) => v === null || v === undefined ? null : ${expression}`)(
            dialect.decoderHelpers,
          ) as (raw: unknown) => unknown)
    decoders.set(key, decode)
  }
  return decode
}
