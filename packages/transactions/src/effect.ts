/**
 * The Effect side of "the current transaction": a fiber-local `Context.Reference` (Effect 4
 * has no FiberRef; a fiber's services are its fiber-local state, and child fibers inherit
 * them). Operations created inside an Effect fiber find the fiber's transaction through it
 * (core asks the resolver registered here when no AsyncLocalStorage scope is set), so Effect
 * code and Promise code join each other's transactions. `transactionEffect` wraps an Effect
 * in a transaction; the `effect/sql` interop (sql-client.ts) also lands here.
 *
 * @module
 */
import { Context, Effect, Exit, Fiber } from "effect"
import type { SqlClient } from "effect/sql"
import {
  FerroError,
  type FerroFailure,
  TransactionError,
  type TransactionScope,
  addTransactionResolver,
  getConnection,
  transactionFor,
} from "@ferro/core/internal"
import { type TransactionOptions, endScope, isRetryable, openScope, retryCount, retryDelay } from "./transaction.js"

/** The transaction of the running fiber (inherited by child fibers; none by default). */
export const CurrentTransaction: Context.Reference<TransactionScope | undefined> = Context.Reference<
  TransactionScope | undefined
>("ferro/CurrentTransaction", { defaultValue: () => undefined })

/** `effect/sql` transaction connections Ferro handed out, and the Ferro scope behind each. */
export const sqlConnectionScopes = new WeakMap<object, TransactionScope>()

/**
 * The transaction services of Ferro-backed `SqlClient`s (one per Ferro connection name: in
 * Effect 4 each client keeps its transaction under its own key).
 */
export const sqlTransactionServices = new Map<
  string,
  Context.Service<SqlClient.TransactionConnection, SqlClient.TransactionConnection.Service>
>()

addTransactionResolver(() => {
  const fiber = Fiber.getCurrent()
  if (fiber === undefined) return undefined
  const scope = fiber.getRef(CurrentTransaction)
  if (scope !== undefined) return scope
  // Inside SqlClient.withTransaction on a Ferro-backed SqlClient: join that transaction.
  for (const service of sqlTransactionServices.values()) {
    const entry = Context.getOrUndefined(fiber.context, service)
    if (entry !== undefined) {
      const joined = sqlConnectionScopes.get(entry[0])
      if (joined !== undefined) return joined
    }
  }
  return undefined
})

const asFailure = (error: unknown): FerroFailure =>
  error instanceof FerroError
    ? (error as FerroFailure)
    : new TransactionError(error instanceof Error ? error.message : String(error), { cause: error })

/** `db.system.name` of the connection called `name` (none when it is not registered: the transaction fails with the reason). */
const systemAttributes = (name: string | undefined): Record<string, unknown> => {
  try {
    return { "db.system.name": getConnection(name).driver.dialect.system }
  } catch {
    return {}
  }
}

/**
 * Runs `effect` in a transaction: commits on success; rolls back on failure, defect or
 * interruption. Inside another transaction (Effect or Promise side) it is a savepoint. With
 * `retry: n`, an outermost transaction that fails with `SerializationFailure` or
 * `DeadlockDetected` is rerun whole, up to n more times, after a short jittered backoff.
 * It runs in a span named `ferro.transaction` (retries included), the parent of the spans of
 * the operations inside.
 */
export const transactionEffect = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options: Omit<TransactionOptions, "signal"> = {},
): Effect.Effect<A, E | FerroFailure, R> =>
  Effect.suspend(() =>
    Effect.withSpan(transactionAttempts(effect, options), "ferro.transaction", {
      kind: "client",
      attributes: systemAttributes(options.using),
    }),
  )

const transactionAttempts = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options: Omit<TransactionOptions, "signal">,
): Effect.Effect<A, E | FerroFailure, R> => {
  const once = transactionEffectOnce(effect, options)
  if (options.retry === undefined || options.retry === 0) return once
  return Effect.suspend((): Effect.Effect<A, E | FerroFailure, R> => {
    let retry: number
    try {
      retry = retryCount(options)
    } catch (error) {
      return Effect.fail(asFailure(error))
    }
    // Nested blocks are savepoints of a transaction a retryable failure has already doomed.
    if (transactionFor(options.using) !== undefined) return once
    const attempt = (n: number): Effect.Effect<A, E | FerroFailure, R> =>
      Effect.catchIf(
        once,
        (error: E | FerroFailure) => n < retry && isRetryable(error),
        () => Effect.andThen(Effect.sleep(retryDelay(n + 1)), Effect.suspend(() => attempt(n + 1))),
      )
    return attempt(0)
  })
}

const transactionEffectOnce = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options: Omit<TransactionOptions, "signal">,
): Effect.Effect<A, E | FerroFailure, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(
      Effect.tryPromise({ try: () => openScope(options), catch: asFailure }),
      (scope) =>
        Effect.flatMap(Effect.exit(restore(Effect.provideService(effect, CurrentTransaction, scope))), (exit) =>
          Exit.isSuccess(exit)
            ? Effect.as(Effect.tryPromise({ try: () => endScope(scope, "commit"), catch: asFailure }), exit.value)
            : Effect.andThen(
                Effect.promise(() => endScope(scope, "rollback").catch(() => undefined)),
                exit as Exit.Exit<A, E | FerroFailure>,
              ),
        ),
    ),
  )
