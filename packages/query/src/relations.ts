/**
 * Relation accessors and eager loading.
 *
 * - `await post.author`: the related instance (from the relation cache, the identity map, or one
 *   query on the instance's connection); a null key resolves to null without a query.
 * - `author.posts`: a query of the children, scoped to the parent; `await user.profile` for a
 *   one-to-one back reference.
 * - `post.tags`: a query of the linked rows (`add`, `remove`, `clear` edit the links).
 * - `Query.with("author", "tags", "author.profile")`: loads relations for a whole result set with
 *   one statement per relation level (IN batches), so the accessors above need no query.
 *
 * @module
 */
import {
  type ColumnMetadata,
  type ActiveConnection as Connection,
  Instances,
  type ModelMetadata,
  QueryError,
  type RelationMetadata,
  ValidationError,
  isModelInstance,
  modelRuntime,
  namedOperation,
  registeredModels,
} from "@ferro/core/internal"
import { cellDecoder } from "@ferro/hydrate"
import { compilerFor } from "./compiler/index.js"
import { resolveConnection } from "./context.js"
import type { Condition } from "./expression.js"
import { checkValue } from "./values.js"
import {
  type ModelClass,
  fetchInstances,
  hydrator,
  isSoftDeleted,
  modelName,
  noteModelClass,
  primaryKeyColumn,
  selectNode,
} from "./operations.js"

/** Links edited by `add/remove/clear` on a many-to-many query. */
export interface LinkContext {
  /** The instance whose links these are, and its relation property (its cached rows go stale). */
  readonly owner: object
  readonly property: string
  /** The property on the linked model that mirrors this relation, if any. */
  readonly mirror: string | null
  readonly joinTable: string
  /** Join column holding the owner's key, and the owner's key. */
  readonly ownerColumn: ColumnMetadata
  readonly ownerKey: unknown
  /** Join column holding the linked rows' keys. */
  readonly linkedColumn: ColumnMetadata
  /** Whether the owner column is the join table's first (source) column. */
  readonly ownerIsSource: boolean
}

/** How a relation property of a model resolves. */
export interface Relation {
  readonly meta: RelationMetadata
  readonly target: ModelClass
}

export const relationOf = (modelClass: ModelClass, property: string): Relation => {
  const meta = modelClass.metadata.relations.find((r) => r.property === property)
  const field = modelRuntime(modelClass).relationFields.get(property)
  if (meta === undefined || field === undefined) {
    throw new QueryError(
      `'${property}' is not a relation of ${modelName(modelClass)}; relations: ${modelClass.metadata.relations.map((r) => r.property).join(", ") || "none"}`,
    )
  }
  const target = field.target() as unknown as ModelClass
  noteModelClass(target)
  return { meta, target }
}

/** Metadata of a many-to-many join table by name. */
const joinTableMetadata = (name: string): ModelMetadata => {
  for (const entry of registeredModels()) {
    const join = entry.joinTables().find((t) => t.table === name)
    if (join !== undefined) return join
  }
  throw new QueryError(`Unknown join table "${name}"`)
}

/** The columns of a many-to-many relation seen from the model that owns `relation`. */
export const linkColumns = (modelClass: ModelClass, relation: Relation) => {
  const join = joinTableMetadata(relation.meta.joinTable!)
  const [source, target] = join.columns as [ColumnMetadata, ColumnMetadata]
  // Declared side (manyToMany): the owner is the source. Mirror side (backRef): the target is.
  const ownerIsSource = relation.meta.kind === "manyToMany"
  void modelClass
  return { join, ownerColumn: ownerIsSource ? source : target, linkedColumn: ownerIsSource ? target : source, ownerIsSource }
}

/** The foreign-key column on the child model that a back reference mirrors. */
export const childKeyColumn = (relation: Relation): ColumnMetadata => {
  const fk = relation.target.metadata.relations.find((r) => r.property === relation.meta.via && r.kind === "foreignKey")
  const column = relation.target.metadata.columns.find((c) => c.property === fk?.via)
  if (column === undefined) throw new QueryError(`Back reference '${relation.meta.property}' lost its foreign key`)
  return column
}

