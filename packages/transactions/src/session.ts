/**
 * Sessions (units of work): `session(fn, { using })` for Promise code (AsyncLocalStorage) and
 * `sessionEffect(effect, { using })` for Effect code (a fiber-local reference). A session pins
 * a connection name and owns a private identity map, held strongly while it runs and cleared
 * when it ends; it holds no database connection (transactions opened inside take one).
 *
 * @module
 */
import { Context, Effect, Fiber } from "effect"
import {
  ConnectionError,
  FerroError,
  type FerroFailure,
  IdentityMap,
  type Session,
  TransactionError,
  addSessionResolver,
  getConnection,
  runInSession,
} from "@ferro/core/internal"

/** Options of {@link session} and {@link sessionEffect}. */
export interface SessionOptions {
  /** Connection the session pins (default: the default connection). */
  readonly using?: string
}

/** The session of the running fiber (inherited by child fibers; none by default). */
export const CurrentSession: Context.Reference<Session | undefined> = Context.Reference<Session | undefined>(
  "ferro/CurrentSession",
  { defaultValue: () => undefined },
)

addSessionResolver(() => Fiber.getCurrent()?.getRef(CurrentSession))

/** Opens a session on `options.using` (validated now) with an empty private identity map. */
const openSession = (options: SessionOptions): Session => {
  const connection = getConnection(options.using)
  return {
    name: connection.name,
    identityMap: connection.identityMap === null ? null : new IdentityMap({ strong: true }),
    closed: false,
    view: null,
  }
}

/** Ends a session: its map is dropped (cleared, so nothing it held stays reachable through it). */
const closeSession = (session: Session): void => {
  session.closed = true
  session.identityMap?.clear()
  session.view = null
}

/**
 * Runs `fn` as one unit of work and returns its result. Every ORM call inside (helpers
 * included) joins it: within it one primary key is one object, held by the session's private
 * map until the session ends. Nested sessions shadow outer ones; transactions opened inside
 * publish into the session's map when they commit.
 *
 * ```ts
 * await session(async () => {
 *   const a = await Author.get(1)
 *   a.name = "Ada L."; await a.save()
 * }, { using: "analytics" })
 * ```
 */
export const session = async <T>(fn: () => Promise<T> | T, options: SessionOptions = {}): Promise<T> => {
  if (typeof fn !== "function") throw new TransactionError("session() expects a function")
  const opened = openSession(options)
  try {
    return await runInSession(opened, async () => fn())
  } finally {
    closeSession(opened)
  }
}

const asFailure = (error: unknown): FerroFailure =>
  error instanceof FerroError
    ? (error as FerroFailure)
    : new ConnectionError(error instanceof Error ? error.message : String(error), undefined, { cause: error })

/**
 * Runs `effect` as one unit of work (the Effect side of {@link session}): the session is a
 * fiber-local value, inherited by child fibers, and ends when the effect does (success,
 * failure or interruption).
 */
export const sessionEffect = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options: SessionOptions = {},
): Effect.Effect<A, E | FerroFailure, R> =>
  Effect.suspend((): Effect.Effect<A, E | FerroFailure, R> => {
    let opened: Session
    try {
      opened = openSession(options)
    } catch (error) {
      return Effect.fail(asFailure(error))
    }
    return Effect.ensuring(
      Effect.provideService(effect, CurrentSession, opened),
      Effect.sync(() => closeSession(opened)),
    )
  })
