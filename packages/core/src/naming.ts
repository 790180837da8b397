/** `createdAt` -> `created_at`, `userID` -> `user_id`, `HTMLParser` -> `html_parser`. */
export const toSnakeCase = (name: string): string =>
  name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()

/** Double-quoted SQL identifier; both SQLite and PostgreSQL accept this spelling. */
export const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`

/** Name of a generated index: `idx_<table>_<cols>` / `uq_<table>_<cols>`, at most 63 bytes. */
export const indexName = (prefix: "idx" | "uq", table: string, columns: ReadonlyArray<string>): string => {
  const raw = `${prefix}_${table}_${columns.join("_")}`
  return raw.length <= 63 ? raw : `${raw.slice(0, 59)}_${prefix === "idx" ? "ix" : "uq"}`
}
