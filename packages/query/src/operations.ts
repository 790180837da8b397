/**
 * Executes compiled statements on a connection and keeps instances and the identity map
 * consistent with what was written.
 *
 * @module
 */
import {
  type ColumnMetadata,
  type ActiveConnection as Connection,
  type Dialect,
  type IdentityMap,
  Instances,
  ModelDoesNotExist,
  type ModelMetadata,
  QueryError,
  type TableIdentityMap,
  type Statement,
  ValidationError,
  type ValidationIssue,
  getModel,
  modelRuntime,
  registerModel,
} from "@ferro/core/internal"
import {
  type HydratableClass,
  type HydrationTarget,
  type Hydrator,
  type LazyPlan,
  LazyRows,
  arrayCells,
  cellDecoder,
  columnarCells,
  columnarKind,
  hydratorFor,
} from "@ferro/hydrate"
import { compilerFor } from "./compiler/index.js"
import type { Condition, DeleteNode, OnConflictNode, SelectNode, UpdateNode } from "./expression.js"
import { checkValue, encodeValue } from "./values.js"
import { normalizeValue } from "@ferro/core/internal"

/** A concrete model class as operations see it. */
export type ModelClass = HydratableClass<object> & { readonly metadata: ModelMetadata; readonly name: string }

const promoted = new WeakSet<object>()

/** Records the user's subclass as the class Ferro constructs for its table. */
export const noteModelClass = (modelClass: ModelClass): void => {
  if (promoted.has(modelClass)) return
  promoted.add(modelClass)
  const entry = getModel(modelClass.metadata.table)
  if (entry !== undefined && entry.metadata === modelClass.metadata && entry.modelClass !== modelClass) {
    registerModel({
      table: entry.table,
      get metadata() {
        return entry.metadata
      },
      joinTables: entry.joinTables,
      modelClass,
    })
  }
}

/** Display name of a model class: the user's subclass name, else the table. */
export const modelName = (modelClass: ModelClass): string =>
  modelClass.name && !modelClass.name.startsWith("Model(") ? modelClass.name : modelClass.metadata.table

export const primaryKeyColumn = (modelClass: ModelClass): ColumnMetadata => {
  const { metadata } = modelClass
  const pk = metadata.columns.find((c) => c.primaryKey)
  if (pk === undefined) throw new QueryError(`${modelName(modelClass)} has no primary key field`)
  return pk
}

export const hydrator = (modelClass: ModelClass, connection: Connection, bigints?: boolean): Hydrator<object> =>
  hydratorFor(
    modelClass,
    {
      table: modelClass.metadata.table,
      columns: modelClass.metadata.columns,
      primaryKey: modelClass.metadata.primaryKey,
      ...(bigints === true ? { bigints } : {}),
    },
    connection.driver.dialect,
  )

/**
 * A SELECT of the model's columns for internal lookups (`get`, relation loads, eager loads):
 * a soft-delete model's deleted rows are skipped unless `withDeleted` (refresh, reloads).
 */
export const selectNode = (modelClass: ModelClass, where: Condition | null, withDeleted = false): SelectNode => ({
  table: modelClass.metadata.table,
  columns: modelClass.metadata.columns,
  where,
  orderBy: [],
  limit: null,
  offset: null,
  metadata: modelClass.metadata,
  ...(withDeleted ? { withDeleted } : {}),
})

/** The instance's soft-delete property, when its model soft-deletes. */
export const softDeleteProperty = (modelClass: ModelClass): string | null => modelClass.metadata.softDelete ?? null

/** Whether `instance` (of a soft-delete model) is marked deleted. */
export const isSoftDeleted = (modelClass: ModelClass, instance: object): boolean => {
  const property = modelClass.metadata.softDelete
  return property !== null && property !== undefined && (instance as Record<string, unknown>)[property] != null
}

/**
 * The `onUpdateNow` columns of a model with the time to write, for a write path that sets them
 * (`save()`, query `update()`, upsert): columns already in `given` keep the given value.
 */
export const onUpdateNowValues = (
  modelClass: ModelClass,
  given: ReadonlyArray<ColumnMetadata> = [],
  now: Date = new Date(),
): Array<readonly [ColumnMetadata, Date]> => {
  const out: Array<readonly [ColumnMetadata, Date]> = []
  for (const c of modelClass.metadata.columns) if (c.onUpdateNow && !given.includes(c)) out.push([c, now])
  return out
}

