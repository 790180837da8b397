/**
 * The ORM surface of a model: static `where/select/get/create/...` and instance
 * `save/delete/refresh`. Installed on every class `Model()` creates; typed through
 * {@link Model} here, which is `@ferro/core`'s `Model` with this surface in its type.
 *
 * @module
 */
import {
  type ColumnKeys,
  type CreateInput,
  type FieldsShape,
  type FieldsOfInstance,
  type InstanceFields,
  Instances,
  Model as CoreModel,
  type ModelConstructor,
  ModelDoesNotExist,
  type ModelMetadata,
  type ModelOptions,
  type ModelProps,
  type PropertyType,
  type RelationField,
  type RelationKind,
  type ShadowProps,
  TRUSTED,
  UniqueViolation,
  ValidationError,
  extendModels,
  getConnection,
  isModelInstance,
  modelRuntime,
  type Operation,
  namedOperation,
} from "@ferro/core/internal"
import { type RouteOptions, resolveConnection } from "./context.js"
import {
  type ModelClass as RuntimeModelClass,
  deleteInstance,
  fetchByPrimaryKey,
  insertMany,
  modelName,
  noteModelClass,
  refreshInstance,
  saveInstance,
  validateColumns,
} from "./operations.js"
import { type Predicate } from "./predicate.js"
import { checkValue } from "./values.js"
import { type ColumnsOf, type Query, type SelectQuery, type Where, newQuery } from "./query.js"
import type { RowOf, Selection } from "./projection.js"
import { relationValue } from "./relations.js"

/** The field map of model class `C`. */
export type FieldsOf<C> = C extends { readonly "~fields": infer F } ? F : never
/** The instance type of model class `C` (the user's subclass). */
export type InstanceOf<C> = C extends abstract new (...args: never[]) => infer I ? I : never
/** A primary key value. */
export type PrimaryKey = string | number | bigint

/** Field values identifying a row for `getOrCreate` / `updateOrCreate`. */
export type Lookup<F> = { readonly [K in ColumnKeys<F>]?: PropertyType<F[K]> } & {
  readonly [K in keyof ShadowProps<F>]?: ShadowProps<F>[K]
}

/** A query of related rows: `author.posts`. `add/remove/clear` work on many-to-many relations. */
export type RelatedQuery<T> = Query<T, InstanceFields<T>>

/** The accessor types of the relation fields in `F`. */
export type RelationProps<F> = {
  readonly [K in keyof F as F[K] extends RelationField<RelationKind, unknown> ? K : never]: F[K] extends RelationField<
    "foreignKey",
    infer T,
    infer Nullable
  >
    ? Operation<Nullable extends true ? T | null : T>
    : F[K] extends RelationField<"backRef", infer T, boolean, infer One>
      ? One extends true
        ? Operation<T | null>
        : RelatedQuery<T>
      : F[K] extends RelationField<"manyToMany", infer T>
        ? RelatedQuery<T>
        : never
}

/** The instance type of a model with fields `F`: stored properties, relation accessors, methods. */
export type ModelInstance<F> = ModelProps<F> &
  RelationProps<F> &
  ModelInstanceMethods & { readonly [FieldsOfInstance]?: F }

/** Any ORM model class. */
export type AnyModelClass = (abstract new (...args: never[]) => object) & {
  readonly "~fields": FieldsShape
  readonly metadata: ModelMetadata
}

/** Instance methods every model instance has. */
export interface ModelInstanceMethods {
  /** Inserts the instance, or updates the columns changed since it was loaded or saved. */
  save(): Operation<this>
  /** Deletes the instance's row; throws `ModelDoesNotExist` when there is none. */
  delete(): Operation<void>
  /** Reloads every column from the database; throws `ModelDoesNotExist` when the row is gone. */
  refresh(): Operation<this>
}

