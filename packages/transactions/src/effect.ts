/**
 * The Effect side of "the current transaction": a FiberRef. Operations created inside an
 * Effect fiber find the fiber's transaction through it (core asks the resolver registered
 * here when no AsyncLocalStorage scope is set), so Effect code and Promise code join each
 * other's transactions. `transactionEffect` wraps an Effect in a transaction; the
 * @effect/sql interop (sql-client.ts) also lands here.
 *
 * @module
 */
import { Context, Effect, Exit, Fiber, FiberRef, Option } from "effect"
import * as SqlClient from "@effect/sql/SqlClient"
import {
  FerroError,
  type FerroFailure,
  TransactionError,
  type TransactionScope,
  addTransactionResolver,
} from "@ferro/core"
import { type TransactionOptions, endScope, openScope } from "./transaction.js"

/** The transaction of the running fiber (inherited by child fibers). */
export const CurrentTransaction: FiberRef.FiberRef<TransactionScope | undefined> = FiberRef.unsafeMake<
  TransactionScope | undefined
>(undefined)

/** @effect/sql transaction connections Ferro handed out, and the Ferro scope behind each. */
export const sqlConnectionScopes = new WeakMap<object, TransactionScope>()

addTransactionResolver(() => {
  const fiber = Fiber.getCurrentFiber()
  if (Option.isNone(fiber)) return undefined
  const scope = fiber.value.getFiberRef(CurrentTransaction)
  if (scope !== undefined) return scope
  // Inside SqlClient.withTransaction on a Ferro-backed SqlClient: join that transaction.
  const context = fiber.value.getFiberRef(FiberRef.currentContext)
  const connection = Context.getOption(context, SqlClient.TransactionConnection)
  return Option.isSome(connection) ? sqlConnectionScopes.get(connection.value[0]) : undefined
})

const asFailure = (error: unknown): FerroFailure =>
  error instanceof FerroError
    ? (error as FerroFailure)
    : new TransactionError(error instanceof Error ? error.message : String(error), { cause: error })

/**
 * Runs `effect` in a transaction: commits on success; rolls back on failure, defect or
 * interruption. Inside another transaction (Effect or Promise side) it is a savepoint.
 */
export const transactionEffect = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options: Omit<TransactionOptions, "signal"> = {},
): Effect.Effect<A, E | FerroFailure, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(
      Effect.tryPromise({ try: () => openScope(options), catch: asFailure }),
      (scope) =>
        Effect.flatMap(Effect.exit(restore(Effect.locally(effect, CurrentTransaction, scope))), (exit) =>
          Exit.isSuccess(exit)
            ? Effect.as(Effect.tryPromise({ try: () => endScope(scope, "commit"), catch: asFailure }), exit.value)
            : Effect.zipRight(
                Effect.promise(() => endScope(scope, "rollback").catch(() => undefined)),
                exit as Exit.Exit<A, E | FerroFailure>,
              ),
        ),
    ),
  )
