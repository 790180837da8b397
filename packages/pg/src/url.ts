import { ConnectionError, redactUrl } from "@ferro/core/internal"

/** A `postgres://` URL split into what pg gets and what Ferro handles itself. */
export interface PostgresLocation {
  /** The URL for pg, without Ferro's own parameters. */
  readonly connectionString: string
  /** Schema pinned as `search_path` on every pooled connection, if given. */
  readonly schema: string | null
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/**
 * Parses `postgres://` / `postgresql://` URLs. `?schema=<name>` pins the schema; every other
 * parameter (e.g. `sslmode`) goes to pg.
 */
export const parsePostgresUrl = (url: string): PostgresLocation => {
  const redacted = redactUrl(url)
  if (!/^postgres(ql)?:\/\//i.test(url)) throw new ConnectionError(`Not a PostgreSQL URL: ${redacted}`, redacted)
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ConnectionError(`Invalid PostgreSQL URL: ${redacted}`, redacted)
  }
  const schema = parsed.searchParams.get("schema")
  if (schema !== null && /^pg_/i.test(schema)) {
    // pg_temp would silently put every table in the session's temporary schema.
    throw new ConnectionError(
      `Invalid schema '${schema}' in ${redacted}: names starting with 'pg_' are reserved for PostgreSQL's system schemas`,
      redacted,
    )
  }
  if (schema !== null && !IDENTIFIER.test(schema)) {
    throw new ConnectionError(
      `Invalid schema '${schema}' in ${redacted}: use letters, digits and '_' (at most 63, not starting with a digit)`,
      redacted,
    )
  }
  parsed.searchParams.delete("schema")
  return { connectionString: parsed.toString(), schema }
}