/** A model's static operations bound to one named connection (`Model.using(name)`). */
export interface BoundModel<C extends AnyModelClass> {
  where(predicate: Where<FieldsOf<C>>): Query<InstanceOf<C>, FieldsOf<C>>
  select(): Query<InstanceOf<C>, FieldsOf<C>>
  select<const S extends Selection>(projection: (columns: ColumnsOf<FieldsOf<C>>) => S): SelectQuery<RowOf<S>, FieldsOf<C>>
  get(pk: PrimaryKey): Operation<InstanceOf<C>>
  getOrNone(pk: PrimaryKey): Operation<InstanceOf<C> | null>
  create(data: CreateInput<FieldsOf<C>>): Operation<InstanceOf<C>>
  bulkCreate(items: ReadonlyArray<CreateInput<FieldsOf<C>> | InstanceOf<C>>): Operation<number>
  getOrCreate(
    lookup: Lookup<FieldsOf<C>>,
    defaults?: Partial<CreateInput<FieldsOf<C>>>,
  ): Operation<[InstanceOf<C>, boolean]>
  updateOrCreate(
    lookup: Lookup<FieldsOf<C>>,
    defaults?: Partial<CreateInput<FieldsOf<C>>>,
  ): Operation<[InstanceOf<C>, boolean]>
}

/** Static ORM operations; `this` is the model class, so results are typed as the subclass. */
export interface ModelStatics {
  /** A query filtered by `predicate`: `Post.where((p) => p.views.gte(100))`. */
  where<C extends AnyModelClass>(this: C, predicate: Where<FieldsOf<C>>): Query<InstanceOf<C>, FieldsOf<C>>
  /** An unfiltered query. */
  select<C extends AnyModelClass>(this: C): Query<InstanceOf<C>, FieldsOf<C>>
  /**
   * Values instead of instances: `Post.select((p) => ({ id: p.id, author: p.author.name }))`.
   * Rows are plain objects (or values, or tuples), not in the identity map.
   */
  select<C extends AnyModelClass, const S extends Selection>(
    this: C,
    projection: (columns: ColumnsOf<FieldsOf<C>>) => S,
  ): SelectQuery<RowOf<S>, FieldsOf<C>>
  /** The instance with primary key `pk`; throws `ModelDoesNotExist`. */
  get<C extends AnyModelClass>(this: C, pk: PrimaryKey): Operation<InstanceOf<C>>
  /** The instance with primary key `pk`, or null. */
  getOrNone<C extends AnyModelClass>(this: C, pk: PrimaryKey): Operation<InstanceOf<C> | null>
  /** Validates, inserts and returns a new instance. An existing primary key is a `UniqueViolation`. */
  create<C extends AnyModelClass>(this: C, data: CreateInput<FieldsOf<C>>): Operation<InstanceOf<C>>
  /** Inserts many rows with multi-row INSERTs, all or nothing; returns the count. */
  bulkCreate<C extends AnyModelClass>(
    this: C,
    items: ReadonlyArray<CreateInput<FieldsOf<C>> | InstanceOf<C>>,
  ): Operation<number>
  /**
   * The row matching `lookup`, or a new one from `lookup` + `defaults`; `[instance, created]`.
   * Lookup values and defaults get the same per-field validation as `create()` before any SQL;
   * a default that gives a lookup field another value is a `ValidationError`.
   */
  getOrCreate<C extends AnyModelClass>(
    this: C,
    lookup: Lookup<FieldsOf<C>>,
    defaults?: Partial<CreateInput<FieldsOf<C>>>,
  ): Operation<[InstanceOf<C>, boolean]>
  /**
   * Like `getOrCreate`, but an existing row gets `defaults` written to it. The same checks run
   * first: bad values, and defaults that change a lookup field, are a `ValidationError`.
   */
  updateOrCreate<C extends AnyModelClass>(
    this: C,
    lookup: Lookup<FieldsOf<C>>,
    defaults?: Partial<CreateInput<FieldsOf<C>>>,
  ): Operation<[InstanceOf<C>, boolean]>
  /**
   * The static operations, routed to the connection called `name`. Inside a transaction
   * opened on another connection, a call through it is refused with a `TransactionError`
   * naming both connections (it would silently run outside the transaction); pass
   * `{ outsideTransaction: true }` to run it on `name`, outside the transaction, on purpose.
   */
  using<C extends AnyModelClass>(this: C, name: string, options?: RouteOptions): BoundModel<C>
}

