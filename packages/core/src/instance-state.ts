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

/** Returns the object it is given, so a subclass can stamp private fields onto any object. */
class Identity {
  constructor(target: object) {
    // biome-ignore lint/correctness/noConstructorReturn: the return-override stamps `target`.
    return target
  }
}

/**
 * Keeps each instance's state in private fields stamped onto the instance (the
 * return-override idiom) rather than in a WeakMap of state objects: a hydrated row then costs
 * a few property stores instead of an ephemeron-table entry plus an object, which weighed on
 * GC at 100k rows. Private fields are invisible to keys, spread, JSON and equality checks,
 * as the WeakMap entry was.
 */
class StateSlot extends Identity {
  #snapshot: ReadonlyArray<unknown> | null = null
  #pk: unknown = undefined
  #connection: string | null = null

  // biome-ignore lint/complexity/noUselessConstructor: only `new StateSlot(target)` stamps the fields.
  private constructor(target: object) {
    super(target)
  }

  static has(target: object): boolean {
    return #snapshot in target
  }

  static get(target: object): State | undefined {
    if (!(#snapshot in target)) return undefined
    const slot = target as StateSlot
    return { snapshot: slot.#snapshot, pk: slot.#pk, connection: slot.#connection }
  }

  static set(target: object, snapshot: ReadonlyArray<unknown> | null, pk: unknown, connection: string | null): void {
    if (!(#snapshot in target)) new StateSlot(target)
    const slot = target as StateSlot
    slot.#snapshot = snapshot
    slot.#pk = pk
    slot.#connection = connection
  }

  static snapshot(target: object): ReadonlyArray<unknown> | null {
    return #snapshot in target ? (target as StateSlot).#snapshot : null
  }

  static clearSnapshot(target: object): void {
    if (#snapshot in target) (target as StateSlot).#snapshot = null
  }

  static pk(target: object): unknown {
    return #snapshot in target ? (target as StateSlot).#pk : undefined
  }

  static connection(target: object): string | null {
    return #snapshot in target ? (target as StateSlot).#connection : null
  }
}

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
  const state = StateSlot.get(instance)
  const persisted = state?.snapshot != null
  const outer = scope.outerIdentityMap
  const heldOutside = persisted && outer !== null && outer.get(table, state!.pk) === instance
  // Code outside the transaction must not be handed this object while it holds uncommitted changes.
  if (heldOutside) outer!.evict(table, state!.pk)
  // An instance brought in and changed here becomes the transaction's object for its key
  // (unless the transaction already holds one): it now carries the transaction's row.
  const own = scope.connection.identityMap
  if (persisted && own !== null && own !== outer && own.get(table, state!.pk) === undefined) own.set(table, state!.pk, instance)
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
  StateSlot.set(instance, before.snapshot, before.pk, before.connection)
  forgetRelated(instance)
}

/** Record that `instance` now matches the row `snapshot` (encoded, metadata column order). */
export const markPersisted = (
  instance: object,
  connection: string,
  snapshot: ReadonlyArray<unknown>,
  pk: unknown,
): void => {
  StateSlot.set(instance, snapshot, pk, connection)
}

/** Record that `instance` no longer has a database row (deleted, or rolled back). */
export const markTransient = (instance: object): void => {
  StateSlot.clearSnapshot(instance)
}

/** The persisted row (encoded, metadata column order), or null when the instance has no row. */
export const persistedSnapshot = (instance: object): ReadonlyArray<unknown> | null =>
  StateSlot.snapshot(instance)

/** Primary key of the persisted row, or undefined when the instance has no row. */
export const persistedKey = (instance: object): unknown => {
  return StateSlot.snapshot(instance) === null ? undefined : StateSlot.pk(instance)
}

/** Connection the instance belongs to, or null when it was never loaded or saved. */
export const connectionOf = (instance: object): string | null => StateSlot.connection(instance)

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
