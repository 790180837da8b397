/**
 * Checks values against a column's logical type before any SQL is built, and encodes them
 * for a dialect's driver. Bad values raise `ValidationError`; values never appear in messages.
 *
 * @module
 */
import {
  type ColumnMetadata,
  type Dialect,
  type ModelMetadata,
  ValidationError,
  type ValidationIssue,
  getModel,
  isJsonValue,
  isWellFormedText,
  isWideIntegerDbType,
  modelRuntime,
  normalizeValue,
} from "@ferro/core/internal"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DECIMAL = /^-?\d+(\.\d+)?$/
const DATE = /^\d{4}-\d{2}-\d{2}$/
const TIME = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?$/
/** ISO 8601 date-time (date, "T" or space, time, optional fraction and offset), or a bare date. */
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2})(?::?(\d{2}))?)?)?$/

/** Whether year-month-day names a day of the proleptic Gregorian calendar (no rollover: 02-30 is not 03-01). */
const isCalendarDate = (y: number, m: number, d: number): boolean => {
  const date = new Date(0)
  date.setUTCFullYear(y, m - 1, d)
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d
}

const isValidDate = (value: string): boolean => {
  const [y, m, d] = value.split("-").map(Number) as [number, number, number]
  return isCalendarDate(y, m, d)
}

/**
 * Parses an ISO 8601 date-time strictly: every field in range and the day in its month
 * (JavaScript's `Date` rolls `2024-02-30` over to March 1st). Null when impossible.
 */
const parseDateTime = (value: string): Date | null => {
  const match = ISO_DATETIME.exec(value)
  if (match === null) return null
  const [, y, mo, d, h = "0", mi = "0", s = "0", oh = "0", om = "0"] = match
  if (!isCalendarDate(Number(y), Number(mo), Number(d))) return null
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59 || Number(oh) > 23 || Number(om) > 59) return null
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? null : date
}

const describe = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : value instanceof Date ? "a Date" : `a ${typeof value}`

const reject = (model: string, column: ColumnMetadata, expected: string, value: unknown): never => {
  throw new ValidationError(model, [{ path: column.property, message: `expected ${expected}, got ${describe(value)}` }])
}

/**
 * Normalises a value compared with or written to `column`: accepts the column's JS type, and
 * ISO strings for datetimes. Returns the value to encode. `null` passes only for nullable
 * columns unless `allowNull` says otherwise.
 */
export const checkValue = (model: string, column: ColumnMetadata, value: unknown, allowNull = column.nullable): unknown => {
  if (value === null) return allowNull ? null : reject(model, column, `a non-null ${column.type}`, value)
  switch (column.type) {
    case "int":
      if (isWideIntegerDbType(column.dbType ?? undefined)) {
        if (typeof value === "number" && Number.isSafeInteger(value)) return value
        return reject(model, column, "a safe integer (within ±2^53-1)", value)
      }
      if (typeof value === "number" && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647) return value
      return reject(model, column, "a 32-bit integer", value)
    case "bigint":
      if (typeof value === "bigint") {
        if (value >= -(2n ** 63n) && value < 2n ** 63n) return value
        return reject(model, column, "a 64-bit integer", value)
      }
      if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value)
      return reject(model, column, "a bigint", value)
    case "float":
      if (typeof value === "number" && Number.isFinite(value)) return value
      return reject(model, column, "a finite number", value)
    case "decimal":
      if (typeof value === "string" && DECIMAL.test(value)) return value
      // A number only when its decimal spelling is exact and plain (no exponent).
      if (typeof value === "number" && Number.isFinite(value) && DECIMAL.test(String(value))) return String(value)
      if (typeof value === "bigint") return value.toString()
      return reject(model, column, 'a decimal string such as "12.50"', value)
    case "bool":
      if (typeof value === "boolean") return value
      return reject(model, column, "a boolean", value)
    case "text":
      if (typeof value === "string") {
        if (isWellFormedText(value)) return value
        return reject(model, column, "well-formed Unicode text (no lone surrogate halves)", value)
      }
      return reject(model, column, "a string", value)
    case "enum":
      if (typeof value === "string" && column.enumValues!.includes(value)) return value
      return reject(model, column, `one of ${column.enumValues!.map((v) => JSON.stringify(v)).join(", ")}`, value)
    case "uuid":
      if (typeof value === "string" && UUID.test(value)) return normalizeValue("uuid", value)
      return reject(model, column, "a UUID string", value)
    case "datetime": {
      const date = value instanceof Date ? value : typeof value === "string" ? parseDateTime(value) : null
      if (date !== null && !Number.isNaN(date.getTime())) return date
      return reject(model, column, "a valid Date or ISO 8601 string", value)
    }
    case "date":
      if (typeof value === "string" && DATE.test(value) && isValidDate(value)) return value
      return reject(model, column, "a valid calendar date YYYY-MM-DD", value)
    case "time":
      if (typeof value === "string" && TIME.test(value)) return normalizeValue("time", value)
      return reject(model, column, "a time string HH:MM:SS", value)
    case "bytes":
      if (value instanceof Uint8Array) return value
      return reject(model, column, "a Uint8Array", value)
    case "json":
      if (isJsonValue(value)) return value
      return reject(
        model,
        column,
        "a JSON value (null, boolean, finite number, well-formed string, array or plain object)",
        value,
      )
  }
}