export const fetchInstances = async (
  modelClass: ModelClass,
  connection: Connection,
  node: SelectNode,
): Promise<Array<object>> => {
  return fetchStatement(modelClass, connection, compilerFor(connection.driver.dialect).select(node))
}

/**
 * Runs a compiled SELECT of the model's columns, hydrates the rows, then hands them to
 * `finish` in the same reaction (a point lookup picks its one instance there: a `then` of its
 * own was one more microtask per lookup).
 */
const fetchStatement = <R = Array<object>>(
  modelClass: ModelClass,
  connection: Connection,
  statement: Statement,
  finish: (instances: Array<object>) => R = (instances) => instances as R,
): Promise<R> => {
  const hydrate = hydrator(modelClass, connection)
  const target = { connection: connection.name, identityMap: connection.identityMap }
  const { driver } = connection
  if (driver.forEachRow !== undefined) {
    // The native engine hands each row's cells straight to the hydrator: no row arrays.
    const instances: Array<object> = []
    return driver.forEachRow(statement, hydrate.readOptions, hydrate.collector(instances, target)).then(() => finish(instances))
  }
  return driver.rows(statement, hydrate.readOptions).then((rows) => finish(hydrate.all(rows, target)))
}

/**
 * Where streamed instances go: the scope's map is consulted (a row it already holds yields that
 * object) but never filled, so a stream pins nothing, whatever the scope. Filling the
 * connection's weak map cost a `WeakRef` per row, and V8 keeps every `WeakRef` target alive
 * until the current job ends (SQLite's batches all resolve in microtasks) and treats the
 * targets as strong in young-generation collections: 1M streamed instances took 1628 ms against
 * 639 ms for the lookup-only session path, with a 305 MB heap peak against 35 MB
 * (tooling/bench, SQLite, stream workload).
 */
export const streamTarget = (connection: Connection): HydrationTarget => {
  const map = connection.identityMap
  if (map === null) return { connection: connection.name, identityMap: null }
  const lookupOnly = {
    table: (table: string): TableIdentityMap => {
      const entries = map.table(table)
      return { lookup: (pk) => entries.lookup(pk), add: () => {} }
    },
  }
  return { connection: connection.name, identityMap: lookupOnly as unknown as IdentityMap }
}

const lazyPlans = new WeakMap<Hydrator<object>, LazyPlan>()

/**
 * Reads the rows of `node` as a lazy result: typed-array columns on the native engine, the
 * driver's array rows elsewhere; decoded on access, hydrated by `materialize()`.
 */
export const fetchLazy = async (modelClass: ModelClass, connection: Connection, node: SelectNode): Promise<LazyRows<object, object>> => {
  const hydrate = hydrator(modelClass, connection)
  let plan = lazyPlans.get(hydrate)
  if (plan === undefined) {
    plan = { columns: node.columns, dialect: connection.driver.dialect, bigints: hydrate.bigints }
    lazyPlans.set(hydrate, plan)
  }
  const statement = compilerFor(connection.driver.dialect).select(node)
  const { driver } = connection
  const cells =
    driver.columnar !== undefined
      ? columnarCells(await driver.columnar(statement, node.columns.map((c) => columnarKind(c, hydrate.bigints))))
      : arrayCells(await driver.rows(statement, { bigints: hydrate.bigints }))
  const target = { connection: connection.name, identityMap: connection.identityMap }
  return new LazyRows(cells, plan, (rows) => hydrate.all(rows, target))
}

/**
 * The instance with primary key `pk`, or null; with `required`, a missing row rejects with
 * `ModelDoesNotExist` instead. One reaction from the driver's rows to the instance: the
 * microtask hops of a point lookup are part of its cost (SPEC §4 compares it with the driver's
 * synchronous `get()` on SQLite).
 */
export const fetchByPrimaryKey = (
  modelClass: ModelClass,
  connection: Connection,
  pk: unknown,
  required = false,
): Promise<object | null> => {
  const plan = pkPlan(modelClass)
  const value = checkValue(plan.name, plan.column, pk, false)
  const { dialect } = connection.driver
  const sql = cachedPkLookup(plan, dialect)
  const statement: Statement =
    sql !== undefined ? { sql, params: [encodeValue(plan.column, value, dialect)] } : compilePkLookup(modelClass, plan, value, dialect)
  const one = (instances: ReadonlyArray<object>): object | null => {
    const instance = instances[0]
    if (instance !== undefined) return instance
    if (required) throw new ModelDoesNotExist(plan.name, pk)
    return null
  }
  return fetchStatement(modelClass, connection, statement, one)
}

