/**
 * Relation fields: `field.foreignKey`, `field.backRef`, `field.manyToMany`. Targets are
 * thunks with an annotated return type (`(): ModelClass<Author> => Author`) so models can refer
 * to each other and to themselves; they are resolved when the model's metadata is first needed.
 *
 * @module
 */
import type { OnDelete } from "./metadata.js"
import { ModelDefinitionError } from "./errors.js"

/** Something whose instances are `T` (a model class). */
export type ModelTarget<T> = abstract new (...args: never[]) => T

/** Options of `field.foreignKey()`. */
export interface ForeignKeyOptions {
  /** Name of the back reference on the target (`author.posts`). */
  readonly relatedName?: string
  /** What the database does to this row when the target row is deleted (default "cascade"). */
  readonly onDelete?: OnDelete
  /** At most one row per target: a one-to-one relation. */
  readonly unique?: boolean
  /** Index the key column (default true unless unique, which indexes it anyway). */
  readonly index?: boolean
  /** The key may be null (implied by `onDelete: "set null"`). */
  readonly nullable?: boolean
  /** Key column name (default `<field>_id`). */
  readonly column?: string
}

/** Options of `field.backRef()`. */
export interface BackRefOptions {
  /** The reverse side of a unique foreign key: `await user.profile` gives one instance or null. */
  readonly one?: boolean
}

/** Options of `field.manyToMany()`. */
export interface ManyToManyOptions {
  /** Name of the back reference on the target (`tag.posts`). */
  readonly relatedName?: string
  /** Join table name (default `<table>_<field>`). */
  readonly through?: string
}

export type RelationKind = "foreignKey" | "backRef" | "manyToMany"

/**
 * A relation field. `T` is the target's instance type; `Nullable` (foreign keys) whether the
 * key may be null; `One` (back references) whether it is the one-to-one side.
 */
export class RelationField<Kind extends RelationKind, T, Nullable extends boolean = boolean, One extends boolean = boolean> {
  readonly _tag = "RelationField" as const
  declare readonly "~target": T
  declare readonly "~nullable": Nullable
  declare readonly "~one": One
  constructor(
    readonly kind: Kind,
    readonly target: () => ModelTarget<unknown>,
    readonly options: ForeignKeyOptions & BackRefOptions & ManyToManyOptions,
  ) {}
}

/** Any relation field. */
export type AnyRelationField = RelationField<RelationKind, unknown>

const ON_DELETE: ReadonlyArray<OnDelete> = ["cascade", "restrict", "set null", "set default", "no action"]

const checkTarget = (kind: string, target: unknown): void => {
  if (typeof target !== "function") {
    throw new ModelDefinitionError(`field.${kind}() needs a thunk returning the target model, e.g. (): ModelClass<Author> => Author`)
  }
}

type FkNullable<O> = O extends { readonly nullable: true } ? true : O extends { readonly onDelete: "set null" } ? true : false

/** A foreign key to `target`; stores the shadow column `<field>Id` / `<field>_id`. */
export const foreignKey = <T, const O extends ForeignKeyOptions = {}>(
  target: () => ModelTarget<T>,
  options?: O,
): RelationField<"foreignKey", T, FkNullable<O>, false> => {
  checkTarget("foreignKey", target)
  const onDelete = options?.onDelete ?? "cascade"
  if (!ON_DELETE.includes(onDelete)) {
    throw new ModelDefinitionError(`foreignKey onDelete must be one of ${ON_DELETE.join(", ")}, got ${JSON.stringify(onDelete)}`)
  }
  if (onDelete === "set null" && options?.nullable === false) {
    throw new ModelDefinitionError('foreignKey({ onDelete: "set null" }) needs a nullable key; drop nullable: false')
  }
  return new RelationField("foreignKey", target, options ?? {})
}

/** The reverse side of a foreign key (a query of the children) or of a many-to-many relation. */
export const backRef = <T, const O extends BackRefOptions = {}>(
  target: () => ModelTarget<T>,
  options?: O,
): RelationField<"backRef", T, false, O extends { readonly one: true } ? true : false> => {
  checkTarget("backRef", target)
  return new RelationField("backRef", target, options ?? {})
}

/** A many-to-many relation through an automatically created join table. */
export const manyToMany = <T, const O extends ManyToManyOptions = {}>(
  target: () => ModelTarget<T>,
  options?: O,
): RelationField<"manyToMany", T, false, false> => {
  checkTarget("manyToMany", target)
  return new RelationField("manyToMany", target, options ?? {})
}
