/**
 * Type parsing. ORM reads take every column as PostgreSQL's text and decode it in Ferro's
 * generated hydrators (pg's default date parsing dominates its cost). Raw SQL gets JS values,
 * chosen to match what the SQLite driver returns.
 *
 * @module
 */
import pg from "pg"

const identity = (value: string): string => value

/** Every type as text: for ORM reads decoded by Ferro's own parsers. */
export const textTypes = { getTypeParser: () => identity }

const INT8 = 20
const DATE = 1082
const TIME = 1083
const TIMESTAMP = 1114
const NUMERIC = 1700

const parseInt8 = (value: string): number | bigint => {
  const n = Number(value)
  return Number.isSafeInteger(n) ? n : BigInt(value)
}

/** JS values for raw SQL: exact int8, dates and times as strings, numerics as strings. */
export const rawTypes = {
  getTypeParser: (oid: number, format?: "text" | "binary") => {
    switch (oid) {
      case INT8:
        return parseInt8
      case DATE:
      case TIME:
      case TIMESTAMP:
      case NUMERIC:
        return identity
      default:
        return pg.types.getTypeParser(oid, format ?? "text")
    }
  },
}