/**
 * Primary-key lookups are the hottest query shape: per model class, its name, its key column
 * and the lookup SQL (compiled once per dialect: it does not depend on the key's value) are
 * kept, so later calls only check and encode the key. Looking the name and the key column up on
 * every call was a fifth of Ferro's own time per lookup (a profile with the driver stubbed out).
 */
interface PkPlan {
  readonly name: string
  readonly column: ColumnMetadata
  /** The lookup SQL per dialect object in use (a short list, usually one). */
  readonly statements: Array<{ readonly dialect: Dialect; readonly sql: string }>
}

const pkPlans = new WeakMap<ModelClass, PkPlan>()

const pkPlan = (modelClass: ModelClass): PkPlan => {
  let plan = pkPlans.get(modelClass)
  if (plan === undefined) {
    plan = { name: modelName(modelClass), column: primaryKeyColumn(modelClass), statements: [] }
    pkPlans.set(modelClass, plan)
  }
  return plan
}

/** The cached lookup SQL for `dialect`. */
const cachedPkLookup = (plan: PkPlan, dialect: Dialect): string | undefined => {
  for (const entry of plan.statements) if (entry.dialect === dialect) return entry.sql
  return undefined
}

const compilePkLookup = (modelClass: ModelClass, plan: PkPlan, value: unknown, dialect: Dialect): Statement => {
  const statement = compilerFor(dialect).select({
    ...selectNode(modelClass, { kind: "compare", column: plan.column, op: "=", value }),
    limit: 1,
  })
  const encoded = encodeValue(plan.column, value, dialect)
  // Cache only the layout this relies on: the key is the one parameter.
  if (statement.params.length === 1 && Object.is(statement.params[0], encoded) && cachedPkLookup(plan, dialect) === undefined) {
    plan.statements.push({ dialect, sql: statement.sql })
  }
  return statement
}

/** Inside a transaction: remembers the instance's persisted state so a rollback can restore it. */
export const rememberBefore = (modelClass: ModelClass, connection: Connection, instance: object): void => {
  Instances.beforeChange(instance, modelClass.metadata.table, () => {
    const snapshot = Instances.persistedSnapshot(instance)
    return snapshot === null ? {} : hydrator(modelClass, connection).props(snapshot)
  })
}

/** Decodes the first cell of each row as `column` (keys returned by RETURNING). */
const decodeKeys = (
  rows: ReadonlyArray<ReadonlyArray<unknown>>,
  column: ColumnMetadata,
  connection: Connection,
  bigints: boolean,
): Array<unknown> => {
  const decode = cellDecoder(column, connection.driver.dialect, bigints)
  return rows.map((row) => decode(row[0]))
}

/**
 * Where the dialect has no RETURNING (MySQL): the stored row of `modelClass` whose columns
 * `where` picks, read back with one more statement, cells in column order as RETURNING gives
 * them; undefined when no row matches.
 */
export const readStoredRow = async (
  modelClass: ModelClass,
  connection: Connection,
  where: Condition,
  bigints: boolean,
): Promise<ReadonlyArray<unknown> | undefined> => {
  const statement = compilerFor(connection.driver.dialect).select({ ...selectNode(modelClass, where, true), limit: 1 })
  return (await connection.driver.rows(statement, { bigints }))[0]
}

/** `column = value` for each column: the condition picking one row by its key or unique fields. */
export const keyCondition = (columns: ReadonlyArray<ColumnMetadata>, values: ReadonlyArray<unknown>): Condition => {
  const items: Array<Condition> = columns.map((column, i) => ({ kind: "compare", column, op: "=", value: values[i] }))
  return items.length === 1 ? items[0]! : { kind: "and", items }
}

/**
 * Runs `insert` (a single-row INSERT without RETURNING) and reads the stored row back by its
 * key: the instance's own, else the key the database assigned (the insert id).
 */
