/**
 * `@ferro/core`: model definitions, the model-metadata contract, errors, and the `Driver` and
 * `Dialect` interfaces every backend implements. This entry point is user API; the plumbing
 * the other Ferro packages share (trusted construction, registries, identity map,
 * transaction and session context, the backend registry) is `@ferro/core/internal`.
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
  type FieldsOfInstance,
  type ForeignKeyKeys,
  type InstanceFields,
  type PrimaryKeyOf,
  type ShadowKey,
  type ShadowProps,
  type AnyModelConstructor,
  type ColumnKeys,
  type CreateFields,
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
export { clearRegistry, modelsMetadata } from "./registry.js"
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
export type { Dialect, IntrospectionDriver, StorageColumn } from "./dialect.js"
export type { Backend, BackendOpenOptions } from "./backends.js"
export type { LiveColumn, LiveForeignKey, LiveIndex, LiveTable } from "./live.js"
/**
 * Connections by name. `registerConnection` is how an app that installs `@ferro/core`,
 * `@ferro/query` and a backend without `ferro-orm` (no `connect()`) registers a driver.
 */
export { DEFAULT_CONNECTION, registerConnection, setDefaultConnection, unregisterConnection, type Connection } from "./connections.js"
export type { FerroFailure, Operation } from "./operation.js"
export type { FerroStream } from "./stream.js"
export type { LogEvent, LogOption } from "./observe.js"
