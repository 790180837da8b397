/**
 * `@ferro/core`: model definitions, the model-metadata contract, the model and connection
 * registries, the identity map, errors, and the `Driver` interface every backend implements.
 *
 * @packageDocumentation
 */
export * from "./errors.js"
export * from "./metadata.js"
export {
  field,
  fromSchema,
  ColumnField,
  type AnyColumnField,
  type DecimalMarker,
  type AnySchema,
  type Built,
  type ColumnSpec,
  type DateTimeOptions,
  type DbType,
  type DecimalOptions,
  type FieldOptions,
  type IdOptions,
  type JsonOptions,
  type TextOptions,
  type UuidOptions,
} from "./fields.js"
export {
  backRef,
  foreignKey,
  manyToMany,
  RelationField,
  type AnyRelationField,
  type BackRefOptions,
  type ForeignKeyOptions,
  type ManyToManyOptions,
  type ModelTarget,
  type RelationKind,
} from "./relation-fields.js"
export {
  Model,
  TRUSTED,
  type FieldsOfInstance,
  type ForeignKeyKeys,
  type InstanceFields,
  type PrimaryKeyOf,
  type ShadowKey,
  type ShadowProps,
  extendModels,
  isModelInstance,
  modelRuntime,
  type AnyModelConstructor,
  type ColumnKeys,
  type CreateInput,
  type FieldInput,
  type FieldsShape,
  type ModelConstructor,
  type ModelEncoded,
  type ModelOptions,
  type ModelProps,
  type ModelRuntime,
  type PropertyType,
} from "./model.js"
export { clearRegistry, getModel, modelsMetadata, registerModel, registeredModels, type RegisteredModel } from "./registry.js"
export { IdentityMap, TransactionIdentityMap, type TableIdentityMap } from "./identity-map.js"
export * as Instances from "./instance-state.js"
export type {
  BeginOptions,
  ColumnarColumn,
  ColumnarKind,
  ColumnarResult,
  Driver,
  IsolationLevel,
  ReadOptions,
  Statement,
  TransactionDriver,
  WriteResult,
} from "./driver.js"
export {
  DEFAULT_CONNECTION,
  allConnections,
  assertConnectionName,
  defaultConnectionName,
  getConnection,
  registerConnection,
  setDefaultConnection,
  unregisterConnection,
  type ActiveConnection,
  type Connection,
} from "./connections.js"
export { indexName, quoteIdentifier, toSnakeCase } from "./naming.js"
export { redactUrl } from "./redact.js"
export { normalizeValue } from "./normalize.js"
/** Value predicates shared by field validation and query values (internal plumbing). */
export { isJsonValue, isWellFormedText, isWideIntegerDbType } from "./fields.js"
export { storageType } from "./storage.js"
export { operation, type FerroFailure, type Operation } from "./operation.js"
export type { NativeBinding, NativeDatabase, NativeEngine, NativeStatement } from "./native-binding.js"
export {
  addTransactionResolver,
  currentTransaction,
  runInTransaction,
  transactionFor,
  type InstanceBefore,
  type TransactionScope,
} from "./transaction-context.js"
export { addSessionResolver, currentSession, openSessionFor, runInSession, type Session } from "./session-context.js"