export const insertAndReadBack = async (
  modelClass: ModelClass,
  connection: Connection,
  insert: Statement,
  instance: Record<string, unknown>,
  bigints: boolean,
): Promise<ReadonlyArray<unknown> | undefined> => {
  // Checked before the INSERT: nothing is written that could not be read back.
  if (modelClass.metadata.primaryKey === null) {
    throw new QueryError(
      `Cannot read back the row of ${modelName(modelClass)}: it has no primary key, and ${connection.driver.dialect.name} has no RETURNING`,
    )
  }
  const result = await connection.driver.execute(insert)
  const pkColumn = primaryKeyColumn(modelClass)
  const given = instance[pkColumn.property]
  const key =
    given != null ? given : result.lastInsertId === undefined ? undefined : cellDecoder(pkColumn, connection.driver.dialect, bigints)(result.lastInsertId)
  if (key === undefined) return undefined
  return readStoredRow(modelClass, connection, keyCondition([pkColumn], [key]), bigints)
}

/** Batch UPDATE; held instances of the updated rows are reloaded so they stay honest. */
export const runUpdate = async (
  modelClass: ModelClass,
  connection: Connection,
  node: Omit<UpdateNode, "returning">,
): Promise<number> => {
  const compiler = compilerFor(connection.driver.dialect)
  const map = connection.identityMap
  Instances.noteWrite()
  const tracked = map !== null && node.primaryKey !== null && map.live(node.table).length > 0
  if (!tracked) return (await connection.driver.execute(compiler.update({ ...node, returning: [] }))).rowsAffected
  const pk = node.primaryKey!
  const bigints = pk.type === "bigint"
  const returning = connection.driver.dialect.returning
  // RETURNING gives only new keys; when the key itself changes (or there is no RETURNING),
  // read the old ones first.
  const setsKey = node.set.some(([column]) => column === pk)
  const oldKeys =
    setsKey || !returning
      ? decodeKeys(await connection.driver.rows(compiler.select({ ...node, columns: [pk] }), { bigints }), pk, connection, bigints)
      : []
  if (!returning) {
    // Without RETURNING the updated rows are the ones just selected (the key read and the
    // UPDATE are two statements: inside a transaction they see one state).
    const { rowsAffected } = await connection.driver.execute(compiler.update({ ...node, returning: [] }))
    if (!setsKey) {
      await reloadHeld(modelClass, connection, oldKeys)
      return rowsAffected
    }
    // One row given a plain new key: its held instance follows it. Otherwise which old key
    // became which new one is unknown, and those instances leave the map.
    const value = node.set.find(([column]) => column === pk)![1]
    const plain = typeof value !== "object" || value === null || (value as { kind?: unknown }).kind !== "computed"
    if (plain && oldKeys.length === 1 && rowsAffected === 1) {
      const instance = map!.held(node.table, oldKeys[0])
      if (instance !== undefined) {
        map!.evict(node.table, oldKeys[0])
        map!.set(node.table, value, instance)
      }
      await reloadHeld(modelClass, connection, [value])
      return rowsAffected
    }
    for (const old of oldKeys) map!.evict(node.table, old)
    return rowsAffected
  }
  const keys = decodeKeys(
    await connection.driver.rows(compiler.update({ ...node, returning: [pk] }), { bigints }),
    pk,
    connection,
    bigints,
  )
  if (setsKey) {
    const newKeys = new Set(keys)
    if (oldKeys.length === 1 && keys.length === 1) {
      const instance = map!.held(node.table, oldKeys[0])
      if (instance !== undefined) {
        map!.evict(node.table, oldKeys[0])
        map!.set(node.table, keys[0], instance)
      }
    } else {
      // Several rows changed keys: which old key became which new one is unknown, so the
      // held instances are dropped from the map (a later save() of one fails loudly).
      for (const old of oldKeys) if (!newKeys.has(old)) map!.evict(node.table, old)
    }
  }
  await reloadHeld(modelClass, connection, keys)
  return keys.length
}

