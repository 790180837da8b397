/**
 * The ORM surface of a model: static `where/select/get/create/...` and instance
 * `save/delete/refresh`. Installed on every class `Model()` creates; typed through
 * {@link Model} here, which is `@ferro/core`'s `Model` with this surface in its type.
 *
 * @module
 */
import {
  type ColumnKeys,
  type CreateFields,
  type FieldsShape,
  type FieldsOfInstance,
  type InstanceFields,
  Instances,
  Model as CoreModel,
  type ModelConstructor,
  ModelDoesNotExist,
  type ModelMetadata,
  QueryError,
  type ModelOptions,
  type ModelProps,
  type PropertyType,
  type RelationField,
  type RelationKind,
  type ShadowProps,
  TRUSTED,
  ValidationError,
  buildValidated,
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
  fetchByPrimaryKey,
  modelName,
  noteModelClass,
  refreshInstance,
  validateColumns,
} from "./operations.js"
import {
  type LifecycleHooks,
  deleteWithHooks,
  insertManyWithHooks,
  hooksOf,
  restoreWithHooks,
  runHook,
  saveWithHooks,
  withHooks,
} from "./hooks.js"
import { type Predicate } from "./predicate.js"
import { checkValue } from "./values.js"
import { type ColumnsOf, Query, type SelectQuery, type Where, newQuery } from "./query.js"
import type { RowOf, Selection } from "./projection.js"
import { relationValue } from "./relations.js"
import {
  type ConflictOptions,
  bulkUpsert,
  checkDistinctKeys,
  givenColumns,
  insertIfAbsent,
  lookupTarget,
  resolveConflict,
  upsertInstance,
} from "./upsert.js"

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

/** A field `upsert()` and `bulkCreate(..., { onConflict })` may name: a stored field or a foreign key's shadow key (`authorId`). */
export type FieldName<F> = ColumnKeys<F> | (keyof ShadowProps<F> & string)

/** Options of `upsert()`: the collision to resolve and what to take from the proposed row. */
export interface UpsertOptions<F> {
  /**
   * The unique (or primary-key) field set a collision is detected on: exactly the fields of
   * one primary key, `{ unique: true }` field or `compositeUniques` entry.
   */
  readonly on: ReadonlyArray<FieldName<F>>
  /**
   * The fields an existing row takes from the proposed one. Default: every field the input
   * gives, except those in `on` and the primary key (for `bulkCreate`: the fields every item
   * gives). `[]`: an existing row is left as it is.
   */
  readonly update?: ReadonlyArray<FieldName<F>>
}

