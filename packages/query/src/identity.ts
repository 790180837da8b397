import { type AnyModelConstructor, Instances, QueryError } from "@ferro/core/internal"
import { resolveConnection } from "./context.js"
import { checkValue } from "./values.js"

/**
 * Drops the identity-map entry for `Model` + `pk`: the next load builds a fresh instance.
 * The evicted instance itself is left as it is.
 */
export const evictInstance = (model: AnyModelConstructor, pk: unknown, options?: { readonly using?: string }): void => {
  const connection = resolveConnection(options?.using)
  const pkColumn = model.metadata.columns.find((c) => c.primaryKey)
  if (pkColumn === undefined) throw new QueryError(`${model.name} has no primary key field`)
  // Keys are normalised as get() normalises them (e.g. 1 -> 1n for a bigint key).
  connection.identityMap?.evict(model.metadata.table, checkValue(model.name, pkColumn, pk, false))
}

/** Whether `instance` has a row in the database as far as Ferro knows. */
export const isPersisted = (instance: object): boolean => Instances.persistedSnapshot(instance) !== null