/** Batch DELETE; held instances of deleted rows are evicted and marked as not persisted. */
export const runDelete = async (connection: Connection, node: Omit<DeleteNode, "returning">): Promise<number> => {
  const compiler = compilerFor(connection.driver.dialect)
  const map = connection.identityMap
  Instances.noteWrite()
  const tracked = map !== null && node.primaryKey !== null && map.live(node.table).length > 0
  if (!tracked) return (await connection.driver.execute(compiler.delete({ ...node, returning: [] }))).rowsAffected
  const pk = node.primaryKey!
  const bigints = pk.type === "bigint"
  let keys: Array<unknown>
  let count: number
  if (connection.driver.dialect.returning) {
    keys = decodeKeys(await connection.driver.rows(compiler.delete({ ...node, returning: [pk] }), { bigints }), pk, connection, bigints)
    count = keys.length
  } else {
    // Without RETURNING: the keys of the rows about to be deleted, then the DELETE.
    keys = decodeKeys(await connection.driver.rows(compiler.select({ ...node, columns: [pk] }), { bigints }), pk, connection, bigints)
    count = (await connection.driver.execute(compiler.delete({ ...node, returning: [] }))).rowsAffected
  }
  for (const key of keys) {
    const instance = map!.held(node.table, key)
    if (instance !== undefined) {
      Instances.beforeChange(instance, node.table)
      Instances.markTransient(instance)
    }
    map!.evict(node.table, key)
  }
  return count
}

const IN_BATCH = 500

/** Re-reads the rows of held instances whose keys are in `keys` and writes them into the instances. */
export const reloadHeld = async (modelClass: ModelClass, connection: Connection, keys: ReadonlyArray<unknown>): Promise<void> => {
  const map = connection.identityMap!
  const { table } = modelClass.metadata
  const held = keys.filter((pk) => map.held(table, pk) !== undefined)
  const pkColumn = primaryKeyColumn(modelClass)
  const hydrate = hydrator(modelClass, connection)
  const compiler = compilerFor(connection.driver.dialect)
  for (let i = 0; i < held.length; i += IN_BATCH) {
    const batch = held.slice(i, i + IN_BATCH)
    const statement = compiler.select(
      selectNode(modelClass, { kind: "in", column: pkColumn, values: batch, negated: false }, true),
    )
    for (const row of await connection.driver.rows(statement, { bigints: hydrate.bigints })) {
      const props = hydrate.props(row)
      const pk = props[pkColumn.property]
      const instance = map.held(table, pk)
      if (instance !== undefined) {
        rememberBefore(modelClass, connection, instance)
        // Take the new row, but keep unsaved edits: a property that differs from the old
        // snapshot was changed locally and is left for the next save().
        const before = Instances.persistedSnapshot(instance)
        const old = before === null ? null : hydrate.props(before)
        const target = instance as Record<string, unknown>
        for (const [property, value] of Object.entries(props)) {
          if (old === null || sameValue(target[property], old[property])) target[property] = value
        }
        Instances.markPersisted(instance, connection.name, row, pk)
      }
    }
  }
}

/** Whether a property value equals a decoded database value. */
export const sameValue = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b)) return true
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime()
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    if (Array.isArray(a) !== Array.isArray(b)) return false
    const ka = Object.keys(a)
    const kb = Object.keys(b)
    return (
      ka.length === kb.length &&
      ka.every((k) => Object.hasOwn(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    )
  }
  return false
}

/**
 * Validates the current values of `columns` on `instance`; throws one error naming every bad
 * field. `validated`: values the model's constructor validated for this instance
 * (`takeValidated`); a column still holding the same primitive is not checked again (an
 * object could have been changed in place since, so it is).
 */
export const validateColumns = (
  modelClass: ModelClass,
  instance: Record<string, unknown>,
  columns: ReadonlyArray<ColumnMetadata>,
  validated?: Record<string, unknown>,
): void => {
  const runtime = modelRuntime(modelClass)
  const issues: Array<ValidationIssue> = []
  for (const column of columns) {
    const value = instance[column.property]
    if (column.autoincrement && value === undefined) continue
    if (
      validated !== undefined &&
      (typeof value !== "object" || value === null) &&
      Object.is(validated[column.property], value) &&
      Object.hasOwn(validated, column.property)
    ) {
      continue
    }
    issues.push(...runtime.validateValue(column.property, value))
  }
  if (issues.length > 0) throw new ValidationError(modelName(modelClass), issues)
}

/**
 * Saves `instance`: INSERT when it has no row (or `insert` is forced, as `create()` does),
 * else an UPDATE of the columns that differ from the persisted row. Both return the row as
 * stored (RETURNING), which becomes the change-tracking snapshot; after an UPDATE the
 * instance also takes over columns changed in the database since it was loaded.
 */
