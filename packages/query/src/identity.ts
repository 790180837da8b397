import { type AnyModelConstructor, Instances } from "@ferro/core"
import { resolveConnection } from "./context.js"

/**
 * Drops the identity-map entry for `Model` + `pk`: the next load builds a fresh instance.
 * The evicted instance itself is left as it is.
 */
export const evictInstance = (model: AnyModelConstructor, pk: unknown, options?: { readonly using?: string }): void => {
  const connection = resolveConnection(options?.using)
  connection.identityMap?.evict(model.metadata.table, pk)
}

/** Whether `instance` has a row in the database as far as Ferro knows. */
export const isPersisted = (instance: object): boolean => Instances.persistedSnapshot(instance) !== null