/** The class `Model()` returns: constructible, an Effect Schema, with the ORM statics. */
export type OrmModelConstructor<F extends FieldsShape> = ModelConstructor<F, ModelInstance<F>> & ModelStatics

/**
 * A model class whose instances are `T`, e.g. for relation thunks:
 * `(): ModelClass<Post> => Post`.
 */
export type ModelClass<T> = (abstract new (...args: never[]) => T) & {
  readonly "~fields": FieldsShape
  readonly metadata: ModelMetadata
} & ModelStatics

/**
 * Defines a model (see `@ferro/core`'s `Model`), typed with the ORM's static and instance
 * operations: `class Post extends Model("posts", { ... }) {}`.
 */
export const Model = CoreModel as unknown as <const F extends FieldsShape>(
  table: string,
  fields: F,
  options?: ModelOptions<F>,
) => OrmModelConstructor<F>

type Runtime = RuntimeModelClass

const asRuntime = (cls: unknown): Runtime => {
  const runtime = cls as Runtime
  noteModelClass(runtime)
  return runtime
}

const instanceOf = (cls: Runtime, value: unknown): Record<string, unknown> => {
  if (value instanceof (cls as unknown as abstract new () => object)) return value as Record<string, unknown>
  if (isModelInstance(value)) {
    throw new ValidationError(modelName(cls), [{ path: "", message: "expected an instance of this model or its field values" }])
  }
  return new cls(value as Record<string, unknown>, undefined as unknown as typeof TRUSTED) as Record<string, unknown>
}

const lookupPredicate = (cls: Runtime, lookup: object) => {
  const entries = Object.entries(lookup ?? {})
  if (entries.length === 0) throw new ValidationError(modelName(cls), [{ path: "", message: "lookup needs at least one field" }])
  return (columns: Record<string, { eq(v: unknown): Predicate }>) => {
    const [first, ...rest] = entries.map(([key, value]) => columns[key]!.eq(value))
    return first!.and(...rest)
  }
}

/** Whether two checked values of one column are the same value. */
const sameFieldValue = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b)) return true
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime()
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    return JSON.stringify(a) === JSON.stringify(b)
  }
  return false
}

/**
 * The defaults of `getOrCreate` / `updateOrCreate`, checked field by field with the same
 * validation `create()` runs, before any SQL: a foreign key given as the related instance
 * becomes its key under the shadow property. With `contradictions`, a default that gives a
 * lookup field another value is refused (the created row would not match the lookup, so the
 * next call could not find it).
 */
