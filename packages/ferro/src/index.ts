/**
 * `ferro-orm`: the package users install. `connect()` plus everything from the `@ferro/*`
 * packages: models, fields, queries, mutations, raw SQL and errors.
 *
 * ```ts
 * import { Model, field, connect } from "ferro-orm"
 * class Author extends Model("authors", { id: field.id(), name: field.text() }) {}
 * await connect("sqlite:app.db", { autoMigrate: true })
 * const ada = await Author.create({ name: "Ada" })
 * ```
 *
 * @packageDocumentation
 */
export {
  connect,
  createTables,
  disconnect,
  migrate,
  ping,
  resetEngine,
  type ConnectOptions,
  type MigrateOptions,
} from "./connect.js"
export type { MigrationPlan } from "@ferro/migrate"
export { beginTransaction, transaction, type TransactionHandle, type TransactionOptions } from "@ferro/transactions"
export { session, type SessionOptions } from "@ferro/transactions"
/** Effect integration: `Ferro.layer`, `Ferro.transaction`, `Ferro.session`, `Ferro.sqlClient`, `Ferro.FerroConnection`. */
export * as Ferro from "./effect.js"
export {
  CheckViolation,
  ConnectionError,
  DeadlockDetected,
  FerroError,
  ForeignKeyViolation,
  LockTimeout,
  MigrationError,
  ModelDefinitionError,
  ModelDoesNotExist,
  NotNullViolation,
  QueryError,
  SerializationFailure,
  StatementTimeout,
  TransactionError,
  UniqueViolation,
  ValidationError,
  type ValidationIssue,
  type FerroFailure,
  type FerroStream,
  type LogEvent,
  type Operation,
  field,
  setDefaultConnection,
  modelsMetadata,
  clearRegistry,
  type ColumnMetadata,
  type CreateInput,
  type Dialect,
  type LogicalType,
  type ModelMetadata,
  type ModelOptions,
  type ModelProps,
} from "@ferro/core"
export {
  LazyRows,
  Model,
  Predicate,
  Query,
  and,
  count,
  evictInstance,
  execute,
  exists,
  notExists,
  fetchAll,
  fetchOne,
  isPersisted,
  not,
  or,
  sql,
  type AllOptions,
  type AnyModelClass,
  type BoundModel,
  type BulkCreateOptions,
  type FieldName,
  type UpsertOptions,
  type Column,
  type LazyRow,
  type ColumnsOf,
  type InstanceOf,
  type ModelClass,
  type ModelInstanceMethods,
  type ModelStatics,
  type ModelInstance,
  type RelatedQuery,
  type RelationPath,
  type RelationProps,
  type PrimaryKey,
  type RawOptions,
  type RouteOptions,
  type SqlFragment,
  type UpdateValues,
  type Where,
  type Collection,
  type DecimalExpression,
  type Expression,
  type NumericExpression,
  type OrderOptions,
  type RowOf,
  type SelectQuery,
  type StreamOptions,
  type Selection,
  type SumOf,
  type TextExpression,
  type ValueSubquery,
  type HookName,
  type LifecycleHooks,
} from "@ferro/query"
