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
