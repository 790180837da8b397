/**
 * The immutable, fluent query builder: every method returns a new query; nothing runs until
 * a terminal (`all`, `first`, `count`, `exists`, `update`, `delete`) is awaited.
 *
 * @module
 */
import {
  type FerroStream,
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
} from "@ferro/core"
import { batchedStream, modelRuntime, namedOperation, operation } from "@ferro/core/internal"
import type { LazyRows } from "@ferro/hydrate"
import { type LinkContext, addLinks, checkPaths, loadPaths, removeLinks } from "./relations.js"
import type { ColumnsOf, DecimalExpression, Expression, NumericExpression, SumOf } from "./column.js"
import { columnsFor } from "./columns.js"
import { compilerFor } from "./compiler/index.js"
import { type RouteOptions, resolveConnection } from "./context.js"
import { type Condition, type Expr, type Ordering, type SelectNode, type Source, and } from "./expression.js"
import { type ExpressionRef, SUBQUERY, collectingPredicates, isExpression } from "./expression-ref.js"
import { type Projection, type RowOf, type Selection, decodeProjection, projectionNeedsBigints, toProjection } from "./projection.js"
import { type SqlFragment, fragmentNode, isFragment } from "./raw.js"
import { rootSource } from "./source.js"
import {
  type ModelClass,
  fetchInstances,
  fetchLazy,
  isSoftDeleted,
  hydrator,
  modelName,
  onUpdateNowValues,
  runDelete,
  runUpdate,
  streamTarget,
} from "./operations.js"
import { type Predicate, toCondition } from "./predicate.js"
import { checkValue } from "./values.js"

export type { ColumnsOf } from "./column.js"

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

/** A `where()` argument: a callback over the columns (a predicate or a `sql<boolean>` fragment), or a predicate. */
export type Where<F> = ((columns: ColumnsOf<F>) => Predicate | SqlFragment<boolean>) | Predicate

/** Values for a batch update: plain values or expressions the database computes (`(p) => p.views.add(1)`). */
export type UpdateValues<F> = {
  readonly [K in ColumnKeys<F>]?: PropertyType<F[K]> | ((columns: ColumnsOf<F>) => Expression<PropertyType<F[K]>>)
} & { readonly [K in keyof ShadowProps<F>]?: ShadowProps<F>[K] }

export type SortDirection = "asc" | "desc"

/** How `orderBy()` sorts: direction, and where NULLs go (the database's default when left out). */
export interface OrderOptions {
  readonly direction?: SortDirection
  readonly nulls?: "first" | "last"
}

/** What `orderBy()`, `groupBy()` and `select()` callbacks may return as one value. */
export type Orderable = Expression<unknown> | SqlFragment<unknown>

/**
 * A query with a projection (`select((p) => ...)`): its rows are plain values, tuples or
 * objects, not model instances. It can be grouped, filtered after grouping, made distinct, and
 * used as a subquery (`p.authorId.in(Author.where(...).select((a) => a.id))`).
 */
