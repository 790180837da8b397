/**
 * Lifecycle hooks: methods a model class may define, sync or async, that run around its
 * instances' writes (`create`, `bulkCreate` per item, `save`, `delete`, `getOrCreate`,
 * `updateOrCreate`), in the same transaction as the write:
 *
 * - a model with at least one hook writes inside `transaction()` (a savepoint when a
 *   transaction is open on that connection), so a `before*` hook that throws writes nothing and
 *   an `after*` hook that throws rolls the write back;
 * - a model without hooks takes the plain path: no transaction, no extra awaits (the check is a
 *   WeakMap lookup per write, cached per class).
 *
 * Hooks are found on the class's prototype (methods, not arrow-function fields) the first time
 * the class writes. Query-level `update()` / `delete()` run no per-instance hooks.
 *
 * A new write path (upsert) calls {@link withHooks} around its statements and {@link runHook} for
 * the hooks it decides apply; {@link onUpdateNowValues} gives the `onUpdateNow` columns to set.
 *
 * @module
 */
import { type ActiveConnection as Connection, Instances, ModelDoesNotExist, QueryError } from "@ferro/core/internal"
import { transaction } from "@ferro/transactions"
import { resolveConnection } from "./context.js"
import {
  type ModelClass,
  deleteInstance,
  insertMany,
  modelName,
  primaryKeyColumn,
  saveInstance,
  softDeleteProperty,
} from "./operations.js"

export { onUpdateNowValues } from "./operations.js"

/** The hook method names, in the order a write meets them. */
export const HOOK_NAMES = ["beforeInsert", "afterInsert", "beforeUpdate", "afterUpdate", "beforeDelete", "afterDelete"] as const

/** One lifecycle hook's name. */
export type HookName = (typeof HOOK_NAMES)[number]

/**
 * The hook methods a model class may define (every model instance type includes these as
 * optional members, so a definition with another signature is a type error). Under
 * `noImplicitOverride` write them with `override`.
 */
export interface LifecycleHooks {
  /** Before the INSERT of `create`, `bulkCreate` (per item), `save` of a new instance, `getOrCreate`/`updateOrCreate`. */
  beforeInsert?(): void | Promise<void>
  /** After that INSERT, in the same transaction. */
  afterInsert?(): void | Promise<void>
  /** Before the UPDATE of `save` on a stored instance, `updateOrCreate`'s update, `restore()`. */
  beforeUpdate?(): void | Promise<void>
  /** After that UPDATE, in the same transaction. */
  afterUpdate?(): void | Promise<void>
  /** Before `instance.delete()` / `hardDelete()` (a soft delete included). */
  beforeDelete?(): void | Promise<void>
  /** After that delete, in the same transaction. */
  afterDelete?(): void | Promise<void>
}

/** Which hooks a model class defines. */
export type ModelHooks = { readonly [K in HookName]: boolean }

const known = new WeakMap<object, ModelHooks | null>()

/** The hooks `modelClass` defines, or null when it defines none (cached per class). */
export const hooksOf = (modelClass: object): ModelHooks | null => {
  let hooks = known.get(modelClass)
  if (hooks === undefined) {
    const proto = (modelClass as { readonly prototype?: Record<string, unknown> }).prototype
    const found = Object.fromEntries(HOOK_NAMES.map((name) => [name, typeof proto?.[name] === "function"])) as Record<HookName, boolean>
    hooks = HOOK_NAMES.some((name) => found[name]) ? found : null
    known.set(modelClass, hooks)
  }
  return hooks
}

/** Calls hook `name` on `instance` if its class defines it; its result (a promise for async hooks). */
export const runHook = (instance: object, name: HookName): void | Promise<void> => {
  const fn = (instance as Record<string, unknown>)[name]
  if (typeof fn === "function") return (fn as () => void | Promise<void>).call(instance)
}

/**
 * Runs `write` for `modelClass` on `connection`: directly when the class has no hooks, else in
 * a transaction on that connection (a savepoint inside an open one), passing the transaction's
 * connection. Whatever `write` throws rolls the transaction back and is rethrown.
 */
