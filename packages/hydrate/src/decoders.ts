import type { ColumnMetadata, Dialect } from "@ferro/core"

/**
 * A decoder is a JS expression template over `v` (the non-null raw cell) that yields the
 * property value; `null` means the raw value is used as is. Expressions rather than closures
 * let the generated hydrator inline them.
 */
export type DecoderExpression = string | null

/** Runtime helpers the decoder expressions may call, passed into the generated code. */
export const decoderHelpers = {
  // A copy, not a view: the driver's buffer stays in the row snapshot, unchanged by edits.
  bytes: (v: Uint8Array): Uint8Array => new Uint8Array(v),
  decimal: (v: unknown): string => (typeof v === "string" ? v : String(v)),
  /** PostgreSQL `timestamptz` text in a UTC, ISO-DateStyle session: `2024-01-02 03:04:05.678+00`. */
  pgTimestamp: (v: string): Date =>
    v.length >= 22 && v.endsWith("+00") && v.charCodeAt(4) === 45
      ? new Date(`${v.slice(0, 10)}T${v.slice(11, -3)}Z`)
      : new Date(v.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00")),
  /** PostgreSQL `bytea` hex text: `\\x0102ff`. */
  pgBytes: (v: string): Uint8Array => new Uint8Array(Buffer.from(v.slice(2), "hex")),
} as const

/**
 * How a SQLite cell becomes a property value. `bigints` says the statement read integers as
 * `bigint` (needed when it selects a 64-bit column).
 */
const sqliteDecoder = (column: ColumnMetadata, bigints: boolean): DecoderExpression => {
  switch (column.type) {
    case "int":
      return bigints ? "Number(v)" : null
    case "bigint":
      return bigints ? null : "BigInt(v)"
    case "float":
      return bigints ? "Number(v)" : null
    case "bool":
      return "(v === 1 || v === 1n)"
    case "datetime":
      return "new Date(v)"
    case "json":
      return "JSON.parse(v)"
    case "bytes":
      return "helpers.bytes(v)"
    case "decimal":
      return "helpers.decimal(v)"
    case "text":
    case "enum":
    case "uuid":
    case "date":
    case "time":
      return null
  }
}

/** How a PostgreSQL cell (always text: the driver disables pg's own parsing) becomes a value. */
const postgresDecoder = (column: ColumnMetadata): DecoderExpression => {
  switch (column.type) {
    case "int":
    case "float":
      return "+v"
    case "bigint":
      return "BigInt(v)"
    case "bool":
      return '(v === "t")'
    case "datetime":
      return "helpers.pgTimestamp(v)"
    case "json":
      return "JSON.parse(v)"
    case "bytes":
      return "helpers.pgBytes(v)"
    case "decimal":
    case "text":
    case "enum":
    case "uuid":
    case "date":
    case "time":
      return null
  }
}

/** The decoder expression for `column` read from `dialect`. */
export const decoderFor = (column: ColumnMetadata, dialect: Dialect, bigints: boolean): DecoderExpression =>
  dialect === "sqlite" ? sqliteDecoder(column, bigints) : postgresDecoder(column)

/** Whether reading these columns on SQLite needs integers as `bigint`. */
export const needsBigints = (columns: ReadonlyArray<ColumnMetadata>): boolean =>
  columns.some((c) => c.type === "bigint")

const cellDecoders = new Map<string, (raw: unknown) => unknown>()

/**
 * A function decoding one raw cell of `column` (null stays null). Built once per logical
 * type, dialect and integer mode; for one-off reads (hydrators inline their decoders).
 */
export const cellDecoder = (column: ColumnMetadata, dialect: Dialect, bigints: boolean): ((raw: unknown) => unknown) => {
  const key = `${column.type}:${dialect}:${bigints}`
  let decode = cellDecoders.get(key)
  if (decode === undefined) {
    const expression = decoderFor(column, dialect, bigints)
    decode =
      expression === null
        ? (raw: unknown) => (raw === undefined ? null : raw)
        : (new Function("helpers", `return (v) => v === null || v === undefined ? null : ${expression}`)(
            decoderHelpers,
          ) as (raw: unknown) => unknown)
    cellDecoders.set(key, decode)
  }
  return decode
}
