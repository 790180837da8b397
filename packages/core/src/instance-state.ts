/**
 * Per-instance bookkeeping kept outside the instance (so every instance of a model keeps
 * one hidden class): the row as the database holds it, and the connection the instance
 * belongs to.
 *
 * The snapshot is the row in driver-encoded form, in the order of the model's
 * `metadata.columns` (for a loaded instance: the very array the driver returned). Comparing
 * encoded values notices in-place changes to Dates, JSON values and byte arrays, which a
 * snapshot sharing those objects with the instance would miss.
 *
 * @module
 */

import { type InstanceBefore, currentTransaction } from "./transaction-context.js"

interface State {
  /** Encoded column values as last persisted; null while the instance has no row. */
  snapshot: ReadonlyArray<unknown> | null
  /** Primary key of that row (decoded), the instance's identity-map key. */
  pk: unknown
  /** Name of the connection the instance was loaded from or saved to. */
  connection: string | null
}

const states = new WeakMap<object, State>()

/**
 * Call before Ferro changes an instance or its row: inside a transaction, the instance's state
 * before the transaction is remembered once per level, so a rollback can restore it.
 */
export const beforeChange = (
  instance: object,
  table: string,
  /** The values as persisted (decoded from the snapshot), when the instance has a row. */
  persistedValues?: () => Record<string, unknown>,
): void => {
  const scope = currentTransaction()
  if (scope === undefined || scope.closed || scope.touched.has(instance)) return
  const state = states.get(instance)
  const persisted = state?.snapshot != null
  const outer = scope.outerIdentityMap
  const heldOutside = persisted && outer !== null && outer.get(table, state!.pk) === instance
  // Code outside the transaction must not be handed this object while it holds uncommitted changes.
  if (heldOutside) outer!.evict(table, state!.pk)
  scope.touched.set(instance, {
    table,
    heldOutside,
    // Unsaved assignments made before the transaction are not the row's values: use the snapshot.
    values: { ...(instance as Record<string, unknown>), ...(persisted && persistedValues ? persistedValues() : {}) },
    snapshot: state?.snapshot ?? null,
    pk: state?.pk,
    connection: state?.connection ?? null,
  })
}

/** Puts an instance back as it was before a rolled-back transaction level changed it. */
export const restore = (instance: object, before: InstanceBefore): void => {
  const target = instance as Record<string, unknown>
  for (const key of Object.keys(target)) if (!(key in before.values)) delete target[key]
  Object.assign(target, before.values)
  states.set(instance, { snapshot: before.snapshot, pk: before.pk, connection: before.connection })
  forgetRelated(instance)
}

/** Record that `instance` now matches the row `snapshot` (encoded, metadata column order). */
export const markPersisted = (
  instance: object,
  connection: string,
  snapshot: ReadonlyArray<unknown>,
  pk: unknown,
): void => {
  const state = states.get(instance)
  if (state === undefined) states.set(instance, { snapshot, pk, connection })
  else {
    state.snapshot = snapshot
    state.pk = pk
    state.connection = connection
  }
}

/** Record that `instance` no longer has a database row (deleted, or rolled back). */
export const markTransient = (instance: object): void => {
  const state = states.get(instance)
  if (state !== undefined) state.snapshot = null
}

/** The persisted row (encoded, metadata column order), or null when the instance has no row. */
export const persistedSnapshot = (instance: object): ReadonlyArray<unknown> | null =>
  states.get(instance)?.snapshot ?? null

/** Primary key of the persisted row, or undefined when the instance has no row. */
export const persistedKey = (instance: object): unknown => {
  const state = states.get(instance)
  return state?.snapshot == null ? undefined : state.pk
}

/** Connection the instance belongs to, or null when it was never loaded or saved. */
export const connectionOf = (instance: object): string | null => states.get(instance)?.connection ?? null

const related = new WeakMap<object, Map<string, { readonly key: unknown; readonly value: unknown }>>()

/**
 * Remember what relation `property` of `instance` resolved to (an instance, null, or a list
 * for collections), under the key it was loaded for, so `await post.author` needs no query.
 */
export const setRelated = (instance: object, property: string, value: unknown, key?: unknown): void => {
  let entries = related.get(instance)
  if (entries === undefined) related.set(instance, (entries = new Map()))
  entries.set(property, { key, value })
}

/** The remembered value of relation `property`, if it was loaded for `key`. */
export const getRelated = (instance: object, property: string, key?: unknown): { readonly value: unknown } | undefined => {
  const entry = related.get(instance)?.get(property)
  return entry !== undefined && entry.key === key ? entry : undefined
}

/** Forget remembered relations of `instance` (all, or one property). */
export const forgetRelated = (instance: object, property?: string): void => {
  if (property === undefined) related.delete(instance)
  else related.get(instance)?.delete(property)
}

let writes = 0

/** Counts a write through Ferro (any table): loaded collections become stale. */
export const noteWrite = (): void => {
  writes++
}

/**
 * The cache key of a loaded collection relation: valid while no write happened since, so an
 * eager-loaded `author.posts` never hides a post created or deleted afterwards.
 */
export const collectionKey = (ownerKey: unknown): string => `${String(ownerKey)}#${writes}`
