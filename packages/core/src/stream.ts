/**
 * The Effect side of `stream()`: a query's batches of rows as an Effect `Stream`, run in the
 * transaction and session of the fiber that runs the stream.
 *
 * @module
 */
import { Stream } from "effect"
import { FerroError } from "./errors.js"
import type { FerroFailure } from "./operation.js"
import { currentSession, runInSession } from "./session-context.js"
import { currentTransaction, runInTransaction } from "./transaction-context.js"

/** What `toStream()` returns: the rows, failing with Ferro's typed errors. */
export type FerroStream<A> = Stream.Stream<A, FerroFailure>

/**
 * A stream of the rows `open()` yields in batches. `open` runs when the stream starts, in the
 * running fiber; every pull runs in that fiber's transaction and session. Interruption (or
 * `Stream.take` having enough) calls the iterator's `return()`, which closes the cursor.
 * Errors that are not Ferro's are defects.
 */
export const batchedStream = <A>(open: () => AsyncIterable<ReadonlyArray<A>>): FerroStream<A> =>
  Stream.suspend(() => {
    const scope = currentTransaction()
    const session = currentSession()
    const within = <T>(fn: () => T): T => runInSession(session, () => runInTransaction(scope, fn))
    let iterator: AsyncIterator<ReadonlyArray<A>>
    try {
      iterator = within(() => open()[Symbol.asyncIterator]())
    } catch (error) {
      return error instanceof FerroError ? Stream.fail(error as FerroFailure) : Stream.die(error)
    }
    const iterable: AsyncIterable<ReadonlyArray<A>> = {
      [Symbol.asyncIterator]: () => ({
        next: () => within(() => iterator.next()),
        return: (value?: unknown) =>
          iterator.return === undefined
            ? Promise.resolve({ done: true as const, value: undefined })
            : within(() => iterator.return!(value)),
      }),
    }
    return Stream.fromAsyncIterable(iterable, (error) => error).pipe(
      Stream.catchIf(
        (error): error is unknown => !(error instanceof FerroError),
        (error) => Stream.die(error),
      ),
      Stream.flattenIterable,
    ) as FerroStream<A>
  })
