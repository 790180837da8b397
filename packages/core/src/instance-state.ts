/**
 * Per-instance bookkeeping kept outside the instance (so every instance of a model keeps
 * one hidden class): the column values last read from or written to the database, and
 * the connection the instance belongs to.
 *
 * @module
 */

interface State {
  /** Property values as last persisted; null while the instance is not in the database. */
  snapshot: Record<string, unknown> | null
  /** Name of the connection the instance was loaded from or saved to. */
  connection: string | null
}

const states = new WeakMap<object, State>()

const stateOf = (instance: object): State => {
  let state = states.get(instance)
  if (state === undefined) {
    state = { snapshot: null, connection: null }
    states.set(instance, state)
  }
  return state
}

/** Record that `instance` now matches the database row whose values are `snapshot`. */
export const markPersisted = (instance: object, connection: string, snapshot: Record<string, unknown>): void => {
  const state = stateOf(instance)
  state.snapshot = snapshot
  state.connection = connection
}

/** Record that `instance` no longer has a database row (deleted, or rolled back). */
export const markTransient = (instance: object): void => {
  const state = states.get(instance)
  if (state !== undefined) state.snapshot = null
}

/** Values as last persisted, or null when the instance has no row. */
export const persistedSnapshot = (instance: object): Readonly<Record<string, unknown>> | null =>
  states.get(instance)?.snapshot ?? null

/** Connection the instance belongs to, or null when it was never loaded or saved. */
export const connectionOf = (instance: object): string | null => states.get(instance)?.connection ?? null
