/**
 * The immutable, fluent query builder: every method returns a new query; nothing runs until
 * a terminal (`all`, `first`, `count`, `exists`, `update`, `delete`) is awaited.
 *
 * @module
 */
import {
  type ColumnKeys,
  type ColumnMetadata,
  type InstanceFields,
  type ModelProps,
  type PropertyType,
  QueryError,
  type RelationField,
  type RelationKind,
  type ShadowProps,
  type Operation,
  ValidationError,
  modelRuntime,
  operation,
} from "@ferro/core"
import type { LazyRows } from "@ferro/hydrate"
import { type LinkContext, addLinks, checkPaths, loadPaths, removeLinks } from "./relations.js"
import { type ColumnFor, type ColumnRef, columnsOf } from "./column.js"
import { compilerFor } from "./compiler/index.js"
import { type RouteOptions, resolveConnection } from "./context.js"
import { type Condition, type Ordering, type SelectNode, and } from "./expression.js"
import {
  type ModelClass,
  fetchInstances,
  fetchLazy,
  modelName,
  runDelete,
  runUpdate,
} from "./operations.js"
import { type Predicate, type UpdateExpression, isUpdateExpression, toCondition } from "./predicate.js"
import { checkValue } from "./values.js"

/** The column references a `where()` callback receives for fields `F` (foreign keys as `authorId`). */
export type ColumnsOf<F> = { readonly [K in ColumnKeys<F>]: ColumnFor<PropertyType<F[K]>> } & {
  readonly [K in keyof ShadowProps<F>]: ColumnFor<ShadowProps<F>[K]>
}

type RelationKeys<F> = { [K in keyof F]: F[K] extends RelationField<RelationKind, unknown> ? K : never }[keyof F] & string
type RelationTargetFields<V> = V extends RelationField<RelationKind, infer T> ? InstanceFields<T> : never

/** Relation paths `with()` accepts: `"author"`, `"author.profile"`, ... (three levels deep). */
export type RelationPath<F, Depth extends ReadonlyArray<unknown> = []> = Depth["length"] extends 3
  ? never
  : {
      [K in RelationKeys<F>]: K | `${K}.${RelationPath<RelationTargetFields<F[K]>, [...Depth, unknown]>}`
    }[RelationKeys<F>]

/** A primary key value. */
type PrimaryKeyValue = string | number | bigint

/** A `where()` argument: a callback over the columns, or a predicate. */
export type Where<F> = ((columns: ColumnsOf<F>) => Predicate) | Predicate

/** Values for a batch update: plain values or atomic expressions over the columns. */
export type UpdateValues<F> = {
  readonly [K in ColumnKeys<F>]?: PropertyType<F[K]> | ((columns: ColumnsOf<F>) => UpdateExpression)
} & { readonly [K in keyof ShadowProps<F>]?: ShadowProps<F>[K] }

export type SortDirection = "asc" | "desc"

/** Options of {@link Query.all}. */
export interface AllOptions {
  /** Return a {@link LazyRows} (views decoded on access) instead of model instances. */
  readonly lazy?: boolean
}

const columnsIn = (condition: Condition): Array<ColumnMetadata> => {
  switch (condition.kind) {
    case "and":
    case "or":
      return condition.items.flatMap(columnsIn)
    case "not":
      return columnsIn(condition.item)
    case "constant":
      return []
    case "linked":
      return [condition.column]
    default:
      return [condition.column]
  }
}

interface State {
  readonly modelClass: ModelClass
  readonly where: ReadonlyArray<Condition>
  readonly orderBy: ReadonlyArray<Ordering>
  readonly limit: number | null
  readonly offset: number | null
  readonly using: string | undefined
  /** `using(name, { outsideTransaction: true })`: may run outside a transaction on another connection. */
  readonly outsideTransaction?: boolean | undefined
  /** Relation paths to load with the results. */
  readonly include: ReadonlyArray<string>
  /** Links a many-to-many relation query edits with add/remove/clear. */
  readonly link?: LinkContext | undefined
  /** Rows an eager load already fetched for this (unfiltered) relation query. */
  readonly preloaded?: ReadonlyArray<object> | undefined
}

const checkCount = (what: "limit" | "offset", n: unknown): number => {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new QueryError(`${what}() expects a non-negative integer, got ${typeof n === "number" ? String(n) : typeof n}`)
  }
  return n
}

/** A query over model `M` with fields `F`. */
export class Query<M, F> {
  readonly #state: State

  /** @internal Use `Model.where()` / `Model.select()`. */
  constructor(state: State) {
    this.#state = state
  }

  #with(patch: Partial<State>): Query<M, F> {
    // Narrowing the query invalidates what an eager load fetched for the whole relation.
    const keepsRows = Object.keys(patch).every((k) => k === "using" || k === "outsideTransaction" || k === "include")
    return new Query<M, F>({ ...this.#state, ...(keepsRows ? {} : { preloaded: undefined }), ...patch })
  }

  #columns(): ColumnsOf<F> {
    const { modelClass } = this.#state
    return columnsOf(modelName(modelClass), modelClass.metadata) as unknown as ColumnsOf<F>
  }

