import type { ModelMetadata } from "./metadata.js"

/** What the registry keeps for a model: its contract and the class Ferro constructs. */
export interface RegisteredModel {
  readonly table: string
  /** The model's contract (resolved on first read: relation targets are thunks). */
  readonly metadata: ModelMetadata
  /** Join tables the model's many-to-many relations need. */
  readonly joinTables: () => ReadonlyArray<ModelMetadata>
  readonly modelClass: abstract new (...args: never[]) => object
}

const models = new Map<string, RegisteredModel>()

/** Register (or replace: last definition wins) a model under its table name. */
export const registerModel = (entry: RegisteredModel): void => {
  models.set(entry.table, entry)
}

/** The registered model for `table`, if any. */
export const getModel = (table: string): RegisteredModel | undefined => models.get(table)

/** Every registered model, in registration order. */
export const registeredModels = (): ReadonlyArray<RegisteredModel> => [...models.values()]

/**
 * Contracts of every registered model and of the join tables their many-to-many relations
 * need: the plain data every other package reads. Resolves relations, so a relation that
 * names a missing model or back reference throws here.
 */
export const modelsMetadata = (): ReadonlyArray<ModelMetadata> => {
  const out: Array<ModelMetadata> = []
  const seen = new Set<string>()
  for (const entry of models.values()) {
    out.push(entry.metadata)
    seen.add(entry.table)
  }
  for (const entry of models.values()) {
    for (const join of entry.joinTables()) {
      if (!seen.has(join.table)) {
        seen.add(join.table)
        out.push(join)
      }
    }
  }
  return out
}

/** Forget every registered model (tests). */
export const clearRegistry = (): void => models.clear()