export const saveInstance = async (
  modelClass: ModelClass,
  connection: Connection,
  instance: Record<string, unknown>,
  options: {
    readonly insert?: boolean
    /** Update only these properties (and the onUpdateNow columns); other unsaved edits stay unsaved. */
    readonly only?: ReadonlyArray<string>
  } = {},
): Promise<void> => {
  const { metadata } = modelClass
  const { dialect } = connection.driver
  const compiler = compilerFor(dialect)
  const { bigints } = hydrator(modelClass, connection)
  rememberBefore(modelClass, connection, instance)
  Instances.noteWrite()
  // Values assigned after construction get the canonical spelling construction gives them.
  for (const c of metadata.columns) {
    if (c.type === "uuid" || c.type === "time") instance[c.property] = normalizeValue(c.type, instance[c.property])
  }
  const snapshot = options.insert ? null : Instances.persistedSnapshot(instance)
  if (snapshot === null) {
    // onUpdateNow columns the input left out are set on insert too.
    for (const c of metadata.columns) if (c.onUpdateNow && instance[c.property] === undefined) instance[c.property] = new Date()
    validateColumns(modelClass, instance, metadata.columns)
    const columns = metadata.columns.filter((c) => !(c.autoincrement && instance[c.property] == null))
    const insert = compiler.insert({
      table: metadata.table,
      columns,
      rows: [columns.map((c) => instance[c.property])],
      returning: dialect.returning ? metadata.columns : [],
    })
    const row = dialect.returning
      ? (await connection.driver.rows(insert, { bigints }))[0]
      : await insertAndReadBack(modelClass, connection, insert, instance, bigints)
    if (row === undefined) throw new QueryError(`The row of ${modelName(modelClass)} just inserted could not be read back`)
    for (const [i, c] of metadata.columns.entries()) {
      const stored = cellDecoder(c, dialect, bigints)(row![i])
      if (c.autoincrement && instance[c.property] != null) {
        const sync = compiler.syncKeyGenerator(metadata.table, c)
        if (sync !== null) await connection.driver.rows(sync)
      }
      // The instance shows what was stored (database-assigned keys, PostgreSQL's numeric scale...).
      if (!sameValue(instance[c.property], stored)) instance[c.property] = stored
    }
    const pk = metadata.primaryKey === null ? undefined : instance[metadata.primaryKey]
    Instances.markPersisted(instance, connection.name, row!, pk)
    if (metadata.primaryKey !== null) connection.identityMap?.set(metadata.table, pk, instance)
    return
  }
  const only = options.only
  const changed = metadata.columns.filter(
    (c, i) =>
      (only === undefined || only.includes(c.property)) && !sameValue(instance[c.property], cellDecoder(c, dialect, bigints)(snapshot[i])),
  )
  if (changed.length === 0) return
  // onUpdateNow columns are set on every write of the row (unless this save sets them itself).
  for (const [c, now] of onUpdateNowValues(modelClass, changed)) {
    instance[c.property] = now
    changed.push(c)
  }
  validateColumns(modelClass, instance, changed)
  const pkColumn = primaryKeyColumn(modelClass)
  const oldPk = Instances.persistedKey(instance)
  const update = compiler.update({
    table: metadata.table,
    primaryKey: pkColumn,
    set: changed.map((c) => [c, instance[c.property]] as const),
    where: { kind: "compare", column: pkColumn, op: "=", value: oldPk },
    orderBy: [],
    limit: null,
    offset: null,
    returning: dialect.returning ? metadata.columns : [],
  })
  // Without RETURNING the row is read back by its (possibly new) key: one more statement.
  const row = dialect.returning
    ? (await connection.driver.rows(update, { bigints }))[0]
    : (await connection.driver.execute(update)).rowsAffected === 0
      ? undefined
      : await readStoredRow(modelClass, connection, keyCondition([pkColumn], [instance[pkColumn.property]]), bigints)
  if (row === undefined) {
    Instances.markTransient(instance)
    connection.identityMap?.evict(metadata.table, oldPk)
    throw new ModelDoesNotExist(modelName(modelClass), oldPk, {
      detail: `Cannot save ${modelName(modelClass)}: its row no longer exists`,
    })
  }
  // The row as stored now: columns someone else changed since the load are taken over, so the
  // instance matches its snapshot and a later save() cannot write stale values back. A partial
  // write (`only`) keeps the unsaved edits of the other columns for the next save().
  metadata.columns.forEach((c, i) => {
    const decode = cellDecoder(c, dialect, bigints)
    const stored = decode(row[i])
    if (only !== undefined && !changed.includes(c) && !sameValue(instance[c.property], decode(snapshot[i]))) return
    if (!sameValue(instance[c.property], stored)) instance[c.property] = stored
  })
  const newPk = instance[pkColumn.property]
  Instances.markPersisted(instance, connection.name, row, newPk)
  if (newPk !== oldPk && connection.identityMap !== null) {
    connection.identityMap.evict(metadata.table, oldPk)
    connection.identityMap.set(metadata.table, newPk, instance)
  } else if (connection.identityMap !== null && connection.identityMap.get(metadata.table, newPk) === undefined) {
    // An instance brought into a transaction (or session) and saved there becomes its object
    // for the key, unless that scope already holds one.
    connection.identityMap.set(metadata.table, newPk, instance)
  }
}

