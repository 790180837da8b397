/**
 * `@ferro/relations`: the relations API in one place. The pieces live where the dependency
 * graph puts them: relation fields and their contract in `@ferro/core` (every package reads the
 * contract), accessors, link editing and eager loading in `@ferro/query` (they build queries).
 *
 * @packageDocumentation
 */
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
  type OnDelete,
  type RelationKind,
  type RelationMetadata,
  type ManyToManyMetadata,
  type ForeignKeyMetadata,
} from "@ferro/core"
export type { ModelClass, RelatedQuery, RelationPath, RelationProps } from "@ferro/query"
