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
  type RelationPath,
  type SortDirection,
  type UpdateValues,
  type Where,
} from "./query.js"
export { LazyRows, type LazyRow } from "@ferro/hydrate"
export { Predicate, UpdateExpression, and, isPredicate, not, or } from "./predicate.js"
export type { Column, ColumnFor, Comparable, NumericColumn, TextColumn } from "./column.js"
export { execute, fetchAll, fetchOne, sql, compileFragment, type RawOptions, type SqlFragment } from "./raw.js"
export { evictInstance, isPersisted } from "./identity.js"
export type { RouteOptions } from "./context.js"
export { compilerFor, Compiler } from "./compiler/index.js"
export type * from "./expression.js"
