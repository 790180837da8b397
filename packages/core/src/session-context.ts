/**
 * "The current session" (a unit of work): an AsyncLocalStorage entry for Promise code, a
 * fiber-local reference for Effect code (read through a resolver `@ferro/transactions`
 * registers). A session pins a connection name and owns a private identity map, held strongly
 * for its lifetime and cleared when it ends; it holds no database connection.
 *
 * @module
 */
import { ambient } from "./ambient.js"
import type { ActiveConnection } from "./connections.js"
import type { IdentityMap } from "./identity-map.js"

/** One open (or ended) session. */
export interface Session {
  /** The connection name it pins. */
  readonly name: string
  /** Its private identity map (strong entries); null when the connection has `identityMap: false`. */
  readonly identityMap: IdentityMap | null
  /** Set when the session has ended: its map is cleared and it no longer routes anything. */
  closed: boolean
  /** The routing view of the session's connection (built on first use, per driver). */
  view: ActiveConnection | null
}

const sessions = ambient<Session>()

/** Adds a way to find the current session when no Promise-side one is set (the Effect fiber's). */
export const addSessionResolver: (resolver: () => Session | undefined) => void = sessions.addResolver

/** The innermost session of the calling code, if any (possibly ended: check `closed`). */
export const currentSession: () => Session | undefined = sessions.current

/** Runs `fn` with `session` as the current session. */
export const runInSession: <T>(session: Session | undefined, fn: () => T) => T = sessions.run

/** The current session if it is open and pins connection `name` (any name when undefined). */
export const openSessionFor = (name: string | undefined): Session | undefined => {
  const session = currentSession()
  if (session === undefined || session.closed) return undefined
  return name === undefined || name === session.name ? session : undefined
}
