const SECRET_KEY = /pass(word)?|passwd|pwd|secret|token|api[_-]?key|private[_-]?key|service_role|sslkey|credential/i

/**
 * The URL with its password and secret-looking query parameters replaced by `<redacted>`.
 * Safe to put in messages and logs.
 */
export const redactUrl = (url: string): string => {
  // The user info runs to the last "@", so a password may itself contain "@", "/", "?" or "#"
  // (redacting too much is the safe side when a query parameter holds an "@").
  // Without "//" (`postgres:user:pw@host`, or `user:pw@host` with no scheme at all) the part
  // before the last "@" is still credentials: what follows the first ":" is redacted, and
  // a lone part (`user:pw@host` read as scheme `user:`) is redacted whole.
  let out = url.replace(/^([a-z][a-z0-9+.-]*:(\/\/)?)(.*)@/is, (_match, scheme: string, slashes: string | undefined, userinfo: string) => {
    const colon = userinfo.indexOf(":")
    // A SQLite URL is a file path, which may hold "@" and ":" without any credentials.
    if (slashes === undefined && /^sqlite:$/i.test(scheme)) return `${scheme}${userinfo}@`
    if (colon >= 0) return `${scheme}${userinfo.slice(0, colon)}:<redacted>@`
    return slashes === undefined ? `${scheme}<redacted>@` : `${scheme}${userinfo}@`
  })
  const q = out.indexOf("?")
  if (q >= 0) {
    const hash = out.indexOf("#", q)
    const query = out.slice(q + 1, hash < 0 ? undefined : hash)
    const redacted = query
      .split("&")
      .map((pair) => {
        const eq = pair.indexOf("=")
        const key = eq < 0 ? pair : pair.slice(0, eq)
        let name = key
        try {
          name = decodeURIComponent(key)
        } catch {
          // A malformed escape: judge the key as written.
        }
        return eq >= 0 && SECRET_KEY.test(name) ? `${key}=<redacted>` : pair
      })
      .join("&")
    out = out.slice(0, q + 1) + redacted + (hash < 0 ? "" : out.slice(hash))
  }
  return out
}