/**
 * The field's own validation of a checked value (its user `schema`, `maxLength`, decimal
 * precision...): the same check `create()` and `save()` run. Models Ferro did not build
 * (join tables) have only their columns' kind checks, done by {@link checkValue}.
 */
const fieldIssues = (metadata: ModelMetadata, property: string, value: unknown): ReadonlyArray<ValidationIssue> => {
  const entry = getModel(metadata.table)
  if (entry === undefined || entry.metadata !== metadata) return []
  let runtime: ReturnType<typeof modelRuntime>
  try {
    runtime = modelRuntime(entry.modelClass)
  } catch {
    return []
  }
  return runtime.validateValue(property, value)
}

/**
 * The one value check of every entry point that names a column (where values, update values,
 * lookups): the kind check of {@link checkValue}, then the field's own validation. Throws a
 * `ValidationError` naming the field (never quoting the value) before any SQL is built.
 */
export const checkFieldValue = (
  model: string,
  metadata: ModelMetadata,
  column: ColumnMetadata,
  value: unknown,
  allowNull = column.nullable,
): unknown => {
  const checked = checkValue(model, column, value, allowNull)
  if (checked === null) return null
  const issues = fieldIssues(metadata, column.property, checked)
  if (issues.length > 0) throw new ValidationError(model, issues)
  return checked
}

/** A `like`/`ilike` pattern: a well-formed string without NUL (SQLite's LIKE stops at NUL; PostgreSQL text cannot hold it). */
export const checkPattern = (model: string, column: ColumnMetadata, pattern: unknown): string => {
  if (typeof pattern !== "string") {
    throw new ValidationError(model, [{ path: column.property, message: "expected a string pattern" }])
  }
  if (pattern.includes("\u0000")) {
    throw new ValidationError(model, [
      { path: column.property, message: "a like/ilike pattern cannot contain the character U+0000 (NUL)" },
    ])
  }
  if (!isWellFormedText(pattern)) {
    throw new ValidationError(model, [
      { path: column.property, message: "expected a well-formed Unicode pattern (no lone surrogate halves)" },
    ])
  }
  return pattern
}

/** Encodes a checked property value as the driver binds it. */
export const encodeValue = (column: ColumnMetadata, value: unknown, dialect: Dialect): unknown => {
  if (value === null) return column.type === "json" && !column.nullable ? "null" : null
  switch (column.type) {
    case "text":
    case "enum":
      return dialect.encodeText(column, value as string)
    case "bool":
      return dialect.encodeBoolean(value as boolean)
    case "decimal":
      return dialect.encodeDecimal === undefined ? value : dialect.encodeDecimal(column, value as string)
    case "datetime":
      return dialect.encodeDatetime(value as Date)
    case "bytes": {
      const bytes = value as Uint8Array
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    }
    case "json": {
      const text = JSON.stringify(value)
      return dialect.encodeText(column, text)
    }
    default:
      return value
  }
}

/** Encodes a raw-SQL parameter by its JS type. Throws `TypeError` for what no database stores. */
export const encodeRawValue = (value: unknown, dialect: Dialect): unknown => {
  switch (typeof value) {
    case "string":
      // Drivers turn a lone surrogate half into U+FFFD: refuse rather than store an altered value.
      if (!isWellFormedText(value)) throw new TypeError("a string that is not well-formed Unicode (a lone surrogate half)")
      return value
    case "number":
    case "bigint":
      return value
    case "boolean":
      return dialect.encodeBoolean(value)
    case "object":
      if (value === null) return null
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw new TypeError("an invalid Date")
        return dialect.encodeDatetime(value)
      }
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
      if (value instanceof ArrayBuffer) return Buffer.from(value)
      if (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
        try {
          return JSON.stringify(value)
        } catch {
          throw new TypeError("an object JSON cannot represent (cyclic, or holding a bigint)")
        }
      }
      // A Map, Set, class instance...: JSON.stringify would silently store "{}".
      throw new TypeError(`a ${value.constructor?.name ?? "non-plain object"} (only plain objects and arrays are sent as JSON)`)
    default:
      throw new TypeError(value === undefined ? "undefined (use null for SQL NULL)" : `a ${typeof value}`)
  }
}