const ownerKey = (modelClass: ModelClass, instance: Record<string, unknown>): unknown =>
  instance[modelClass.metadata.primaryKey ?? ""] ?? null

const connectionFor = (instance: object): Connection => resolveConnection(Instances.connectionOf(instance) ?? undefined)

/** What a relation property returns for `instance` (the accessor installed on every model). */
export const relationValue = (
  instance: Record<string, unknown>,
  property: string,
  makeQuery: (target: ModelClass, using: string | undefined, extra: { where?: Condition; link?: LinkContext; preloaded?: ReadonlyArray<object> }) => unknown,
): unknown => {
  const modelClass = instance.constructor as ModelClass
  const relation = relationOf(modelClass, property)
  const { meta, target } = relation
  const using = Instances.connectionOf(instance) ?? undefined
  if (meta.kind === "foreignKey") {
    const key = instance[meta.via!]
    if (key === null || key === undefined) return namedOperation("related", target, async () => null)
    const cached = Instances.getRelated(instance, property, key)
    // A soft-deleted related instance (cached or held) reads as no row, like the query would.
    if (cached !== undefined) return namedOperation("related", target, async () => (cached.value !== null && isSoftDeleted(target, cached.value as object) ? null : cached.value))
    return namedOperation("related", target, async () => {
      const connection = connectionFor(instance)
      const held = connection.identityMap?.get(target.metadata.table, key)
      if (held !== undefined) return isSoftDeleted(target, held) ? null : held
      const pk = primaryKeyColumn(target)
      const [found] = await fetchInstances(target, connection, {
        ...selectNode(target, { kind: "compare", column: pk, op: "=", value: key }),
        limit: 1,
      })
      Instances.setRelated(instance, property, found ?? null, key)
      return found ?? null
    })
  }
  const key = ownerKey(modelClass, instance)
  const cached =
    key === null
      ? undefined
      : Instances.getRelated(instance, property, meta.one ? key : Instances.collectionKey(key))
  if (meta.kind === "backRef" && meta.joinTable === null) {
    const column = childKeyColumn(relation)
    const where: Condition =
      key === null ? { kind: "constant", value: false } : { kind: "compare", column, op: "=", value: key }
    if (meta.one) {
      if (cached !== undefined) return namedOperation("related", target, async () => cached.value)
      if (key === null) return namedOperation("related", target, async () => null)
      return namedOperation("related", target, async () => {
        const [found] = await fetchInstances(target, connectionFor(instance), { ...selectNode(target, where), limit: 1 })
        return found ?? null
      })
    }
    return makeQuery(target, using, { where, ...(cached === undefined ? {} : { preloaded: cached.value as ReadonlyArray<object> }) })
  }
  // Many-to-many, from either side.
  const { join, ownerColumn, linkedColumn, ownerIsSource } = linkColumns(modelClass, relation)
  const pk = primaryKeyColumn(target)
  const where: Condition =
    key === null
      ? { kind: "constant", value: false }
      : { kind: "linked", column: pk, table: join.table, select: linkedColumn, match: ownerColumn, value: key }
  // The linked model's mirror of this relation: the back reference named by relatedName, or
  // the many-to-many a back reference mirrors.
  const mirror = meta.kind === "manyToMany" ? meta.relatedName : meta.via
  return makeQuery(target, using, {
    where,
    link: { owner: instance, property, mirror, joinTable: join.table, ownerColumn, ownerKey: key, linkedColumn, ownerIsSource },
    ...(cached === undefined ? {} : { preloaded: cached.value as ReadonlyArray<object> }),
  })
}