export const deleteInstance = async (modelClass: ModelClass, connection: Connection, instance: Record<string, unknown>): Promise<void> => {
  const pkColumn = primaryKeyColumn(modelClass)
  if (Instances.persistedSnapshot(instance) === null) {
    throw new ModelDoesNotExist(modelName(modelClass), instance[pkColumn.property], {
      detail: `Cannot delete ${modelName(modelClass)}: it was never saved or is already deleted`,
    })
  }
  const pk = Instances.persistedKey(instance)
  rememberBefore(modelClass, connection, instance)
  Instances.noteWrite()
  const result = await connection.driver.execute(
    compilerFor(connection.driver.dialect).delete({
      table: modelClass.metadata.table,
      primaryKey: pkColumn,
      where: { kind: "compare", column: pkColumn, op: "=", value: pk },
      orderBy: [],
      limit: null,
      offset: null,
      returning: [],
    }),
  )
  Instances.markTransient(instance)
  connection.identityMap?.evict(modelClass.metadata.table, pk)
  if (result.rowsAffected === 0) {
    throw new ModelDoesNotExist(modelName(modelClass), pk, { detail: `Cannot delete ${modelName(modelClass)}: its row no longer exists` })
  }
}

export const refreshInstance = async (modelClass: ModelClass, connection: Connection, instance: Record<string, unknown>): Promise<void> => {
  const pkColumn = primaryKeyColumn(modelClass)
  const pk = Instances.persistedKey(instance) ?? instance[pkColumn.property]
  if (pk === undefined || pk === null) {
    throw new ModelDoesNotExist(modelName(modelClass), pk, { detail: `Cannot refresh ${modelName(modelClass)}: it has no primary key value` })
  }
  const hydrate = hydrator(modelClass, connection)
  const value = checkValue(modelName(modelClass), pkColumn, pk, false)
  const statement = compilerFor(connection.driver.dialect).select({
    ...selectNode(modelClass, { kind: "compare", column: pkColumn, op: "=", value }, true),
    limit: 1,
  })
  const [row] = await connection.driver.rows(statement, { bigints: hydrate.bigints })
  if (row === undefined) {
    Instances.markTransient(instance)
    connection.identityMap?.evict(modelClass.metadata.table, pk)
    throw new ModelDoesNotExist(modelName(modelClass), pk, { detail: `Cannot refresh ${modelName(modelClass)}: its row no longer exists` })
  }
  const props = hydrate.props(row)
  rememberBefore(modelClass, connection, instance)
  Object.assign(instance, props)
  Instances.markPersisted(instance, connection.name, row, props[pkColumn.property])
  connection.identityMap?.set(modelClass.metadata.table, props[pkColumn.property], instance)
}

/** An upper bound of the bytes a value takes bound to a statement (UTF-16 units × 3 bound UTF-8). */
const boundBytes = (value: unknown): number => {
  if (typeof value === "string") return value.length * 3 + 9
  if (value instanceof Uint8Array) return value.byteLength + 9
  if (value !== null && typeof value === "object" && !(value instanceof Date)) return JSON.stringify(value).length * 3 + 9
  return 9
}

/**
 * `items` in consecutive batches of at most `rows` each and, where the driver bounds a
 * statement's size (MySQL's `max_allowed_packet`), at most `bytes` of bound values each (an
 * item bigger than that alone goes in a batch of its own, for the database to refuse).
 */
