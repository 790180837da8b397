/**
 * Executes compiled statements on a connection and keeps instances and the identity map
 * consistent with what was written.
 *
 * @module
 */
import {
  type ColumnMetadata,
  type Connection,
  type Dialect,
  Instances,
  ModelDoesNotExist,
  type ModelMetadata,
  QueryError,
  ValidationError,
  type ValidationIssue,
  getModel,
  modelRuntime,
  registerModel,
} from "@ferro/core"
import { type HydratableClass, type Hydrator, hydratorFor } from "@ferro/hydrate"
import { compilerFor } from "./compiler/index.js"
import type { Condition, DeleteNode, SelectNode, UpdateNode } from "./expression.js"
import { checkValue, encodeValue } from "./values.js"

/** A concrete model class as operations see it. */
export type ModelClass = HydratableClass<object> & { readonly metadata: ModelMetadata; readonly name: string }

const promoted = new WeakSet<object>()

/** Records the user's subclass as the class Ferro constructs for its table. */
export const noteModelClass = (modelClass: ModelClass): void => {
  if (promoted.has(modelClass)) return
  promoted.add(modelClass)
  const entry = getModel(modelClass.metadata.table)
  if (entry !== undefined && entry.metadata === modelClass.metadata && entry.modelClass !== modelClass) {
    registerModel({ metadata: modelClass.metadata, modelClass })
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

export const hydrator = (modelClass: ModelClass, connection: Connection): Hydrator<object> =>
  hydratorFor(
    modelClass,
    { table: modelClass.metadata.table, columns: modelClass.metadata.columns, primaryKey: modelClass.metadata.primaryKey },
    connection.driver.dialect,
  )

export const selectNode = (modelClass: ModelClass, where: Condition | null): SelectNode => ({
  table: modelClass.metadata.table,
  columns: modelClass.metadata.columns,
  where,
  orderBy: [],
  limit: null,
  offset: null,
})

export const fetchInstances = async (
  modelClass: ModelClass,
  connection: Connection,
  node: SelectNode,
): Promise<Array<object>> => {
  const hydrate = hydrator(modelClass, connection)
  const statement = compilerFor(connection.driver.dialect).select(node)
  const rows = await connection.driver.rows(statement, { bigints: hydrate.bigints })
  return hydrate.all(rows, { connection: connection.name, identityMap: connection.identityMap })
}

export const fetchByPrimaryKey = async (
  modelClass: ModelClass,
  connection: Connection,
  pk: unknown,
): Promise<object | null> => {
  const pkColumn = primaryKeyColumn(modelClass)
  const value = checkValue(modelName(modelClass), pkColumn, pk, false)
  const [instance] = await fetchInstances(modelClass, connection, {
    ...selectNode(modelClass, { kind: "compare", column: pkColumn, op: "=", value }),
    limit: 1,
  })
  return instance ?? null
}

/** Batch UPDATE; held instances of the updated rows are reloaded so they stay honest. */
export const runUpdate = async (modelClass: ModelClass, connection: Connection, node: Omit<UpdateNode, "returningKeys">): Promise<number> => {
  const compiler = compilerFor(connection.driver.dialect)
  const map = connection.identityMap
  const tracked = map !== null && node.primaryKey !== null && map.live(node.table).length > 0
  if (!tracked) return (await connection.driver.execute(compiler.update({ ...node, returningKeys: false }))).rowsAffected
  const pk = node.primaryKey!
  const bigints = pk.type === "bigint"
  // RETURNING gives only new keys; when the key itself changes, read the old ones first.
  const setsKey = node.set.some(([column]) => column === pk)
  const oldKeys = setsKey
    ? (await connection.driver.rows(compiler.select({ ...node, columns: [pk] }), { bigints })).map((row) => row[0])
    : []
  const keys = (await connection.driver.rows(compiler.update({ ...node, returningKeys: true }), { bigints })).map(
    (row) => row[0],
  )
  if (setsKey) {
    const newKeys = new Set(keys)
    if (oldKeys.length === 1 && keys.length === 1) {
      const instance = map!.get(node.table, oldKeys[0])
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
export const runDelete = async (connection: Connection, node: Omit<DeleteNode, "returningKeys">): Promise<number> => {
  const compiler = compilerFor(connection.driver.dialect)
  const map = connection.identityMap
  const tracked = map !== null && node.primaryKey !== null && map.live(node.table).length > 0
  if (!tracked) return (await connection.driver.execute(compiler.delete({ ...node, returningKeys: false }))).rowsAffected
  const keys = await connection.driver.rows(compiler.delete({ ...node, returningKeys: true }))
  for (const [pk] of keys) {
    const instance = map!.get(node.table, pk)
    if (instance !== undefined) Instances.markTransient(instance)
    map!.evict(node.table, pk)
  }
  return keys.length
}

const IN_BATCH = 500

/** Re-reads the rows of held instances whose keys are in `keys` and writes them into the instances. */
const reloadHeld = async (modelClass: ModelClass, connection: Connection, keys: ReadonlyArray<unknown>): Promise<void> => {
  const map = connection.identityMap!
  const { table } = modelClass.metadata
  const held = keys.filter((pk) => map.get(table, pk) !== undefined)
  const pkColumn = primaryKeyColumn(modelClass)
  const hydrate = hydrator(modelClass, connection)
  const compiler = compilerFor(connection.driver.dialect)
  for (let i = 0; i < held.length; i += IN_BATCH) {
    const batch = held.slice(i, i + IN_BATCH)
    const statement = compiler.select(
      selectNode(modelClass, { kind: "in", column: pkColumn, values: batch, negated: false }),
    )
    for (const row of await connection.driver.rows(statement, { bigints: hydrate.bigints })) {
      const props = hydrate.props(row)
      const pk = props[pkColumn.property]
      const instance = map.get(table, pk)
      if (instance !== undefined) {
        Object.assign(instance, props)
        Instances.markPersisted(instance, connection.name, row, pk)
      }
    }
  }
}

/** Equality of two driver-encoded values of one column. */
const sameEncoded = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  // SQLite reads integers as bigint in statements that select a 64-bit column.
  if (typeof a === "bigint" || typeof b === "bigint") return typeof a !== "object" && typeof b !== "object" && a == b
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0
  return false
}

/** The instance's column values, driver-encoded, in metadata column order. */
const encodedRow = (
  instance: Record<string, unknown>,
  columns: ReadonlyArray<ColumnMetadata>,
  dialect: Dialect,
): Array<unknown> => columns.map((c) => encodeValue(c, instance[c.property], dialect))

/** Validates the current values of `columns` on `instance`; throws one error naming every bad field. */
export const validateColumns = (
  modelClass: ModelClass,
  instance: Record<string, unknown>,
  columns: ReadonlyArray<ColumnMetadata>,
): void => {
  const runtime = modelRuntime(modelClass)
  const issues: Array<ValidationIssue> = []
  for (const column of columns) {
    if (column.autoincrement && instance[column.property] === undefined) continue
    issues.push(...runtime.validateValue(column.property, instance[column.property]))
  }
  if (issues.length > 0) throw new ValidationError(modelName(modelClass), issues)
}

/**
 * Saves `instance`: INSERT when it has no row (or `insert` is forced, as `create()` does),
 * else an UPDATE of the columns whose encoded value differs from the persisted row.
 */
export const saveInstance = async (
  modelClass: ModelClass,
  connection: Connection,
  instance: Record<string, unknown>,
  options: { readonly insert?: boolean } = {},
): Promise<void> => {
  const { metadata } = modelClass
  const { dialect } = connection.driver
  const compiler = compilerFor(dialect)
  const snapshot = options.insert ? null : Instances.persistedSnapshot(instance)
  if (snapshot === null) {
    validateColumns(modelClass, instance, metadata.columns)
    const columns = metadata.columns.filter((c) => !(c.autoincrement && instance[c.property] == null))
    const returning = metadata.columns.filter((c) => c.autoincrement && instance[c.property] == null)
    const statement = compiler.insert({
      table: metadata.table,
      columns,
      rows: [columns.map((c) => instance[c.property])],
      returning,
    })
    if (returning.length > 0) {
      const [row] = await connection.driver.rows(statement)
      returning.forEach((c, i) => {
        instance[c.property] = typeof row![i] === "bigint" ? Number(row![i]) : row![i]
      })
    } else {
      await connection.driver.execute(statement)
    }
    const pk = metadata.primaryKey === null ? undefined : instance[metadata.primaryKey]
    Instances.markPersisted(instance, connection.name, encodedRow(instance, metadata.columns, dialect), pk)
    if (metadata.primaryKey !== null) connection.identityMap?.set(metadata.table, pk, instance)
    return
  }
  const changed = metadata.columns.filter((c, i) => {
    try {
      return !sameEncoded(encodeValue(c, instance[c.property], dialect), snapshot[i])
    } catch {
      return true // not even encodable: validation below reports it
    }
  })
  if (changed.length === 0) return
  validateColumns(modelClass, instance, changed)
  const pkColumn = primaryKeyColumn(modelClass)
  const oldPk = Instances.persistedKey(instance)
  const result = await connection.driver.execute(
    compiler.update({
      table: metadata.table,
      primaryKey: pkColumn,
      set: changed.map((c) => [c, instance[c.property]] as const),
      where: { kind: "compare", column: pkColumn, op: "=", value: oldPk },
      orderBy: [],
      limit: null,
      offset: null,
      returningKeys: false,
    }),
  )
  if (result.rowsAffected === 0) {
    Instances.markTransient(instance)
    connection.identityMap?.evict(metadata.table, oldPk)
    throw new ModelDoesNotExist(modelName(modelClass), oldPk, {
      detail: `Cannot save ${modelName(modelClass)}: its row no longer exists`,
    })
  }
  const newPk = instance[pkColumn.property]
  Instances.markPersisted(instance, connection.name, encodedRow(instance, metadata.columns, dialect), newPk)
  if (newPk !== oldPk && connection.identityMap !== null) {
    connection.identityMap.evict(metadata.table, oldPk)
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
  const result = await connection.driver.execute(
    compilerFor(connection.driver.dialect).delete({
      table: modelClass.metadata.table,
      primaryKey: pkColumn,
      where: { kind: "compare", column: pkColumn, op: "=", value: pk },
      orderBy: [],
      limit: null,
      offset: null,
      returningKeys: false,
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
    ...selectNode(modelClass, { kind: "compare", column: pkColumn, op: "=", value }),
    limit: 1,
  })
  const [row] = await connection.driver.rows(statement, { bigints: hydrate.bigints })
  if (row === undefined) {
    Instances.markTransient(instance)
    connection.identityMap?.evict(modelClass.metadata.table, pk)
    throw new ModelDoesNotExist(modelName(modelClass), pk, { detail: `Cannot refresh ${modelName(modelClass)}: its row no longer exists` })
  }
  const props = hydrate.props(row)
  Object.assign(instance, props)
  Instances.markPersisted(instance, connection.name, row, props[pkColumn.property])
  connection.identityMap?.set(modelClass.metadata.table, props[pkColumn.property], instance)
}

/** Multi-row INSERTs, batched under the driver's parameter limit, all or nothing. */
export const insertMany = async (
  modelClass: ModelClass,
  connection: Connection,
  instances: ReadonlyArray<Record<string, unknown>>,
): Promise<number> => {
  const { metadata } = modelClass
  const compiler = compilerFor(connection.driver.dialect)
  const withAuto = metadata.columns.filter((c) => c.autoincrement)
  // Rows that leave the database-assigned key out go in a separate group from rows that set it.
  const groups = new Map<boolean, Array<Record<string, unknown>>>()
  for (const instance of instances) {
    const omits = withAuto.some((c) => instance[c.property] == null)
    let group = groups.get(omits)
    if (group === undefined) groups.set(omits, (group = []))
    group.push(instance)
  }
  const statements = []
  for (const [omits, group] of groups) {
    const columns = omits ? metadata.columns.filter((c) => !c.autoincrement) : metadata.columns
    const perStatement = Math.max(1, Math.min(1000, Math.floor(connection.driver.maxParameters / Math.max(1, columns.length))))
    for (let i = 0; i < group.length; i += perStatement) {
      const rows = group.slice(i, i + perStatement).map((instance) => columns.map((c) => instance[c.property]))
      statements.push(compiler.insert({ table: metadata.table, columns, rows, returning: [] }))
    }
  }
  const results = await connection.driver.executeAtomically(statements)
  return results.reduce((sum, r) => sum + r.rowsAffected, 0)
}
