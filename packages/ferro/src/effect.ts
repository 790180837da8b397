/**
 * Ferro for Effect programs: `Ferro.layer` provides a connection for the layer's lifetime,
 * `Ferro.transaction` wraps an Effect in a transaction (a savepoint when nested, joining a
 * Promise-side transaction it runs inside), `Ferro.sqlClient` gives `effect/sql` a `SqlClient`
 * on the same connection. Every terminal and mutation is itself an Effect:
 * `yield* Post.get(1)` fails with `ModelDoesNotExist`.
 *
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { type Connection, ConnectionError, FerroError, type FerroFailure } from "@ferro/core/internal"
import {
  type SessionOptions,
  type SqlClientOptions,
  type TransactionOptions,
  sessionEffect,
  sqlClientLayer,
  transactionEffect,
} from "@ferro/transactions"
import { type ConnectOptions, connect, disconnect } from "./connect.js"

/** The connection a {@link layer} opened. */
export class FerroConnection extends Context.Service<FerroConnection, Connection>()("ferro/FerroConnection") {}

/** Options of {@link layer}: a URL plus everything `connect()` takes. */
export interface LayerOptions extends ConnectOptions {
  readonly url: string
}

/**
 * A Layer that connects when built and disconnects when released, providing the connection
 * as {@link FerroConnection}.
 */
export const layer = (options: LayerOptions): Layer.Layer<FerroConnection, ConnectionError | FerroFailure> =>
  Layer.effect(
    FerroConnection,
    Effect.acquireRelease(
      Effect.tryPromise({
        try: () => connect(options.url, options),
        catch: (error) =>
          error instanceof FerroError
            ? (error as FerroFailure)
            : new ConnectionError(error instanceof Error ? error.message : String(error), undefined, { cause: error }),
      }),
      (connection) => Effect.promise(() => disconnect(connection.name).catch(() => undefined)),
    ),
  )

/**
 * Runs `effect` in a transaction: commit on success; rollback on failure, defect or
 * interruption. Nested (or inside a Promise-side `transaction()`), it is a savepoint.
 */
export const transaction: <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options?: Omit<TransactionOptions, "signal">,
) => Effect.Effect<A, E | FerroFailure, R> = transactionEffect

/**
 * Runs `effect` as one unit of work: a session with a private identity map, fiber-local
 * (child fibers inherit it), pinned to `options.using` (default: the default connection) and
 * dropped when the effect ends. Nested sessions shadow outer ones.
 */
export const session: <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options?: SessionOptions,
) => Effect.Effect<A, E | FerroFailure, R> = sessionEffect

/** `effect/sql`'s `SqlClient` on a Ferro connection; it and Ferro join each other's transactions. */
export const sqlClient: (options?: SqlClientOptions) => ReturnType<typeof sqlClientLayer> = sqlClientLayer