/** Options of `bulkCreate()`. */
export interface BulkCreateOptions<F> {
  /**
   * What a row that collides with an existing one does. Left out: the collision is a
   * `UniqueViolation` and nothing is written. `"ignore"`: the row is skipped (a collision on
   * any unique constraint). `{ on, update }`: the existing row takes `update` from it.
   */
  readonly onConflict?: "ignore" | UpsertOptions<F>
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

/** Instance methods every model instance has (the lifecycle hooks are the model's to define). */
export interface ModelInstanceMethods extends LifecycleHooks {
  /** Inserts the instance, or updates the columns changed since it was loaded or saved. */
  save(): Operation<this>
  /**
   * Deletes the instance's row; throws `ModelDoesNotExist` when there is none. On a soft-delete
   * model it sets the soft-delete column to now instead (the instance stays the same object).
   */
  delete(): Operation<void>
  /** Deletes the row for real, also on a soft-delete model. */
  hardDelete(): Operation<void>
  /** Clears the soft-delete column (a soft-delete model only); returns the instance. */
  restore(): Operation<this>
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
  create(data: CreateFields<FieldsOf<C>>): Operation<InstanceOf<C>>
  bulkCreate(
    items: ReadonlyArray<CreateFields<FieldsOf<C>> | InstanceOf<C>>,
    options?: BulkCreateOptions<FieldsOf<C>>,
  ): Operation<number>
  upsert(data: CreateFields<FieldsOf<C>>, options: UpsertOptions<FieldsOf<C>>): Operation<InstanceOf<C>>
  getOrCreate(
    lookup: Lookup<FieldsOf<C>>,
    defaults?: Partial<CreateFields<FieldsOf<C>>>,
  ): Operation<[InstanceOf<C>, boolean]>
  updateOrCreate(
    lookup: Lookup<FieldsOf<C>>,
    defaults?: Partial<CreateFields<FieldsOf<C>>>,
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
  create<C extends AnyModelClass>(this: C, data: CreateFields<FieldsOf<C>>): Operation<InstanceOf<C>>
  /**
   * Inserts many rows with multi-row INSERTs (one per batch under the driver's parameter
   * limit), all or nothing; returns the count. With `{ onConflict: "ignore" }` rows that
   * collide with existing ones are skipped and the count is the rows inserted; with `{
   * onConflict: { on, update } }` colliding rows update the existing ones and the count is
   * what the database reports: rows inserted plus rows updated (SQLite and PostgreSQL alike).
   * Items that collide with each other on `on` are refused before any SQL.
   */
  bulkCreate<C extends AnyModelClass>(
    this: C,
    items: ReadonlyArray<CreateFields<FieldsOf<C>> | InstanceOf<C>>,
    options?: BulkCreateOptions<FieldsOf<C>>,
  ): Operation<number>
  /**
   * Inserts a row, or updates the existing row it collides with on `on`, in one statement
   * (`INSERT ... ON CONFLICT (on) DO UPDATE SET ... RETURNING`). The input is validated as
   * `create()` validates it, and `on` / `update` are checked against the model, before any
   * SQL. Returns the instance for the stored row: the one the identity scope holds for its
   * key, updated in place, else a new one.
   */
  upsert<C extends AnyModelClass>(
    this: C,
    data: CreateFields<FieldsOf<C>>,
    options: UpsertOptions<FieldsOf<C>>,
  ): Operation<InstanceOf<C>>
  /**
   * The row matching `lookup`, or a new one from `lookup` + `defaults`; `[instance, created]`.
   * Lookup values and defaults get the same per-field validation as `create()` before any SQL;
   * a default that gives a lookup field another value is a `ValidationError`.
   *
   * Race-free when the lookup gives a unique or primary-key field set: the insert is `INSERT
   * ... ON CONFLICT (that set) DO NOTHING RETURNING`, then a re-read, so concurrent calls for one
   * key leave one row, exactly one reports `created`, and none fails with `UniqueViolation`
   * (inside a transaction, nothing fails, so the transaction stays usable). A lookup without
   * a unique field set gives the database nothing to collide on: concurrent calls may then
   * create one row each.
   */
  getOrCreate<C extends AnyModelClass>(
    this: C,
    lookup: Lookup<FieldsOf<C>>,
    defaults?: Partial<CreateFields<FieldsOf<C>>>,
  ): Operation<[InstanceOf<C>, boolean]>
  /**
   * Like `getOrCreate`, but an existing row gets `defaults` written to it. The same checks run
   * first: bad values, and defaults that change a lookup field, are a `ValidationError`. Race-free
   * as `getOrCreate` is: a call that loses the insert race updates the winner's row.
   */
  updateOrCreate<C extends AnyModelClass>(
    this: C,
    lookup: Lookup<FieldsOf<C>>,
    defaults?: Partial<CreateFields<FieldsOf<C>>>,
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
      return fetchByPrimaryKey(cls, resolveConnection(using, route), pk, true) as Promise<object>
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
      await saveWithHooks(cls, resolveConnection(using, route), instance, { insert: true })
      return instance
    })
  },
  bulkCreate(this: unknown, items: ReadonlyArray<object>, options?: { readonly onConflict?: "ignore" | ConflictOptions }) {
    return namedOperation("bulkCreate", this, async () => {
      const cls = asRuntime(this)
      if (!Array.isArray(items)) throw new ValidationError(modelName(cls), [{ path: "", message: "bulkCreate() expects an array" }])
      const onConflict = options?.onConflict
      if (onConflict !== undefined && onConflict !== "ignore" && (typeof onConflict !== "object" || onConflict === null)) {
        throw new QueryError(`${modelName(cls)}.bulkCreate(): onConflict must be "ignore" or { on: [...fields], update?: [...fields] }`)
      }
      // The conflict options are checked against the model first; `update` defaults to the fields every item gives.
      const conflict =
        onConflict === undefined
          ? undefined
          : onConflict === "ignore"
            ? { target: null, update: [] }
            : // The fields every item gives matter only when `update` is left out: computing them
              // for every call cost 1.5 ms of a 10,000-row upsert (a profile of the bench's upsert).
              resolveConflict(cls, onConflict, onConflict.update === undefined ? commonColumns(cls, items) : [], "bulkCreate()")
      const itemCheck = (i: number, build: () => Record<string, unknown>): Record<string, unknown> => {
        try {
          const { instance, validated } = buildValidated(build)
          validateColumns(cls, instance, cls.metadata.columns, validated)
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
      }
      const instances = items.map((item, i) => itemCheck(i, () => instanceOf(cls, item)))
      if (conflict !== undefined) checkDistinctKeys(cls, instances, conflict)
      if (instances.length === 0) return 0
      const connection = resolveConnection(using, route)
      if (conflict === undefined) return insertManyWithHooks(cls, connection, instances, (instance, i) => void itemCheck(i, () => instance))
      if (hooksOf(cls) === null) return bulkUpsert(cls, connection, instances, conflict)
      return withHooks(cls, connection, async (tx) => {
        // An upsert is an INSERT that may update: the insert hooks run for every item.
        for (const instance of instances) await runHook(instance, "beforeInsert")
        instances.forEach((instance, i) => void itemCheck(i, () => instance))
        const count = await bulkUpsert(cls, tx, instances, conflict)
        for (const instance of instances) await runHook(instance, "afterInsert")
        return count
      })
    })
  },
  upsert(this: unknown, data: object, options: ConflictOptions) {
    return namedOperation("upsert", this, async () => {
      const cls = asRuntime(this)
      // Everything is checked before any SQL: the options against the model, then every value as create() checks it.
      const conflict = resolveConflict(cls, options, givenColumns(cls, data), "upsert()")
      const instance = instanceOf(cls, data)
      // Without hooks the statement is sent before the first await, as every write's is (an
      // operation started in Promise code and handed to Ferro.transaction() has already sent it).
      const stored = await (hooksOf(cls) === null ? upsertInstance(cls, resolveConnection(using, route), instance, conflict) : withHooks(cls, resolveConnection(using, route), async (tx) => {
        await runHook(instance, "beforeInsert")
        // What a hook changed is validated as create() validates.
        validateColumns(cls, instance, cls.metadata.columns)
        const row = await upsertInstance(cls, tx, instance, conflict)
        if (row !== null) await runHook(row, "afterInsert")
        return row
      }))
      if (stored !== null) return stored
      // `update: []` and the row exists: it is left as it is and read back by its conflict fields.
      const key = Object.fromEntries(conflict.target!.map((c) => [c.property, instance[c.property]]))
      const existing = await newQuery<object, never>(cls, using, route).where(lookupPredicate(cls, key) as never).first()
      if (existing !== null) return existing
      // The colliding row is gone again: insert (or report the collision that is left).
      await saveWithHooks(cls, resolveConnection(using, route), instance, { insert: true })
      return instance
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
      return createOrFind(cls, using, route, query, lookup, defaults)
    })
  },
  updateOrCreate(this: unknown, lookup: object, defaults: object = {}) {
    return namedOperation("updateOrCreate", this, async () => {
      const cls = asRuntime(this)
      // Lookup values (in where()) and defaults are checked before any SQL runs.
      const query = newQuery<object, never>(cls, using, route).where(lookupPredicate(cls, lookup) as never)
      const values = checkDefaults(cls, lookup, defaults, true)
      let found = (await query.first()) as Record<string, unknown> | null
      if (found === null) {
        const [instance, created] = await createOrFind(cls, using, route, query, lookup, defaults)
        if (created) return [instance, true]
        found = instance as Record<string, unknown>
      }
      // `values`: the defaults, validated, foreign keys as their keys. If the write fails, the instance must not keep values the database never accepted.
      const previous = Object.fromEntries(Object.keys(values).map((k) => [k, found[k]]))
      Object.assign(found, values)
      try {
        await saveWithHooks(cls, resolveConnection(using ?? Instances.connectionOf(found) ?? undefined, route), found)
      } catch (error) {
        Object.assign(found, previous)
        throw error
      }
      return [found, false]
    })
  },
})