const checkDefaults = (
  cls: Runtime,
  lookup: object,
  defaults: object,
  contradictions: boolean,
): Record<string, unknown> => {
  const name = modelName(cls)
  if (typeof defaults !== "object" || defaults === null || Array.isArray(defaults)) {
    throw new ValidationError(name, [{ path: "", message: "defaults must be an object of field values" }])
  }
  const runtime = modelRuntime(cls)
  const columns = new Map(cls.metadata.columns.map((c) => [c.property, c]))
  const values: Record<string, unknown> = {}
  const issues: Array<{ readonly path: string; readonly message: string }> = []
  for (const [property, value] of Object.entries(defaults)) {
    if (value === undefined) continue
    const fk = cls.metadata.relations.find((r) => r.kind === "foreignKey" && r.property === property)
    if (fk !== undefined) {
      const target = isModelInstance(value) ? (value.constructor as RuntimeModelClass) : null
      const key = target === null ? value : (value as Record<string, unknown>)[target.metadata.primaryKey ?? ""]
      if (key === undefined || key === null) {
        if (target !== null) issues.push({ path: property, message: "the related instance has no primary key yet; save it first" })
        else issues.push(...runtime.validateValue(fk.via!, key))
        continue
      }
      const found = runtime.validateValue(fk.via!, key)
      if (found.length > 0) issues.push(...found.map((i) => ({ ...i, path: property })))
      else values[fk.via!] = key
      continue
    }
    if (!columns.has(property)) {
      issues.push({ path: property, message: "is not a field of this model" })
      continue
    }
    const found = runtime.validateValue(property, value)
    if (found.length > 0) issues.push(...found)
    else values[property] = value
  }
  if (contradictions) {
    for (const [property, given] of Object.entries(lookup ?? {})) {
      const column = columns.get(property)
      if (column === undefined || !(property in values)) continue
      let same: boolean
      try {
        same = sameFieldValue(checkValue(name, column, given, true), checkValue(name, column, values[property], true))
      } catch {
        continue // a bad lookup value is reported by the lookup's own check
      }
      if (!same) {
        const via = cls.metadata.relations.find((r) => r.kind === "foreignKey" && r.via === property)
        const path = via !== undefined && !Object.hasOwn(defaults, property) ? via.property : property
        issues.push({ path, message: "contradicts the lookup: defaults may add fields, or repeat a lookup value, not change it" })
      }
    }
  }
  if (issues.length > 0) throw new ValidationError(name, issues)
  return values
}

const statics = (using: string | undefined, route?: RouteOptions) => ({
  where(this: unknown, predicate: Where<never>) {
    return newQuery(asRuntime(this), using, route).where(predicate)
  },
  select(this: unknown, projection?: (columns: never) => Selection) {
    const query = newQuery(asRuntime(this), using, route)
    return projection === undefined ? query : query.select(projection as (columns: unknown) => Selection)
  },
  // The hottest calls: no async frames of their own (a thrown error still rejects: the
  // operation catches what its body throws).
  get(this: unknown, pk: PrimaryKey) {
    return namedOperation("get", this, () => {
      const cls = asRuntime(this)
      return fetchByPrimaryKey(cls, resolveConnection(using, route), pk).then((instance) => {
        if (instance === null) throw new ModelDoesNotExist(modelName(cls), pk)
        return instance
      })
    })
  },
  getOrNone(this: unknown, pk: PrimaryKey) {
    return namedOperation("getOrNone", this, () => fetchByPrimaryKey(asRuntime(this), resolveConnection(using, route), pk))
  },
  create(this: unknown, data: object) {
    return namedOperation("create", this, async () => {
      const cls = asRuntime(this)
      const instance = instanceOf(cls, data)
      // Always an INSERT: an instance that already has a row is a unique violation, not an update.
      await saveInstance(cls, resolveConnection(using, route), instance, { insert: true })
      return instance
    })
  },
  bulkCreate(this: unknown, items: ReadonlyArray<object>) {
    return namedOperation("bulkCreate", this, async () => {
      const cls = asRuntime(this)
      if (!Array.isArray(items)) throw new ValidationError(modelName(cls), [{ path: "", message: "bulkCreate() expects an array" }])
      const instances = items.map((item, i) => {
        try {
          const instance = instanceOf(cls, item)
          validateColumns(cls, instance, cls.metadata.columns)
          return instance
        } catch (error) {
          if (error instanceof ValidationError) {
            throw new ValidationError(
              modelName(cls),
              error.issues.map((issue) => ({ ...issue, path: issue.path ? `[${i}].${issue.path}` : `[${i}]` })),
              { cause: error },
            )
          }
          throw error
        }
      })
      if (instances.length === 0) return 0
      return insertMany(cls, resolveConnection(using, route), instances)
    })
  },
  getOrCreate(this: unknown, lookup: object, defaults: object = {}) {
    return namedOperation("getOrCreate", this, async () => {
      const cls = asRuntime(this)
      // Lookup values (in where()) and defaults are checked before any SQL runs.
      const query = newQuery<object, never>(cls, using, route).where(lookupPredicate(cls, lookup) as never)
      checkDefaults(cls, lookup, defaults, true)
      const found = await query.first()
      if (found !== null) return [found, false]
      const instance = instanceOf(cls, { ...lookup, ...defaults })
      try {
        await saveInstance(cls, resolveConnection(using, route), instance)
        return [instance, true]
      } catch (error) {
        // Lost a race with a concurrent insert of the same row: return the winner's.
        if (error instanceof UniqueViolation) {
          const winner = await query.first()
          if (winner !== null) return [winner, false]
        }
        throw error
      }
    })
  },
  updateOrCreate(this: unknown, lookup: object, defaults: object = {}) {
    return namedOperation("updateOrCreate", this, async () => {
      const cls = asRuntime(this)
      // Lookup values (in where()) and defaults are checked before any SQL runs.
      const query = newQuery<object, never>(cls, using, route).where(lookupPredicate(cls, lookup) as never)
      const values = checkDefaults(cls, lookup, defaults, true)
      const found = (await query.first()) as Record<string, unknown> | null
      if (found === null) {
        const instance = instanceOf(cls, { ...lookup, ...defaults })
        await saveInstance(cls, resolveConnection(using, route), instance)
        return [instance, true]
      }
      // `values`: the defaults, validated, foreign keys as their keys. If the write fails, the instance must not keep values the database never accepted.
      const previous = Object.fromEntries(Object.keys(values).map((k) => [k, found[k]]))
      Object.assign(found, values)
      try {
        await saveInstance(cls, resolveConnection(using ?? Instances.connectionOf(found) ?? undefined, route), found)
      } catch (error) {
        Object.assign(found, previous)
        throw error
      }
      return [found, false]
    })
  },
})

