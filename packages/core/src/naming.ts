/** `createdAt` -> `created_at`, `userID` -> `user_id`, `HTMLParser` -> `html_parser`. */
export const toSnakeCase = (name: string): string =>
  name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()

/** Double-quoted SQL identifier; both SQLite and PostgreSQL accept this spelling. */
export const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`

/** FNV-1a, 32 bits, as 8 hex digits: a short, stable fingerprint for truncated names. */
const fingerprint = (text: string): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash.toString(16).padStart(8, "0")
}

const MAX_IDENTIFIER_BYTES = 63 // PostgreSQL's NAMEDATALEN - 1

/**
 * Name of a generated index or constraint: `idx_<table>_<cols>` / `uq_<table>_<cols>` /
 * `fk_<table>_<col>_<target>`. Names longer than
 * PostgreSQL's 63 bytes are cut and suffixed with a fingerprint of the full name, so two
 * different long names never collapse into one.
 */
export const indexName = (prefix: "idx" | "uq" | "fk", table: string, columns: ReadonlyArray<string>): string => {
  const raw = `${prefix}_${table}_${columns.join("_")}`
  if (Buffer.byteLength(raw) <= MAX_IDENTIFIER_BYTES) return raw
  let cut = raw.slice(0, MAX_IDENTIFIER_BYTES - 9)
  while (Buffer.byteLength(cut) > MAX_IDENTIFIER_BYTES - 9) cut = cut.slice(0, -1)
  return `${cut}_${fingerprint(raw)}`
}
