import type { ModelMetadata } from "./metadata.js"

/** What the registry keeps for a model: its contract and the class Ferro constructs. */
export interface RegisteredModel {
  readonly metadata: ModelMetadata
  readonly modelClass: abstract new (...args: never[]) => object
}

const models = new Map<string, RegisteredModel>()

/** Register (or replace: last definition wins) a model under its table name. */
export const registerModel = (entry: RegisteredModel): void => {
  models.set(entry.metadata.table, entry)
}

/** The registered model for `table`, if any. */
export const getModel = (table: string): RegisteredModel | undefined => models.get(table)

/** Every registered model, in registration order. */
export const registeredModels = (): ReadonlyArray<RegisteredModel> => [...models.values()]

/** Contracts of every registered model: the plain data every other package reads. */
export const modelsMetadata = (): ReadonlyArray<ModelMetadata> => [...models.values()].map((m) => m.metadata)

/** Forget every registered model (tests). */
export const clearRegistry = (): void => models.clear()