/**
 * The create step of `getOrCreate()` / `updateOrCreate()` after the lookup found nothing:
 * `INSERT ... ON CONFLICT (the lookup's unique fields) DO NOTHING RETURNING`. Inserted: the new
 * instance, created. Nothing inserted: a concurrent call (or transaction) won the race, and the
 * re-read returns its row. Neither (the collision was with a row the lookup does not match,
 * or one deleted again since): a plain INSERT creates the row or raises the real violation.
 */
const createOrFind = async (
  cls: Runtime,
  using: string | undefined,
  route: RouteOptions | undefined,
  query: Query<object, never>,
  lookup: object,
  defaults: object,
): Promise<[object, boolean]> => {
  const instance = instanceOf(cls, { ...lookup, ...defaults })
  const created = await (hooksOf(cls) === null ? insertIfAbsent(cls, resolveConnection(using, route), instance, lookupTarget(cls, lookup)) : withHooks(cls, resolveConnection(using, route), async (tx) => {
    await runHook(instance, "beforeInsert")
    validateColumns(cls, instance, cls.metadata.columns)
    const row = await insertIfAbsent(cls, tx, instance, lookupTarget(cls, lookup))
    if (row !== null) await runHook(row, "afterInsert")
    return row
  }))
  if (created !== null) return [created, true]
  // The winner committed after this transaction's snapshot may have been taken: a locking read.
  const winner = await Query.lockingRead(query).first()
  if (winner !== null) return [winner, false]
  await saveWithHooks(cls, resolveConnection(using, route), instance, { insert: true })
  return [instance, true]
}

