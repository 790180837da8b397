import type { LogicalType } from "./metadata.js"

/**
 * Canonical spellings both backends store and return alike: UUIDs in lower case (as
 * PostgreSQL returns them), times without trailing fractional zeros (`10:00:00.500` ->
 * `10:00:00.5`, as PostgreSQL prints them). Other values pass through.
 */
export const normalizeValue = (type: LogicalType, value: unknown): unknown => {
  if (typeof value !== "string") return value
  if (type === "uuid") return value.toLowerCase()
  if (type === "time" && value.includes(".")) return value.replace(/\.?0+$/, "")
  return value
}
