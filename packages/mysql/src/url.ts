/**
 * `mysql://` URLs: what mysql2 gets (host, port, user, password, database, TLS) and nothing of
 * the password ever reaches a message.
 *
 * @module
 */
import { readFileSync } from "node:fs"
import { ConnectionError, redactUrl } from "@ferro/core/internal"

/** TLS settings passed to mysql2 (`ssl`), from the URL's `sslmode` / `ssl*` parameters. */
export interface MysqlTls {
  readonly rejectUnauthorized: boolean
  readonly ca?: string
  readonly cert?: string
  readonly key?: string
}

/** A parsed `mysql://` URL. */
export interface MysqlLocation {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string
  readonly database: string | null
  readonly ssl: MysqlTls | null
}

const SSL_MODES = new Set(["disable", "prefer", "require", "verify-ca", "verify-full", "verify-identity"])
const FILE_PARAMETERS = { sslrootcert: "ca", sslcert: "cert", sslkey: "key" } as const

/**
 * Parses `mysql://user:pass@host:port/db` (also `mariadb://`). TLS: `?sslmode=require` (encrypt,
 * no certificate check), `verify-ca` / `verify-full` / `verify-identity` (check it), `disable`;
 * `sslrootcert`, `sslcert`, `sslkey` name PEM files. Any other parameter is refused, so a typo
 * does not silently connect without the setting it meant.
 */
export const parseMysqlUrl = (url: string): MysqlLocation => {
  const redacted = redactUrl(url)
  if (!/^(mysql|mariadb):\/\//i.test(url)) throw new ConnectionError(`Not a MySQL URL: ${redacted}`, redacted)
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ConnectionError(`Invalid MySQL URL: ${redacted}`, redacted)
  }
  const decode = (part: string, what: string): string => {
    try {
      return decodeURIComponent(part)
    } catch {
      throw new ConnectionError(`Invalid MySQL URL: ${redacted}: the ${what} is not valid percent-encoding`, redacted)
    }
  }
  const database = decode(parsed.pathname.replace(/^\//, ""), "database name")
  if (database.includes("/")) throw new ConnectionError(`Invalid MySQL URL: ${redacted}: one database name after the host`, redacted)
  const port = parsed.port === "" ? 3306 : Number(parsed.port)
  let mode: string | null = null
  const files: { ca?: string; cert?: string; key?: string } = {}
  for (const [name, value] of parsed.searchParams) {
    const key = name.toLowerCase()
    if (key === "sslmode" || key === "ssl-mode") {
      mode = value.toLowerCase()
      if (!SSL_MODES.has(mode)) {
        throw new ConnectionError(`Invalid sslmode '${value}' in ${redacted}: use ${[...SSL_MODES].join(", ")}`, redacted)
      }
    } else if (key === "ssl") {
      if (value !== "true" && value !== "false") throw new ConnectionError(`Invalid ssl '${value}' in ${redacted}: use true or false`, redacted)
      mode = value === "true" ? "verify-full" : "disable"
    } else if (Object.hasOwn(FILE_PARAMETERS, key)) {
      const field = FILE_PARAMETERS[key as keyof typeof FILE_PARAMETERS]
      try {
        files[field] = readFileSync(value, "utf8")
      } catch (error) {
        throw new ConnectionError(`Cannot read ${key} file named in ${redacted}`, redacted, { cause: error })
      }
    } else {
      throw new ConnectionError(
        `Unknown parameter '${name}' in ${redacted}: supported are sslmode, ssl, sslrootcert, sslcert, sslkey`,
        redacted,
      )
    }
  }
  if (mode === null && Object.keys(files).length > 0) mode = "verify-full"
  const ssl =
    mode === null || mode === "disable" || mode === "prefer"
      ? null
      : { rejectUnauthorized: mode !== "require", ...files }
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, "$1") || "localhost",
    port,
    user: decode(parsed.username, "user name"),
    password: decode(parsed.password, "password"),
    database: database === "" ? null : database,
    ssl,
  }
}