/** The columns every item gives a value for (the default `update` of a bulk upsert). */
const commonColumns = (cls: Runtime, items: ReadonlyArray<object>) => {
  if (items.length === 0) return []
  const [first, ...rest] = items.map((item) => givenColumns(cls, item))
  return first!.filter((c) => rest.every((given) => given.includes(c)))
}

const unbound = statics(undefined)

/** Where an instance's own operations run: the connection it came from, else the default. */
const instanceConnection = (instance: object) => resolveConnection(Instances.connectionOf(instance) ?? undefined)

const instanceMethods = {
  save(this: Record<string, unknown>) {
    return namedOperation("save", this.constructor, async () => {
      const cls = asRuntime(this.constructor)
      await saveWithHooks(cls, instanceConnection(this), this)
      return this
    })
  },
  delete(this: Record<string, unknown>) {
    return namedOperation("delete", this.constructor, async () => {
      const cls = asRuntime(this.constructor)
      await deleteWithHooks(cls, instanceConnection(this), this, false)
    })
  },
  hardDelete(this: Record<string, unknown>) {
    return namedOperation("hardDelete", this.constructor, async () => {
      const cls = asRuntime(this.constructor)
      await deleteWithHooks(cls, instanceConnection(this), this, true)
    })
  },
  restore(this: Record<string, unknown>) {
    return namedOperation("restore", this.constructor, async () => {
      const cls = asRuntime(this.constructor)
      await restoreWithHooks(cls, instanceConnection(this), this)
      return this
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