/** Keys of the rows to link: saved instances of the target, or raw keys (checked like `get()`'s). */
const linkedKeys = (target: ModelClass, items: ReadonlyArray<unknown>): Array<unknown> => {
  const pk = primaryKeyColumn(target)
  return items.map((item) => {
    if (isModelInstance(item)) {
      const key = (item as Record<string, unknown>)[pk.property]
      if (key === undefined || key === null || Instances.persistedSnapshot(item) === null) {
        throw new ValidationError(modelName(target), [{ path: pk.property, message: "cannot link an unsaved instance; save it first" }])
      }
      return key
    }
    return checkValue(modelName(target), pk, item, false)
  })
}

/** The cached rows of both sides of the links are stale after a write. */
const forgetLinked = (link: LinkContext, items: ReadonlyArray<unknown> | null): void => {
  Instances.forgetRelated(link.owner, link.property)
  if (link.mirror === null) return
  for (const item of items ?? []) if (isModelInstance(item)) Instances.forgetRelated(item, link.mirror)
}

/** `add(...)`: inserts the missing links (existing links are kept, not duplicated). */
export const addLinks = async (using: string | undefined, target: ModelClass, link: LinkContext, items: ReadonlyArray<unknown>): Promise<void> => {
  const keys = linkedKeys(target, items)
  if (keys.length === 0) return
  const connection = resolveConnection(using)
  const compiler = compilerFor(connection.driver.dialect)
  const [first, second] = link.ownerIsSource ? [link.ownerColumn, link.linkedColumn] : [link.linkedColumn, link.ownerColumn]
  const rows = keys.map((k): readonly [unknown, unknown] => (link.ownerIsSource ? [link.ownerKey, k] : [k, link.ownerKey]))
  const perStatement = Math.floor(connection.driver.maxParameters / 2)
  const statements = []
  for (let i = 0; i < rows.length; i += perStatement) {
    statements.push(compiler.insertLinks(link.joinTable, [first, second], rows.slice(i, i + perStatement)))
  }
  await connection.driver.executeAtomically(statements)
  Instances.noteWrite()
  forgetLinked(link, items)
}

/** `remove(...)` / `clear()`: deletes links (all of the owner's when `items` is null). */
export const removeLinks = async (
  using: string | undefined,
  target: ModelClass,
  link: LinkContext,
  items: ReadonlyArray<unknown> | null,
): Promise<number> => {
  const connection = resolveConnection(using)
  const compiler = compilerFor(connection.driver.dialect)
  const owner: Condition = { kind: "compare", column: link.ownerColumn, op: "=", value: link.ownerKey }
  const where: Condition =
    items === null
      ? owner
      : { kind: "and", items: [owner, { kind: "in", column: link.linkedColumn, values: linkedKeys(target, items), negated: false }] }
  if (items !== null && items.length === 0) return 0
  const result = await connection.driver.execute(
    compiler.delete({ table: link.joinTable, primaryKey: null, where, orderBy: [], limit: null, offset: null, returning: [] }),
  )
  Instances.noteWrite()
  forgetLinked(link, items)
  return result.rowsAffected
}