  /** Adds a filter; chained calls AND together. */
  where(predicate: Where<F>): Query<M, F> {
    const value = typeof predicate === "function" ? predicate(this.#columns()) : predicate
    const condition = toCondition(value, "where()")
    const { metadata } = this.#state.modelClass
    const foreign = columnsIn(condition).find((c) => !metadata.columns.includes(c))
    if (foreign !== undefined) {
      throw new QueryError(
        `where() on ${modelName(this.#state.modelClass)} got a predicate over another model's column '${foreign.property}'`,
      )
    }
    return this.#with({ where: [...this.#state.where, condition] })
  }

  /** Adds a sort key; call again for further keys. */
  orderBy(column: (columns: ColumnsOf<F>) => ColumnFor<unknown>, direction: SortDirection = "asc"): Query<M, F> {
    if (typeof column !== "function") throw new QueryError("orderBy() expects a callback such as (p) => p.createdAt")
    if (direction !== "asc" && direction !== "desc") {
      throw new QueryError(`orderBy() direction must be "asc" or "desc", got ${JSON.stringify(direction)}`)
    }
    const ref = column(this.#columns()) as unknown as ColumnRef | undefined
    const metadata = (ref as { column?: ColumnMetadata } | undefined)?.column
    if (metadata === undefined || !this.#state.modelClass.metadata.columns.includes(metadata)) {
      throw new QueryError("orderBy() callback must return a column of the model, such as (p) => p.createdAt")
    }
    return this.#with({ orderBy: [...this.#state.orderBy, { column: metadata, direction }] })
  }

  /** At most `n` rows. */
  limit(n: number): Query<M, F> {
    return this.#with({ limit: checkCount("limit", n) })
  }

  /** Skip the first `n` rows. */
  offset(n: number): Query<M, F> {
    return this.#with({ offset: checkCount("offset", n) })
  }

  /**
   * Loads relations with the results, one statement per relation level whatever the number of
   * rows: `Post.select().with("author", "tags", "author.profile")`. Afterwards `await post.author`
   * and `author.posts.all()` need no query.
   */
  with(...paths: ReadonlyArray<RelationPath<F>>): Query<M, F> {
    checkPaths(this.#state.modelClass, paths as ReadonlyArray<string>)
    return this.#with({ include: [...this.#state.include, ...(paths as ReadonlyArray<string>)] })
  }

  /** Links rows to the owner of this many-to-many relation (instances or keys). Existing links are kept. */
  add(...items: ReadonlyArray<M | PrimaryKeyValue>): Operation<void> {
    return operation(async () => {
      await addLinks(this.#state.using, this.#state.modelClass, this.#link("add"), items)
    })
  }

  /** Unlinks rows from the owner of this many-to-many relation; returns the number of links removed. */
  remove(...items: ReadonlyArray<M | PrimaryKeyValue>): Operation<number> {
    return operation(async () => {
      return removeLinks(this.#state.using, this.#state.modelClass, this.#link("remove"), items)
    })
  }

  /** Removes every link of the owner of this many-to-many relation; returns the number removed. */
  clear(): Operation<number> {
    return operation(async () => {
      return removeLinks(this.#state.using, this.#state.modelClass, this.#link("clear"), null)
    })
  }

  #link(what: string): LinkContext {
    const { link } = this.#state
    if (link === undefined) throw new QueryError(`${what}() works only on a many-to-many relation, such as post.tags`)
    if (link.ownerKey === null) throw new QueryError(`${what}(): save the owning instance first`)
    return link
  }

  /**
   * Runs on the connection called `name` instead of the default. Inside a transaction on
   * another connection this is refused with a `TransactionError`, unless
   * `{ outsideTransaction: true }` says the query may run outside that transaction.
   */
  using(name: string, options?: RouteOptions): Query<M, F> {
    return this.#with({ using: name, outsideTransaction: options?.outsideTransaction === true })
  }

  #node(): SelectNode {
    const { modelClass, where, orderBy, limit, offset } = this.#state
    return { table: modelClass.metadata.table, columns: modelClass.metadata.columns, where: and(where), orderBy, limit, offset }
  }

  /**
   * Every matching row as a model instance. With `{ lazy: true }`, a {@link LazyRows} instead:
   * the rows stay in the engine's compact form (typed-array columns on the native SQLite
   * engine) and each view decodes a column when it is read; `materialize()` gives instances.
   * Lazy results skip the identity map and cannot be combined with `with()`.
   */
  all(): Operation<Array<M>>
  all(options: { readonly lazy: true }): Operation<LazyRows<M, ModelProps<F>>>
  all(options: AllOptions): Operation<Array<M> | LazyRows<M, ModelProps<F>>>
  all(options: AllOptions = {}): Operation<Array<M> | LazyRows<M, ModelProps<F>>> {
    if (options.lazy === true) {
      return operation(async () => {
        const { modelClass, include } = this.#state
        if (include.length > 0) {
          throw new QueryError("all({ lazy: true }) does not load relations: drop with(), or materialize() and load them")
        }
        const connection = resolveConnection(this.#state.using, this.#state)
        return (await fetchLazy(modelClass, connection, this.#node())) as unknown as LazyRows<M, ModelProps<F>>
      })
    }
    return operation(async () => {
      const { modelClass, preloaded, include } = this.#state
      const connection = resolveConnection(this.#state.using, this.#state)
      const instances = preloaded !== undefined ? [...preloaded] : await fetchInstances(modelClass, connection, this.#node())
      await loadPaths(modelClass, connection, instances, include)
      return instances as Array<M>
    })
  }

  /** The first matching row, or null. */
  first(): Operation<M | null> {
    return operation(async () => {
      const { modelClass, preloaded, include } = this.#state
      const connection = resolveConnection(this.#state.using, this.#state)
      const node = this.#node()
      const instances =
        preloaded !== undefined
          ? preloaded.slice(0, 1)
          : await fetchInstances(modelClass, connection, { ...node, limit: Math.min(node.limit ?? 1, 1) })
      await loadPaths(modelClass, connection, instances, include)
      return (instances[0] as M | undefined) ?? null
    })
  }

  /** Number of matching rows (respecting limit/offset). */
  count(): Operation<number> {
    return operation(async () => {
      const connection = resolveConnection(this.#state.using, this.#state)
      const [row] = await connection.driver.rows(compilerFor(connection.driver.dialect).count(this.#node()))
      return Number(row![0])
    })
  }

  /** Whether any row matches; stops at the first. */
  exists(): Operation<boolean> {
    return operation(async () => {
      const connection = resolveConnection(this.#state.using, this.#state)
      const rows = await connection.driver.rows(compilerFor(connection.driver.dialect).exists(this.#node()))
      return rows.length > 0
    })
  }

  /**
   * Updates every matching row; returns the number of rows updated. Values are validated
   * first. Instances of updated rows held in the identity map are reloaded.
   */
  update(values: UpdateValues<F>): Operation<number> {
    return operation(async () => {
      const { modelClass } = this.#state
      const name = modelName(modelClass)
      if (typeof values !== "object" || values === null) {
        throw new ValidationError(name, [{ path: "", message: "update() expects an object of field values" }])
      }
      const byProperty = new Map(modelClass.metadata.columns.map((c) => [c.property, c]))
      const set: Array<readonly [ColumnMetadata, unknown]> = []
      const issues = []
      for (const [property, raw] of Object.entries(values)) {
        const column = byProperty.get(property)
        if (column === undefined) {
          issues.push({ path: property, message: "is not a field of this model" })
          continue
        }
        if (raw === undefined) continue
        // A function is an update expression, except for JSON columns where it is just a bad value.
        if (typeof raw === "function" && column.type !== "json") {
          const expression = (raw as (columns: ColumnsOf<F>) => unknown)(this.#columns())
          if (!isUpdateExpression(expression)) {
            throw new QueryError(`update() callback for '${property}' must return an expression such as p.${property}.add(1)`)
          }
          set.push([column, expression.arithmetic])
          continue
        }
        try {
          const value = checkValue(name, column, raw)
          const fieldIssues = modelRuntime(modelClass).validateValue(property, value)
          if (fieldIssues.length > 0) issues.push(...fieldIssues)
          else set.push([column, value])
        } catch (error) {
          if (error instanceof ValidationError) issues.push(...error.issues)
          else throw error
        }
      }
      if (issues.length > 0) throw new ValidationError(name, issues)
      if (set.length === 0) throw new QueryError("update() needs at least one field to set")
      const connection = resolveConnection(this.#state.using, this.#state)
      const node = this.#node()
      return runUpdate(modelClass, connection, {
        ...node,
        primaryKey: modelClass.metadata.columns.find((c) => c.primaryKey) ?? null,
        set,
      })
    })
  }

  /** Deletes every matching row; returns the number deleted. Held instances are evicted. */
  delete(): Operation<number> {
    return operation(async () => {
      const { modelClass } = this.#state
      const connection = resolveConnection(this.#state.using, this.#state)
      return runDelete(connection, {
        ...this.#node(),
        primaryKey: modelClass.metadata.columns.find((c) => c.primaryKey) ?? null,
      })
    })
  }

  /** The SQL and parameter count this query compiles to on the default (or `using`) connection. */
  toSQL(): { readonly sql: string; readonly parameterCount: number } {
    const connection = resolveConnection(this.#state.using, this.#state)
    const statement = compilerFor(connection.driver.dialect).select(this.#node())
    return { sql: statement.sql, parameterCount: statement.params.length }
  }
}

/** @internal */
export const newQuery = <M, F>(
  modelClass: ModelClass,
  using?: string,
  extra: {
    readonly where?: Condition
    readonly link?: LinkContext
    readonly preloaded?: ReadonlyArray<object>
    readonly outsideTransaction?: boolean
  } = {},
): Query<M, F> =>
  new Query<M, F>({
    modelClass,
    where: extra.where === undefined ? [] : [extra.where],
    orderBy: [],
    limit: null,
    offset: null,
    using,
    outsideTransaction: extra.outsideTransaction,
    include: [],
    link: extra.link,
    preloaded: extra.preloaded,
  })