export interface SelectQuery<R, F> {
  /** Phantom: the row type (subqueries). */
  readonly "~row": R
  readonly [SUBQUERY]: () => SelectNode
  /** Adds a filter (before grouping); chained calls AND together. */
  where(predicate: Where<F>): SelectQuery<R, F>
  /** Adds a sort key: any expression, `"asc"`/`"desc"` or `{ direction, nulls }`. */
  orderBy(expression: (columns: ColumnsOf<F>) => Orderable, direction?: SortDirection | OrderOptions, options?: OrderOptions): SelectQuery<R, F>
  /** Groups rows by one or more expressions: `groupBy((p) => p.authorId)` or `(p) => [p.a, p.b]`. */
  groupBy(expressions: (columns: ColumnsOf<F>) => Orderable | ReadonlyArray<Orderable>): SelectQuery<R, F>
  /** Filters groups: `having(() => count().gte(2))`. */
  having(predicate: (columns: ColumnsOf<F>) => Predicate | SqlFragment<boolean>): SelectQuery<R, F>
  /** Drops duplicate rows (`SELECT DISTINCT`). */
  distinct(): SelectQuery<R, F>
  /** Includes soft-deleted rows (of the root, its relation paths and relation filters). */
  withDeleted(): SelectQuery<R, F>
  limit(n: number): SelectQuery<R, F>
  offset(n: number): SelectQuery<R, F>
  using(name: string, options?: RouteOptions): SelectQuery<R, F>
  /** The rows one at a time, read in batches through a cursor (see {@link Query.stream}). */
  stream(options?: StreamOptions): AsyncIterable<R>
  /** The rows as an Effect `Stream` (see {@link Query.toStream}). */
  toStream(options?: StreamOptions): FerroStream<R>
  /** Every row. */
  all(): Operation<Array<R>>
  /** The first row, or null. */
  first(): Operation<R | null>
  /** Number of rows (of the grouped / distinct result). */
  count(): Operation<number>
  exists(): Operation<boolean>
  toSQL(): { readonly sql: string; readonly parameterCount: number }
}

/** Options of {@link Query.all}. */
export interface AllOptions {
  /** Return a {@link LazyRows} (views decoded on access) instead of model instances. */
  readonly lazy?: boolean
}

/** Options of {@link Query.stream} and {@link Query.toStream}. */
export interface StreamOptions {
  /**
   * Rows read per batch: per `FETCH` on PostgreSQL, per stepping turn on SQLite; with `with()`,
   * the instances whose relations one round of eager loading fetches. A positive integer;
   * default {@link DEFAULT_BATCH_SIZE}.
   */
  readonly batchSize?: number
}

/** Rows a stream reads per batch unless `batchSize` says otherwise. */
export const DEFAULT_BATCH_SIZE = 1000

const checkBatchSize = (options: unknown): number => {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new QueryError(`stream() expects options such as { batchSize: 500 }, got ${options === null ? "null" : typeof options}`)
  }
  const batchSize = (options as StreamOptions | undefined)?.batchSize
  if (batchSize === undefined) return DEFAULT_BATCH_SIZE
  if (typeof batchSize !== "number" || !Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new QueryError(`stream() batchSize must be a positive integer, got ${typeof batchSize === "number" ? String(batchSize) : typeof batchSize}`)
  }
  return batchSize
}

/** The rows of a stream of batches, one at a time; leaving early closes the batches' source. */
async function* rowsOf<T>(batches: AsyncIterable<ReadonlyArray<T>>): AsyncGenerator<T, void, undefined> {
  for await (const batch of batches) for (const row of batch) yield row
}

interface State {
  readonly modelClass: ModelClass
  /** The root source this query's column references point at. */
  readonly source: Source
  readonly projection?: Projection | undefined
  readonly distinct?: boolean
  readonly groupBy?: ReadonlyArray<Expr>
  readonly having?: ReadonlyArray<Condition>
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
  /** `withDeleted()`: a soft-delete model's deleted rows are included. */
  readonly withDeleted?: boolean
  /** A locking read (see {@link Query.lockingRead}). */
  readonly lock?: "share"
}

/** A predicate, a `sql` fragment or a boolean expression as a condition. */
const conditionOf = (value: unknown, what: string): Condition =>
  isFragment(value) ? fragmentNode(value) : toCondition(value, what)

