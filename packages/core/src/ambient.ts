/**
 * An ambient value that follows the code: an AsyncLocalStorage entry for Promise code, and
 * resolvers (registered by `@ferro/transactions`) that read it from the running Effect fiber.
 * The current transaction and the current session are both ambient values.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks"

/** One ambient value. */
export interface Ambient<T> {
  /** The innermost value of the calling code: the Promise side's, else the first resolver's. */
  readonly current: () => T | undefined
  /** Runs `fn` with `value` current (`undefined`: with none). */
  readonly run: <R>(value: T | undefined, fn: () => R) => R
  /** Adds a way to find the value when the Promise side has none (the Effect fiber's). */
  readonly addResolver: (resolver: () => T | undefined) => void
}

export const ambient = <T>(): Ambient<T> => {
  const storage = new AsyncLocalStorage<T>()
  const resolvers: Array<() => T | undefined> = []
  return {
    current: () => {
      const value = storage.getStore()
      if (value !== undefined || resolvers.length === 0) return value
      for (const resolve of resolvers) {
        const found = resolve()
        if (found !== undefined) return found
      }
      return undefined
    },
    run: (value, fn) => {
      if (value !== undefined) return storage.run(value, fn)
      // The common case, no value anywhere: nothing to change, so no AsyncLocalStorage work.
      return storage.getStore() === undefined ? fn() : storage.exit(fn)
    },
    addResolver: (resolver) => {
      resolvers.push(resolver)
    },
  }
}