const unbound = statics(undefined)

/** Where an instance's own operations run: the connection it came from, else the default. */
const instanceConnection = (instance: object) => resolveConnection(Instances.connectionOf(instance) ?? undefined)

const instanceMethods = {
  save(this: Record<string, unknown>) {
    return namedOperation("save", this.constructor, async () => {
      const cls = asRuntime(this.constructor)
      await saveInstance(cls, instanceConnection(this), this)
      return this
    })
  },
  delete(this: Record<string, unknown>) {
    return namedOperation("delete", this.constructor, async () => {
      const cls = asRuntime(this.constructor)
      await deleteInstance(cls, instanceConnection(this), this)
    })
  },
  refresh(this: Record<string, unknown>) {
    return namedOperation("refresh", this.constructor, async () => {
      const cls = asRuntime(this.constructor)
      await refreshInstance(cls, instanceConnection(this), this)
      return this
    })
  },
}

extendModels((cls) => {
  for (const [name, fn] of Object.entries(unbound)) {
    Object.defineProperty(cls, name, { value: fn, writable: true, configurable: true })
  }
  Object.defineProperty(cls, "using", {
    value: function using(this: unknown, name: string, options?: RouteOptions) {
      if (typeof name !== "string") throw new TypeError("using() expects a connection name")
      getConnection(name) // an unknown name fails here; the transaction check runs per call
      const bound = statics(name, { outsideTransaction: options?.outsideTransaction === true })
      const self = this
      return Object.fromEntries(
        Object.entries(bound).map(([key, fn]) => [key, (...args: Array<unknown>) => (fn as Function).apply(self, args)]),
      )
    },
    writable: true,
    configurable: true,
  })
  for (const [name, fn] of Object.entries(instanceMethods)) {
    Object.defineProperty(cls.prototype, name, { value: fn, writable: true, configurable: true })
  }
  for (const property of modelRuntime(cls).relationFields.keys()) {
    Object.defineProperty(cls.prototype, property, {
      get(this: Record<string, unknown>) {
        return relationValue(this, property, (target, using, extra) => newQuery(target, using, extra))
      },
      configurable: true,
    })
  }
})
