/**
 * SQL functions the SQLite driver registers on every connection, so the compiled SQL behaves
 * as it does on PostgreSQL.
 *
 * @module
 */

/** Unicode-aware lower-casing for `ilike()`; SQLite's own `lower()` folds ASCII only. */
export const ferroLower = (value: unknown): unknown => (typeof value === "string" ? value.toLowerCase() : value)

/**
 * An order-preserving text key for an exact decimal string, so comparisons and sorts on
 * decimal columns (stored as text) are numeric and exact at any precision:
 * `ferro_decimal_key('9.5') < ferro_decimal_key('10')`. Non-decimal input is returned as is.
 *
 * Key layout: sign class ('0' negative, '1' zero, '2' positive), a 6-digit biased exponent
 * (number of integer digits, or minus the leading zeros of the fraction), then the
 * significant digits. Negative numbers complement exponent and digits and end with '~', so
 * a longer magnitude sorts lower.
 */
export const ferroDecimalKey = (value: unknown): unknown => {
  if (typeof value !== "string") return value
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(value.trim())
  if (match === null) return value
  const negative = match[1] === "-"
  const whole = (match[2] ?? "").replace(/^0+/, "")
  const fraction = (match[3] ?? "").replace(/0+$/, "")
  const digits = (whole + fraction).replace(/^0+/, "")
  if (digits.length === 0) return "1"
  const exponent = whole.length > 0 ? whole.length : -(fraction.length - fraction.replace(/^0+/, "").length)
  const biased = exponent + 500000
  if (!negative) return `2${String(biased).padStart(6, "0")}${digits}`
  const complement = [...digits].map((d) => String(9 - Number(d))).join("")
  return `0${String(999999 - biased).padStart(6, "0")}${complement}~`
}

/** Passes a 32-bit integer through; anything else out of range fails the statement. */
export const ferroInt32 = (value: unknown): unknown => {
  if (value === null) return null
  const n = typeof value === "bigint" ? Number(value) : (value as number)
  if (typeof n === "number" && Number.isInteger(n) && (n < -2147483648 || n > 2147483647)) {
    throw new RangeError("integer out of range for a 32-bit int column")
  }
  return value
}

const parseDecimal = (text: string): { digits: bigint; scale: number } | null => {
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text.trim())
  if (match === null || (match[2] === "" && (match[3] ?? "") === "")) return null
  const fraction = match[3] ?? ""
  const digits = BigInt(`${match[2] || "0"}${fraction}`)
  return { digits: match[1] === "-" ? -digits : digits, scale: fraction.length }
}

const formatDecimal = (digits: bigint, scale: number): string => {
  const negative = digits < 0n
  const text = (negative ? -digits : digits).toString().padStart(scale + 1, "0")
  const body = scale === 0 ? text : `${text.slice(0, -scale)}.${text.slice(-scale)}`
  return negative ? `-${body}` : body
}

/** The decimal strings of a `group_concat()` list (decimals hold no comma), or null for an empty group. */
const decimalList = (list: unknown): Array<string> | null =>
  typeof list === "string" ? list.split(",") : list === null || list === undefined ? null : [String(list)]

const exactSum = (values: ReadonlyArray<string>): { digits: bigint; scale: number } => {
  const parsed = values.map(parseDecimal).filter((p) => p !== null)
  const scale = Math.max(0, ...parsed.map((p) => p.scale))
  let digits = 0n
  for (const p of parsed) digits += p.digits * 10n ** BigInt(scale - p.scale)
  return { digits, scale }
}

/**
 * Exact SUM of a decimal column (stored as text): `ferro_decimal_sum(group_concat(x))`. SQLite's
 * own SUM would convert every value to a float; this adds them as scaled integers.
 */
export const ferroDecimalSum = (list: unknown): unknown => {
  const values = decimalList(list)
  if (values === null) return null
  const { digits, scale } = exactSum(values)
  return formatDecimal(digits, scale)
}

/** Exact AVG of a decimal column, rounded half away from zero to at least 16 fractional digits (as PostgreSQL's avg(numeric) gives). */
export const ferroDecimalAvg = (list: unknown): unknown => {
  const values = decimalList(list)
  if (values === null || values.length === 0) return null
  const { digits, scale } = exactSum(values)
  const target = Math.max(scale, 16)
  const scaled = digits * 10n ** BigInt(target - scale) * 10n
  const count = BigInt(values.length)
  let quotient = scaled / count
  quotient = quotient < 0n ? (quotient - 5n) / 10n : (quotient + 5n) / 10n
  return formatDecimal(quotient, target)
}

const extreme = (list: unknown, pick: (a: string, b: string) => boolean): unknown => {
  const values = decimalList(list)
  if (values === null || values.length === 0) return null
  let best = values[0]!
  let bestKey = ferroDecimalKey(best) as string
  for (const value of values.slice(1)) {
    const key = ferroDecimalKey(value) as string
    if (pick(key, bestKey)) {
      best = value
      bestKey = key
    }
  }
  return best
}

/** Exact MIN of a decimal column (numeric order, not text order). */
export const ferroDecimalMin = (list: unknown): unknown => extreme(list, (a, b) => a < b)
/** Exact MAX of a decimal column. */
export const ferroDecimalMax = (list: unknown): unknown => extreme(list, (a, b) => a > b)
