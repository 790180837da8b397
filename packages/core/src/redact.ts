const SECRET_KEY = /pass(word)?|passwd|pwd|secret|token|api_?key|service_role|sslkey|sslpassword/i

/**
 * The URL with its password and secret-looking query parameters replaced by `<redacted>`.
 * Safe to put in messages and logs.
 */
export const redactUrl = (url: string): string => {
  let out = url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):([^@/?#]*)@/i, "$1:<redacted>@")
  const q = out.indexOf("?")
  if (q >= 0) {
    const hash = out.indexOf("#", q)
    const query = out.slice(q + 1, hash < 0 ? undefined : hash)
    const redacted = query
      .split("&")
      .map((pair) => {
        const eq = pair.indexOf("=")
        const key = eq < 0 ? pair : pair.slice(0, eq)
        return eq >= 0 && SECRET_KEY.test(decodeURIComponent(key)) ? `${key}=<redacted>` : pair
      })
      .join("&")
    out = out.slice(0, q + 1) + redacted + (hash < 0 ? "" : out.slice(hash))
  }
  return out
}