export const withHooks = <T>(
  modelClass: object,
  connection: Connection,
  write: (connection: Connection) => Promise<T>,
): Promise<T> => {
  if (hooksOf(modelClass) === null) return write(connection)
  const { name } = connection
  return transaction(() => write(resolveConnection(name)), { using: name })
}

/** `save()` / `create()`: the insert or update with its hooks. */
export const saveWithHooks = (
  modelClass: ModelClass,
  connection: Connection,
  instance: Record<string, unknown>,
  options: { readonly insert?: boolean; readonly only?: ReadonlyArray<string> } = {},
): Promise<void> => {
  if (hooksOf(modelClass) === null) return saveInstance(modelClass, connection, instance, options)
  return withHooks(modelClass, connection, async (tx) => {
    const inserting = options.insert === true || Instances.persistedSnapshot(instance) === null
    await runHook(instance, inserting ? "beforeInsert" : "beforeUpdate")
    await saveInstance(modelClass, tx, instance, options)
    await runHook(instance, inserting ? "afterInsert" : "afterUpdate")
  })
}

/** `bulkCreate()`: `beforeInsert` per item, the multi-row INSERTs, `afterInsert` per item. */
export const insertManyWithHooks = (
  modelClass: ModelClass,
  connection: Connection,
  instances: ReadonlyArray<Record<string, unknown>>,
  check: (instance: Record<string, unknown>, index: number) => void,
): Promise<number> => {
  if (hooksOf(modelClass) === null) return insertMany(modelClass, connection, instances)
  return withHooks(modelClass, connection, async (tx) => {
    for (const instance of instances) await runHook(instance, "beforeInsert")
    // What the hooks changed is validated as create validates.
    instances.forEach(check)
    const count = await insertMany(modelClass, tx, instances)
    for (const instance of instances) await runHook(instance, "afterInsert")
    return count
  })
}

const notStored = (modelClass: ModelClass, instance: Record<string, unknown>, what: string): ModelDoesNotExist =>
  new ModelDoesNotExist(modelName(modelClass), instance[primaryKeyColumn(modelClass).property], {
    detail: `Cannot ${what} ${modelName(modelClass)}: it was never saved or is already deleted`,
  })

/** Sets the soft-delete column to now (only it and the onUpdateNow columns are written). */
const softDelete = async (modelClass: ModelClass, connection: Connection, instance: Record<string, unknown>, property: string): Promise<void> => {
  if (Instances.persistedSnapshot(instance) === null || instance[property] != null) throw notStored(modelClass, instance, "delete")
  const previous = instance[property]
  instance[property] = new Date()
  try {
    await saveInstance(modelClass, connection, instance, { only: [property] })
  } catch (error) {
    instance[property] = previous
    throw error
  }
}

/**
 * `instance.delete()` (a soft delete when the model has `softDelete`, unless `hard`) and
 * `instance.hardDelete()`, with the delete hooks.
 */
export const deleteWithHooks = (
  modelClass: ModelClass,
  connection: Connection,
  instance: Record<string, unknown>,
  hard: boolean,
): Promise<void> => {
  const property = hard ? null : softDeleteProperty(modelClass)
  const write = (tx: Connection): Promise<void> =>
    property === null ? deleteInstance(modelClass, tx, instance) : softDelete(modelClass, tx, instance, property)
  if (hooksOf(modelClass) === null) return write(connection)
  if (Instances.persistedSnapshot(instance) === null) return Promise.reject(notStored(modelClass, instance, "delete"))
  return withHooks(modelClass, connection, async (tx) => {
    await runHook(instance, "beforeDelete")
    await write(tx)
    await runHook(instance, "afterDelete")
  })
}

/** `instance.restore()`: clears the soft-delete column (an update: the update hooks run). */
export const restoreWithHooks = async (modelClass: ModelClass, connection: Connection, instance: Record<string, unknown>): Promise<void> => {
  const property = softDeleteProperty(modelClass)
  if (property === null) throw new QueryError(`restore() needs a soft-delete model; ${modelName(modelClass)} has no softDelete option`)
  if (Instances.persistedSnapshot(instance) === null) throw notStored(modelClass, instance, "restore")
  const previous = instance[property]
  instance[property] = null
  try {
    await saveWithHooks(modelClass, connection, instance, { only: [property] })
  } catch (error) {
    instance[property] = previous
    throw error
  }
}
