/**
 * Plain-JS predicates for the common field kinds, run before a model's Effect Schema: a value a
 * predicate accepts is one the field's value schema accepts too, so validation skips the
 * schema; anything else (a value that fails, a kind or a user schema without a predicate) goes
 * through the schema, which alone writes the error messages. The schema parse was about 60% of a
 * 10,000-row `bulkCreate` upsert on SQLite (a profile of the bench's upsert).
 *
 * Each predicate states exactly what its Effect Schema checks (effect 4.1): `Schema.Int` is
 * `typeof n === "number"` plus `Number.isSafeInteger`, `isBetween` is an inclusive range,
 * `Schema.Finite` is `Number.isFinite`, `Schema.Date` is `instanceof Date` with a valid time,
 * `isMaxLength` compares `.length`, `Schema.Literals` compares with `===`.
 *
 * @module
 */
import type { LogicalType } from "./metadata.js"

/** What a predicate needs to know of a field. */
export interface CheckedField {
  readonly type: LogicalType
  /** An int column stored as 64 bits (any safe integer), else 32. */
  readonly wide: boolean
  readonly maxLength: number | null
  readonly enumValues: ReadonlyArray<string> | null
  readonly nullable: boolean
  /** A database-assigned key: undefined is accepted. */
  readonly autoincrement: boolean
}

export const INT32_MIN = -2147483648
export const INT32_MAX = 2147483647

/** A lone UTF-16 surrogate half: in `u` mode a surrogate pair is one code point and does not match. */
const LONE_SURROGATE = /[\ud800-\udfff]/u

/**
 * Whether `s` is well-formed Unicode (no lone surrogate halves). Neither backend can store a
 * lone surrogate faithfully (SQLite's engines replace it, differently; PostgreSQL refuses it).
 */
export const isWellFormedText = (s: string): boolean => !LONE_SURROGATE.test(s)

const kindCheck = (field: CheckedField): ((value: unknown) => boolean) | null => {
  switch (field.type) {
    case "int":
      return field.wide
        ? (v) => typeof v === "number" && Number.isSafeInteger(v)
        : (v) => typeof v === "number" && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX
    case "float":
      return (v) => typeof v === "number" && Number.isFinite(v)
    case "bool":
      return (v) => typeof v === "boolean"
    case "datetime":
      return (v) => v instanceof Date && !Number.isNaN(v.getTime())
    case "text": {
      const max = field.maxLength
      return max === null
        ? (v) => typeof v === "string" && isWellFormedText(v)
        : (v) => typeof v === "string" && v.length <= max && isWellFormedText(v)
    }
    case "enum": {
      const values = new Set(field.enumValues ?? [])
      return (v) => typeof v === "string" && values.has(v)
    }
    default:
      return null
  }
}

/**
 * A predicate that holds only for values the field's value schema accepts, or null when there
 * is none (the schema validates every value).
 */
export const acceptsFor = (field: CheckedField): ((value: unknown) => boolean) | null => {
  const check = kindCheck(field)
  if (check === null) return null
  // A primary key cannot be nullable, so no field is both.
  if (field.nullable) return (v) => v === null || check(v)
  if (field.autoincrement) return (v) => v === undefined || check(v)
  return check
}
