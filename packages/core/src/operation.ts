/**
 * `Operation<A, E>`: what every Ferro terminal and mutation returns. It is a Promise (it starts
 * at once, so `await` costs no Effect fiber) and an Effect (`yield* Post.get(1)` in
 * `Effect.gen`, failing with Ferro's typed errors). The transaction in effect where the
 * operation is created — AsyncLocalStorage for Promise code, the fiber's transaction for
 * Effect code — goes with it through all of its statements.
 *
 * @module
 */
import { Effect, Effectable } from "effect"
import type {
  CheckViolation,
  ConnectionError,
  ForeignKeyViolation,
  MigrationError,
  ModelDoesNotExist,
  NotNullViolation,
  QueryError,
  TransactionError,
  UniqueViolation,
  ValidationError,
} from "./errors.js"
import { FerroError } from "./errors.js"
import { currentTransaction, runInTransaction } from "./transaction-context.js"

/** Every error an operation can fail with, for `Effect.catchTag`. */
export type FerroFailure =
  | ModelDoesNotExist
  | ValidationError
  | UniqueViolation
  | ForeignKeyViolation
  | NotNullViolation
  | CheckViolation
  | ConnectionError
  | QueryError
  | TransactionError
  | MigrationError

/** A Promise of `A` that is also an `Effect<A, E>`. */
export interface Operation<A, E = FerroFailure> extends Promise<A>, Effect.Effect<A, E> {}

const settle = <A>(promise: Promise<A>): Effect.Effect<A, FerroFailure> =>
  Effect.flatMap(
    Effect.promise(() =>
      promise.then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    ),
    (result) =>
      result.ok
        ? Effect.succeed(result.value)
        : result.error instanceof FerroError
          ? Effect.fail(result.error as FerroFailure)
          : Effect.die(result.error),
  )

class OperationImpl<A> extends Promise<A> {
  static override get [Symbol.species](): PromiseConstructor {
    return Promise
  }
  /** Runs the operation again (for an Effect that is run more than once, e.g. retried). */
  declare rerun: () => Promise<A>
  declare started: boolean

  commit(): Effect.Effect<A, FerroFailure> {
    return Effect.suspend(() => {
      if (!this.started) {
        this.started = true
        return settle(this as Promise<A>)
      }
      return settle(this.rerun())
    })
  }
}
for (const key of Reflect.ownKeys(Effectable.CommitPrototype)) {
  if (key !== "constructor") {
    Object.defineProperty(OperationImpl.prototype, key, Object.getOwnPropertyDescriptor(Effectable.CommitPrototype, key)!)
  }
}

/**
 * Starts `run` now, inside the transaction current here, and returns it as an
 * {@link Operation}.
 */
export const operation = <A>(run: () => Promise<A>): Operation<A> => {
  const scope = currentTransaction()
  const start = () => runInTransaction(scope, run)
  const op = new OperationImpl<A>((resolve, reject) => {
    start().then(resolve, reject)
  })
  op.rerun = start
  op.started = false
  // A rejected operation that is only ever used as an Effect must not be "unhandled".
  op.then(undefined, () => {})
  return op as unknown as Operation<A>
}