const chunk = <T>(items: ReadonlyArray<T>, size: number): Array<ReadonlyArray<T>> => {
  const out: Array<ReadonlyArray<T>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

const unique = (values: ReadonlyArray<unknown>): Array<unknown> => [...new Set(values.filter((v) => v !== null && v !== undefined))]

/** Loads relation `property` for every instance; returns the related instances (for nested paths). */
const loadRelation = async (
  modelClass: ModelClass,
  connection: Connection,
  instances: ReadonlyArray<Record<string, unknown>>,
  property: string,
): Promise<Array<object>> => {
  const relation = relationOf(modelClass, property)
  const { meta, target } = relation
  const batch = Math.min(connection.driver.maxParameters, 10_000)
  if (meta.kind === "foreignKey") {
    const keys = unique(instances.map((i) => i[meta.via!]))
    const pk = primaryKeyColumn(target)
    const byKey = new Map<unknown, object>()
    for (const part of chunk(keys, batch)) {
      const found = await fetchInstances(target, connection, selectNode(target, { kind: "in", column: pk, values: part, negated: false }))
      for (const f of found) byKey.set((f as Record<string, unknown>)[pk.property], f)
    }
    for (const instance of instances) {
      const key = instance[meta.via!]
      if (key !== null && key !== undefined) Instances.setRelated(instance, property, byKey.get(key) ?? null, key)
    }
    return [...byKey.values()]
  }
  const keys = unique(instances.map((i) => ownerKey(modelClass, i)))
  const groups = new Map<unknown, Array<object>>()
  if (meta.kind === "backRef" && meta.joinTable === null) {
    const column = childKeyColumn(relation)
    for (const part of chunk(keys, batch)) {
      const found = await fetchInstances(target, connection, selectNode(target, { kind: "in", column, values: part, negated: false }))
      for (const f of found) {
        const owner = (f as Record<string, unknown>)[column.property]
        let group = groups.get(owner)
        if (group === undefined) groups.set(owner, (group = []))
        group.push(f)
      }
    }
  } else {
    const { join, ownerColumn, linkedColumn } = linkColumns(modelClass, relation)
    const hydrate = hydrator(target, connection)
    const compiler = compilerFor(connection.driver.dialect)
    // A 64-bit owner key must be read exactly, even when the target has no bigint column.
    const bigints = hydrate.bigints || ownerColumn.type === "bigint"
    const decodeOwner = cellDecoder(ownerColumn, connection.driver.dialect, bigints)
    const hydrateRows = bigints === hydrate.bigints ? hydrate : hydrator(target, connection, bigints)
    for (const part of chunk(keys, batch)) {
      const rows = await connection.driver.rows(
        compiler.linkedSelect({
          table: target.metadata.table,
          columns: target.metadata.columns,
          primaryKey: primaryKeyColumn(target),
          joinTable: join.table,
          sourceColumn: ownerColumn,
          targetColumn: linkedColumn,
          sources: part,
          metadata: target.metadata,
        }),
        { bigints },
      )
      const found = hydrateRows.all(
        rows.map((row) => row.slice(1)),
        { connection: connection.name, identityMap: connection.identityMap },
      )
      rows.forEach((row, i) => {
        const owner = decodeOwner(row[0])
        let group = groups.get(owner)
        if (group === undefined) groups.set(owner, (group = []))
        group.push(found[i]!)
      })
    }
  }
  const related = new Set<object>()
  for (const instance of instances) {
    const key = ownerKey(modelClass, instance)
    if (key === null) continue
    const group = groups.get(key) ?? []
    for (const g of group) related.add(g)
    Instances.setRelated(instance, property, meta.one ? (group[0] ?? null) : group, meta.one ? key : Instances.collectionKey(key))
  }
  return [...related]
}

/** Loads every relation path (`"author"`, `"author.profile"`, `"tags"`) for `instances`. */
export const loadPaths = async (
  modelClass: ModelClass,
  connection: Connection,
  instances: ReadonlyArray<object>,
  paths: ReadonlyArray<string>,
): Promise<void> => {
  if (instances.length === 0 || paths.length === 0) return
  const byHead = new Map<string, Array<string>>()
  for (const path of paths) {
    const [head, ...rest] = path.split(".")
    if (!head) throw new QueryError(`with() got an empty relation path`)
    let tails = byHead.get(head)
    if (tails === undefined) byHead.set(head, (tails = []))
    if (rest.length > 0) tails.push(rest.join("."))
  }
  for (const [head, tails] of byHead) {
    const related = await loadRelation(modelClass, connection, instances as ReadonlyArray<Record<string, unknown>>, head)
    if (tails.length > 0) await loadPaths(relationOf(modelClass, head).target, connection, related, tails)
  }
}

/** Checks relation paths against the model before any SQL runs. */
export const checkPaths = (modelClass: ModelClass, paths: ReadonlyArray<string>): void => {
  for (const path of paths) {
    if (typeof path !== "string") throw new QueryError("with() expects relation names such as \"author\" or \"author.profile\"")
    let cls = modelClass
    for (const segment of path.split(".")) cls = relationOf(cls, segment).target
  }
}
