/**
 * `@ferro/query`: predicates, the immutable query builder, per-dialect SQL compilation,
 * mutations and raw SQL. Importing it gives every model its ORM operations.
 *
 * @packageDocumentation
 */
export {
  Model,
  type AnyModelClass,
  type BoundModel,
  type BulkCreateOptions,
  type FieldName,
  type UpsertOptions,
  type FieldsOf,
  type InstanceOf,
  type Lookup,
  type ModelClass,
  type ModelInstanceMethods,
  type ModelStatics,
  type ModelInstance,
  type RelatedQuery,
  type RelationProps,
  type OrmModelConstructor,
  type PrimaryKey,
} from "./model.js"
export {
  Query,
  type AllOptions,
  type ColumnsOf,
  type OrderOptions,
  type Orderable,
  type SelectQuery,
  type RelationPath,
  type SortDirection,
  type StreamOptions,
  DEFAULT_BATCH_SIZE,
  type UpdateValues,
  type Where,
} from "./query.js"
export { LazyRows, type LazyRow } from "@ferro/hydrate"
export { Predicate, and, isPredicate, not, or } from "./predicate.js"
export type {
  Collection,
  Column,
  ColumnFor,
  Comparable,
  DecimalExpression,
  Expression,
  ExpressionFor,
  NumericColumn,
  NumericExpression,
  Operand,
  SumOf,
  TextColumn,
  TextExpression,
  UpdateExpression,
  ValueSubquery,
} from "./column.js"
export { count, exists, notExists } from "./functions.js"
export type { RowOf, Selection, SelectedValue } from "./projection.js"
export { execute, fetchAll, fetchOne, sql, compileFragment, type RawOptions, type SqlFragment } from "./raw.js"
export { evictInstance, isPersisted } from "./identity.js"
export type { RouteOptions } from "./context.js"
export { compilerFor, Compiler } from "./compiler/index.js"
export type * from "./expression.js"
export type { SubqueryLike } from "./expression-ref.js"
export {
  HOOK_NAMES,
  hooksOf,
  runHook,
  withHooks,
  onUpdateNowValues,
  type HookName,
  type LifecycleHooks,
  type ModelHooks,
} from "./hooks.js"