const batches = function* <T extends Record<string, unknown>>(
  items: ReadonlyArray<T>,
  rows: number,
  bytes: number | undefined,
  columns: ReadonlyArray<ColumnMetadata>,
): Generator<ReadonlyArray<T>> {
  if (bytes === undefined) {
    for (let i = 0; i < items.length; i += rows) yield items.slice(i, i + rows)
    return
  }
  let start = 0
  let size = 0
  for (let i = 0; i < items.length; i++) {
    let itemSize = 0
    for (const c of columns) itemSize += boundBytes(items[i]![c.property])
    if (i > start && (i - start >= rows || size + itemSize > bytes)) {
      yield items.slice(start, i)
      start = i
      size = 0
    }
    size += itemSize
  }
  if (start < items.length) yield items.slice(start)
}

/**
 * Multi-row INSERTs, batched under the driver's parameter limit, all or nothing. With
 * `conflict`, each statement carries the dialect's conflict clause (`bulkCreate(items, {
 * onConflict })`), and the count is what the database reports per statement: rows inserted,
 * plus rows updated when `conflict.update` is not empty.
 */
export const insertMany = async (
  modelClass: ModelClass,
  connection: Connection,
  instances: ReadonlyArray<Record<string, unknown>>,
  conflict?: OnConflictNode,
): Promise<number> => {
  const { metadata } = modelClass
  const compiler = compilerFor(connection.driver.dialect)
  const withAuto = metadata.columns.filter((c) => c.autoincrement)
  const canonical = metadata.columns.filter((c) => c.type === "uuid" || c.type === "time")
  for (const instance of instances) for (const c of canonical) instance[c.property] = normalizeValue(c.type, instance[c.property])
  const stamped = metadata.columns.filter((c) => c.onUpdateNow)
  if (stamped.length > 0) {
    const now = new Date()
    for (const instance of instances) for (const c of stamped) if (instance[c.property] === undefined) instance[c.property] = now
  }
  // Rows that leave the database-assigned key out go in a separate group from rows that set it.
  const groups = new Map<boolean, Array<Record<string, unknown>>>()
  for (const instance of instances) {
    const omits = withAuto.some((c) => instance[c.property] == null)
    let group = groups.get(omits)
    if (group === undefined) groups.set(omits, (group = []))
    group.push(instance)
  }
  const statements: Array<Statement> = []
  /** The INSERT statements, with the number of rows each sends. */
  const inserts = new Map<Statement, number>()
  for (const [omits, group] of groups) {
    const columns = omits ? metadata.columns.filter((c) => !c.autoincrement) : metadata.columns
    // As many rows per statement as the driver binds parameters for (SQLite 32766, PostgreSQL
    // 65535): a 10,000-row upsert of 3 columns is one statement, not ten (a former cap of 1,000
    // rows made the bench's upsert 12 statements to raw's 4, ×6.1 raw on SQLite).
    const perStatement = Math.max(1, Math.floor(connection.driver.maxParameters / Math.max(1, columns.length)))
    for (const slice of batches(group, perStatement, connection.driver.maxStatementBytes, columns)) {
      const rows = slice.map((instance) => columns.map((c) => instance[c.property]))
      const insert = compiler.insert({ table: metadata.table, columns, rows, returning: [], ...(conflict === undefined ? {} : { onConflict: conflict }) })
      inserts.set(insert, rows.length)
      statements.push(insert)
    }
    if (!omits) {
      for (const c of withAuto) {
        const sync = compiler.syncKeyGenerator(metadata.table, c)
        if (sync !== null) statements.push(sync)
      }
    }
  }
  Instances.noteWrite()
  // One statement is atomic by itself: no BEGIN/COMMIT (or savepoint) around it.
  const results = statements.length === 1 ? [await connection.driver.execute(statements[0]!)] : await connection.driver.executeAtomically(statements)
  // With an update on conflict every proposed row is inserted or updates its collision: the
  // count is the rows sent (MySQL's affected rows count an updated row twice, an unchanged one never).
  const updates = conflict !== undefined && conflict.update.length > 0
  return results.reduce((sum, r, i) => {
    const rows = inserts.get(statements[i]!)
    return rows === undefined ? sum : sum + (updates ? rows : r.rowsAffected)
  }, 0)
}