/** An expression a callback returned for `orderBy()`/`groupBy()`. */
const expressionOf = (value: unknown, what: string): Expr => {
  if (isExpression(value)) return value.expr
  if (isFragment(value)) return fragmentNode(value)
  throw new QueryError(`${what} callback must return an expression such as (p) => p.createdAt, got ${value === null ? "null" : typeof value}`)
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
  /** Phantom: the row type (subqueries). */
  declare readonly "~row": M

  /** @internal Use `Model.where()` / `Model.select()`. */
  constructor(state: State) {
    this.#state = state
  }

  /**
   * @internal `query` as a locking read: it sees the newest committed rows rather than the
   * transaction's snapshot, where the dialect needs that said (MySQL's REPEATABLE READ); the
   * re-read after a lost insert race (`getOrCreate`) uses it.
   */
  static lockingRead<M, F>(query: Query<M, F>): Query<M, F> {
    return query.#with({ lock: "share" })
  }

  #with(patch: Partial<State>): Query<M, F> {
    // Narrowing the query invalidates what an eager load fetched for the whole relation.
    const keepsRows = Object.keys(patch).every((k) => k === "using" || k === "outsideTransaction" || k === "include")
    return new Query<M, F>({ ...this.#state, ...(keepsRows ? {} : { preloaded: undefined }), ...patch })
  }

  #columns(): ColumnsOf<F> {
    return columnsFor(this.#state.source) as unknown as ColumnsOf<F>
  }

  /** Adds a filter; chained calls AND together. */
  where(predicate: Where<F>): Query<M, F> {
    const value = typeof predicate === "function" ? collectingPredicates("where()", () => predicate(this.#columns())) : predicate
    const condition = conditionOf(value, "where()")
    return this.#with({ where: [...this.#state.where, condition] })
  }

  /**
   * Adds a sort key (call again for further keys): any expression, a relation path or an
   * aggregate; `"asc"`/`"desc"`, and `{ nulls: "first" | "last" }`.
   */
  orderBy(expression: (columns: ColumnsOf<F>) => Orderable, direction: SortDirection | OrderOptions = "asc", options?: OrderOptions): Query<M, F> {
    if (typeof expression !== "function") throw new QueryError("orderBy() expects a callback such as (p) => p.createdAt")
    const opts: OrderOptions = typeof direction === "object" && direction !== null ? direction : { ...options, direction }
    const dir = opts.direction ?? "asc"
    if (dir !== "asc" && dir !== "desc") {
      throw new QueryError(`orderBy() direction must be "asc" or "desc", got ${JSON.stringify(dir)}`)
    }
    if (opts.nulls !== undefined && opts.nulls !== "first" && opts.nulls !== "last") {
      throw new QueryError(`orderBy() nulls must be "first" or "last", got ${JSON.stringify(opts.nulls)}`)
    }
    const expr = expressionOf(expression(this.#columns()), "orderBy()")
    if (expr.kind === "column" && !this.#reads(expr.source)) {
      throw new QueryError(`orderBy() callback must return an expression of ${expr.source.model === this.#state.source.model ? "this query" : modelName(this.#state.modelClass)}, such as (p) => p.createdAt; '${expr.column.property}' belongs to ${expr.source.model}`)
    }
    return this.#with({ orderBy: [...this.#state.orderBy, { expr, direction: dir, nulls: opts.nulls }] })
  }

  /** Whether `source` is this query's root or one of its relation paths (or another query's root over the same model). */
  #reads(source: Source): boolean {
    let top = source
    while (top.parent !== null) top = top.parent
    return top === this.#state.source || (source.parent === null && source.metadata === this.#state.source.metadata)
  }

  /**
   * Selects values instead of instances: one expression, a tuple, or a plain object of
   * expressions (columns, relation paths, aggregates, `sql` fragments). The rows are plain
   * values, not instances, and skip the identity map. Without a callback: the query itself.
   */
  select(): Query<M, F>
  select<const S extends Selection>(projection: (columns: ColumnsOf<F>) => S): SelectQuery<RowOf<S>, F>
  select(projection?: (columns: ColumnsOf<F>) => unknown): Query<M, F> | SelectQuery<unknown, F> {
    if (projection === undefined) return this
    if (typeof projection !== "function") throw new QueryError("select() expects a callback such as (p) => ({ id: p.id, title: p.title })")
    if (this.#state.include.length > 0) throw new QueryError("select() with a projection does not load relations: select relation paths instead of with()")
    return this.#with({ projection: toProjection(projection(this.#columns())) }) as unknown as SelectQuery<unknown, F>
  }

  /** Groups the rows of a projection: `groupBy((p) => p.authorId)` or `(p) => [p.a, p.b]`. */
  groupBy(expressions: (columns: ColumnsOf<F>) => Orderable | ReadonlyArray<Orderable>): Query<M, F> {
    if (typeof expressions !== "function") throw new QueryError("groupBy() expects a callback such as (p) => p.authorId")
    const value = expressions(this.#columns())
    const list = (Array.isArray(value) ? value : [value]).map((v) => expressionOf(v, "groupBy()"))
    if (list.length === 0) throw new QueryError("groupBy() needs at least one expression")
    return this.#with({ groupBy: [...(this.#state.groupBy ?? []), ...list] })
  }

  /** Filters groups after `groupBy()`: `having(() => count().gte(2))`. */
  having(predicate: (columns: ColumnsOf<F>) => Predicate | SqlFragment<boolean>): Query<M, F> {
    if (typeof predicate !== "function") throw new QueryError("having() expects a callback such as () => count().gte(2)")
    const condition = conditionOf(collectingPredicates("having()", () => predicate(this.#columns())), "having()")
    return this.#with({ having: [...(this.#state.having ?? []), condition] })
  }

  /** Drops duplicate rows of a projection (`SELECT DISTINCT`). */
  distinct(): Query<M, F> {
    return this.#with({ distinct: true })
  }

  /**
   * Includes soft-deleted rows: on a model with `softDelete`, queries skip rows whose
   * soft-delete column is set (also through relation paths, `some`/`none`/`every` and relation
   * counts); this query keeps them. No effect on other models.
   */
  withDeleted(): Query<M, F> {
    return this.#with({ withDeleted: true })
  }

  /** @internal The select node, for an enclosing query (subqueries, `exists()`). */
  get [SUBQUERY](): () => SelectNode {
    return () => this.#node()
  }

  #needsProjection(what: string): void {
    const { projection, groupBy, having } = this.#state
    if (projection === undefined && ((groupBy?.length ?? 0) > 0 || (having?.length ?? 0) > 0)) {
      throw new QueryError(`${what}: groupBy()/having() need a projection, such as select((p) => ({ authorId: p.authorId, posts: count() }))`)
    }
  }

  #instancesOnly(what: string): void {
    if (this.#state.projection !== undefined) {
      throw new QueryError(`${what} works on model instances; this query selects values (select() with a callback)`)
    }
    this.#needsProjection(what)
  }

  /** Rows an eager load fetched, without those soft-deleted since (unless withDeleted()). */
  #live(rows: ReadonlyArray<object>): Array<object> {
    const { modelClass, withDeleted } = this.#state
    return withDeleted === true ? [...rows] : rows.filter((row) => !isSoftDeleted(modelClass, row))
  }

  /** Runs the projection query and decodes its rows. */
  async #projected(node: SelectNode): Promise<Array<unknown>> {
    const projection = this.#state.projection!
    const connection = resolveConnection(this.#state.using, this.#state)
    const { dialect } = connection.driver
    const bigints = projectionNeedsBigints(projection)
    const rows = await connection.driver.rows(compilerFor(dialect).select(node), bigints ? { bigints } : undefined)
    return decodeProjection(projection, rows, dialect, bigints)
  }

  /** One aggregate over the matching rows, as a terminal. */
  #aggregate(fn: "sum" | "avg" | "min" | "max", expression: unknown): Operation<unknown> {
    return namedOperation(fn, this.#state.modelClass, async () => {
      if (typeof expression !== "function") throw new QueryError(`${fn}() expects a callback such as (p) => p.views`)
      this.#instancesOnly(`${fn}()`)
      const value = (expression as (columns: ColumnsOf<F>) => unknown)(this.#columns())
      if (!isExpression(value)) throw new QueryError(`${fn}() callback must return a column or expression, such as (p) => p.views`)
      const aggregate = (value as ExpressionRef)[fn]()
      const query = this.#with({ projection: toProjection(aggregate), orderBy: [], limit: null, offset: null })
      const node = query.#node()
      // limit/offset apply to the rows aggregated, not to the single result row.
      const { limit, offset, orderBy } = this.#state
      const inner = limit !== null || offset !== null
      if (inner) {
        throw new QueryError(`${fn}() over a limited query is not supported: aggregate a select() of it, or drop limit()/offset()`)
      }
      void orderBy
      const [result] = await query.#projected(node)
      return result ?? null
    })
  }

  /** `SUM` of an expression over the matching rows; null when there are none. */
  sum(expression: (columns: ColumnsOf<F>) => DecimalExpression<unknown>): Operation<string | null>
  sum<T>(expression: (columns: ColumnsOf<F>) => NumericExpression<T>): Operation<SumOf<T>>
  sum(expression: unknown): Operation<unknown> {
    return this.#aggregate("sum", expression)
  }

  /** `AVG` of an expression over the matching rows (a decimal string for decimals); null when there are none. */
  avg(expression: (columns: ColumnsOf<F>) => DecimalExpression<unknown>): Operation<string | null>
  avg(expression: (columns: ColumnsOf<F>) => NumericExpression<unknown>): Operation<number | null>
  avg(expression: unknown): Operation<unknown> {
    return this.#aggregate("avg", expression)
  }

  /** `MIN` of an expression over the matching rows; null when there are none. */
  min<T>(expression: (columns: ColumnsOf<F>) => Expression<T>): Operation<NonNullable<T> | null> {
    return this.#aggregate("min", expression) as Operation<NonNullable<T> | null>
  }

  /** `MAX` of an expression over the matching rows; null when there are none. */
  max<T>(expression: (columns: ColumnsOf<F>) => Expression<T>): Operation<NonNullable<T> | null> {
    return this.#aggregate("max", expression) as Operation<NonNullable<T> | null>
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
    if (this.#state.projection !== undefined) throw new QueryError("with() loads relations of instances; this query selects values (select relation paths instead)")
    checkPaths(this.#state.modelClass, paths as ReadonlyArray<string>)
    return this.#with({ include: [...this.#state.include, ...(paths as ReadonlyArray<string>)] })
  }

  /** Links rows to the owner of this many-to-many relation (instances or keys). Existing links are kept. */
  add(...items: ReadonlyArray<M | PrimaryKeyValue>): Operation<void> {
    return namedOperation("add", this.#state.modelClass, async () => {
      await addLinks(this.#state.using, this.#state.modelClass, this.#link("add"), items)
    })
  }

  /** Unlinks rows from the owner of this many-to-many relation; returns the number of links removed. */
  remove(...items: ReadonlyArray<M | PrimaryKeyValue>): Operation<number> {
    return namedOperation("remove", this.#state.modelClass, async () => {
      return removeLinks(this.#state.using, this.#state.modelClass, this.#link("remove"), items)
    })
  }

  /** Removes every link of the owner of this many-to-many relation; returns the number removed. */
  clear(): Operation<number> {
    return namedOperation("clear", this.#state.modelClass, async () => {
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
    const { modelClass, where, orderBy, limit, offset, source, projection, distinct, groupBy, having } = this.#state
    return {
      table: modelClass.metadata.table,
      columns: modelClass.metadata.columns,
      where: and(where),
      orderBy,
      limit,
      offset,
      source,
      ...(projection === undefined ? {} : { selection: projection.items }),
      ...(distinct === true ? { distinct } : {}),
      ...(groupBy === undefined ? {} : { groupBy }),
      ...(having === undefined ? {} : { having: and(having) }),
      ...(this.#state.withDeleted === true ? { withDeleted: true } : {}),
      ...(this.#state.lock === undefined ? {} : { lock: this.#state.lock }),
    }
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
    if (this.#state.projection !== undefined) {
      return namedOperation("all", this.#state.modelClass, async () => {
        if (options.lazy === true) throw new QueryError("all({ lazy: true }) needs a query of instances, not a projection")
        return (await this.#projected(this.#node())) as Array<M>
      })
    }
    if (options.lazy === true) {
      return namedOperation("all", this.#state.modelClass, async () => {
        this.#needsProjection("all()")
        const { modelClass, include } = this.#state
        if (include.length > 0) {
          throw new QueryError("all({ lazy: true }) does not load relations: drop with(), or materialize() and load them")
        }
        const connection = resolveConnection(this.#state.using, this.#state)
        return (await fetchLazy(modelClass, connection, this.#node())) as unknown as LazyRows<M, ModelProps<F>>
      })
    }
    return namedOperation("all", this.#state.modelClass, async () => {
      this.#needsProjection("all()")
      const { modelClass, preloaded, include } = this.#state
      const connection = resolveConnection(this.#state.using, this.#state)
      const instances = preloaded !== undefined ? this.#live(preloaded) : await fetchInstances(modelClass, connection, this.#node())
      await loadPaths(modelClass, connection, instances, include)
      return instances as Array<M>
    })
  }

  /**
   * The matching rows one at a time, for `for await`, read in batches of `batchSize` (default
   * 1000) so memory stays flat whatever the row count: PostgreSQL reads through a server-side
   * cursor, SQLite steps the statement. Leaving the loop early (`break`, a throw) closes the
   * cursor and gives the connection back. Inside a transaction the stream joins it. Instances
   * (with `with()`: relations loaded per batch) or, after `select((p) => ...)`, plain rows.
   * Streamed instances are not added to the identity map (a row it already holds yields that
   * object), so a stream pins nothing (see the guide).
   * A bad `batchSize` throws a `QueryError` here, before any SQL.
   */
  stream(options?: StreamOptions): AsyncIterable<M> {
    const batches = this.#batches(options) as AsyncIterable<ReadonlyArray<M>>
    return { [Symbol.asyncIterator]: () => rowsOf(batches) }
  }

  /**
   * The matching rows as an Effect `Stream<M, FerroFailure>`, read as {@link stream} reads
   * them; it runs in the transaction of the fiber running it, and interruption (or
   * `Stream.take` having enough) closes the cursor.
   */
  toStream(options?: StreamOptions): FerroStream<M> {
    return batchedStream(() => this.#batches(options) as AsyncIterable<ReadonlyArray<M>>)
  }

  /** The batches of a stream: checked now, run when iterated. */
  #batches(options: StreamOptions | undefined): AsyncIterable<ReadonlyArray<unknown>> {
    const batchSize = checkBatchSize(options)
    this.#needsProjection("stream()")
    return { [Symbol.asyncIterator]: () => this.#streamBatches(batchSize) }
  }

  async *#streamBatches(batchSize: number): AsyncGenerator<ReadonlyArray<unknown>, void, undefined> {
    const { modelClass, projection, include, preloaded } = this.#state
    if (preloaded !== undefined) {
      for (let i = 0; i < preloaded.length; i += batchSize) yield preloaded.slice(i, i + batchSize)
      return
    }
    // Resolved when iteration starts (synchronously, in the caller's transaction or fiber).
    const connection = resolveConnection(this.#state.using, this.#state)
    const { driver } = connection
    if (driver.stream === undefined) {
      throw new QueryError(`stream() is not supported on connection '${connection.name}': its driver reads no cursors`)
    }
    const statement = compilerFor(driver.dialect).select(this.#node())
    if (projection !== undefined) {
      const bigints = projectionNeedsBigints(projection)
      for await (const rows of driver.stream(statement, bigints ? { bigints } : {}, batchSize)) {
        yield decodeProjection(projection, rows, driver.dialect, bigints)
      }
      return
    }
    const hydrate = hydrator(modelClass, connection)
    const target = streamTarget(connection)
    for await (const rows of driver.stream(statement, { bigints: hydrate.bigints }, batchSize)) {
      const instances = hydrate.all(rows, target)
      // Eager loading per batch: one statement per relation level for each batch.
      if (include.length > 0) await loadPaths(modelClass, connection, instances, include)
      yield instances
    }
  }

  /** The first matching row, or null. */
  first(): Operation<M | null> {
    if (this.#state.projection !== undefined) {
      return namedOperation("first", this.#state.modelClass, async () => {
        const node = this.#node()
        const [row] = await this.#projected({ ...node, limit: Math.min(node.limit ?? 1, 1) })
        return (row as M | undefined) ?? null
      })
    }
    return namedOperation("first", this.#state.modelClass, async () => {
      this.#needsProjection("first()")
      const { modelClass, preloaded, include } = this.#state
      const connection = resolveConnection(this.#state.using, this.#state)
      const node = this.#node()
      const instances =
        preloaded !== undefined
          ? this.#live(preloaded).slice(0, 1)
          : await fetchInstances(modelClass, connection, { ...node, limit: Math.min(node.limit ?? 1, 1) })
      await loadPaths(modelClass, connection, instances, include)
      return (instances[0] as M | undefined) ?? null
    })
  }

  /** Number of matching rows (respecting limit/offset). */
  count(): Operation<number> {
    return namedOperation("count", this.#state.modelClass, async () => {
      const connection = resolveConnection(this.#state.using, this.#state)
      const [row] = await connection.driver.rows(compilerFor(connection.driver.dialect).count(this.#node()))
      return Number(row![0])
    })
  }

  /** Whether any row matches; stops at the first. */
  exists(): Operation<boolean> {
    return namedOperation("exists", this.#state.modelClass, async () => {
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
    return namedOperation("update", this.#state.modelClass, async () => {
      this.#instancesOnly("update()")
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
          if (!isExpression(expression) || expression.type.type === "bool" && column.type !== "bool") {
            throw new QueryError(`update() callback for '${property}' must return an expression such as p.${property}.add(1)`)
          }
          set.push([column, { kind: "computed", expr: expression.expr }])
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
      // onUpdateNow columns the values leave out are set to now.
      set.push(...onUpdateNowValues(modelClass, set.map(([column]) => column)))
      const connection = resolveConnection(this.#state.using, this.#state)
      const node = this.#node()
      return runUpdate(modelClass, connection, {
        ...node,
        primaryKey: modelClass.metadata.columns.find((c) => c.primaryKey) ?? null,
        set,
      })
    })
  }

  /**
   * Deletes every matching row; returns the number deleted. Held instances are evicted. On a
   * soft-delete model the rows are marked instead (their soft-delete column set to now, held
   * instances reloaded, so they stay the same objects). No per-instance hooks run.
   */
  delete(): Operation<number> {
    return namedOperation("delete", this.#state.modelClass, async () => {
      this.#instancesOnly("delete()")
      const { modelClass } = this.#state
      const connection = resolveConnection(this.#state.using, this.#state)
      const primaryKey = modelClass.metadata.columns.find((c) => c.primaryKey) ?? null
      const soft = modelClass.metadata.softDelete
      if (soft === null || soft === undefined) return runDelete(connection, { ...this.#node(), primaryKey })
      const column = modelClass.metadata.columns.find((c) => c.property === soft)!
      const now = new Date()
      // Rows already deleted keep their time: only live rows are marked (unless withDeleted()).
      return runUpdate(modelClass, connection, {
        ...this.#node(),
        primaryKey,
        set: [[column, now], ...onUpdateNowValues(modelClass, [column], now)],
      })
    })
  }

  /** Deletes every matching row for real, also on a soft-delete model; returns the number deleted. */
  hardDelete(): Operation<number> {
    return namedOperation("hardDelete", this.#state.modelClass, async () => {
      this.#instancesOnly("hardDelete()")
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
    source: rootSource(modelClass),
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
