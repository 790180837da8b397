import { ConnectionError, redactUrl } from "@ferro/core/internal"

/** Where a `sqlite:` URL points. */
export interface SqliteLocation {
  /** File path, or `":memory:"`. */
  readonly filename: string
  readonly readonly: boolean
  /** The `?engine=` parameter (`js` or `native`), when given. */
  readonly engine?: "js" | "native"
}

/**
 * Parses `sqlite::memory:`, `sqlite:path/app.db`, `sqlite:///abs/app.db` and
 * `sqlite:app.db?mode=ro`, and `?engine=native` for the native engine.
 */
export const parseSqliteUrl = (url: string): SqliteLocation => {
  if (typeof url !== "string" || !url.startsWith("sqlite:")) {
    throw new ConnectionError(`Not a SQLite URL: ${typeof url === "string" ? redactUrl(url) : typeof url}`)
  }
  let rest = url.slice("sqlite:".length)
  let readonly = false
  let engine: "js" | "native" | undefined
  const q = rest.indexOf("?")
  if (q >= 0) {
    const params = new URLSearchParams(rest.slice(q + 1))
    rest = rest.slice(0, q)
    const mode = params.get("mode")
    if (mode !== null && mode !== "ro" && mode !== "rw" && mode !== "rwc") {
      throw new ConnectionError(`Invalid SQLite mode '${mode}' in ${redactUrl(url)}: use ro, rw or rwc`, redactUrl(url))
    }
    readonly = mode === "ro"
    const engineParam = params.get("engine")
    if (engineParam !== null && engineParam !== "js" && engineParam !== "native") {
      throw new ConnectionError(`Invalid SQLite engine '${engineParam}' in ${redactUrl(url)}: use js or native`, redactUrl(url))
    }
    if (engineParam !== null) engine = engineParam
  }
  if (rest.startsWith("//")) rest = rest.slice(2)
  if (rest === ":memory:" || rest === "memory:" || rest === "") {
    if (rest === "") throw new ConnectionError(`SQLite URL has no path: ${redactUrl(url)}; use sqlite::memory: or sqlite:path/app.db`, redactUrl(url))
    return { filename: ":memory:", readonly, ...(engine ? { engine } : {}) }
  }
  let filename = rest
  try {
    filename = decodeURIComponent(rest)
  } catch {
    // Not a valid escape (a bare "%"): the path is meant literally.
  }
  return { filename, readonly, ...(engine ? { engine } : {}) }
}
