/**
 * Writes that resolve a collision with an existing row in the same statement: `upsert()`,
 * `bulkCreate(items, { onConflict })`, and the insert step of `getOrCreate()` /
 * `updateOrCreate()`. Each compiles to one `INSERT ... VALUES ...` carrying the dialect's
 * conflict clause (`dialect.upsert`), so the database decides insert-or-update atomically.
 *
 * The write paths are the exported functions below (`upsertInstance`, `insertIfAbsent`,
 * `bulkUpsert`), kept apart so per-instance lifecycle hooks can wrap them.
 *
 * @module
 */
import {
  type ColumnMetadata,
  type ActiveConnection as Connection,
  Instances,
  QueryError,
  UniqueViolation,
  ValidationError,
  normalizeValue,
} from "@ferro/core/internal"
import { cellDecoder } from "@ferro/hydrate"
import { compilerFor } from "./compiler/index.js"
import type { OnConflictNode } from "./expression.js"
import {
  type ModelClass,
  hydrator,
  insertAndReadBack,
  insertMany,
  keyCondition,
  modelName,
  readStoredRow,
  reloadHeld,
  rememberBefore,
  sameValue,
  validateColumns,
} from "./operations.js"

/** The conflict options of `upsert()` and `bulkCreate(..., { onConflict })`, by property name. */
export interface ConflictOptions {
  /** The unique (or primary-key) field set a collision is detected on. */
  readonly on: ReadonlyArray<string>
  /** Fields the existing row takes from the proposed one; default: every non-conflict field given. */
  readonly update?: ReadonlyArray<string>
}

const list = (names: ReadonlyArray<string>): string => names.map((n) => `'${n}'`).join(", ")

/**
 * The column a property name denotes: a stored field, or a foreign key's shadow key
 * (`authorId`); the foreign key's own name (`author`) is accepted for its shadow key.
 */
const columnOf = (modelClass: ModelClass, property: string): ColumnMetadata | undefined => {
  const { metadata } = modelClass
  const direct = metadata.columns.find((c) => c.property === property)
  if (direct !== undefined) return direct
  const fk = metadata.relations.find((r) => r.kind === "foreignKey" && r.property === property)
  return fk?.via == null ? undefined : metadata.columns.find((c) => c.property === fk.via)
}

/** The unique column sets of a model: its primary key, unique fields and composite uniques. */
export const uniqueSets = (modelClass: ModelClass): Array<ReadonlyArray<ColumnMetadata>> => {
  const { metadata } = modelClass
  const byColumn = new Map(metadata.columns.map((c) => [c.column, c]))
  const sets: Array<ReadonlyArray<ColumnMetadata>> = []
  for (const c of metadata.columns) if (c.primaryKey) sets.push([c])
  for (const index of metadata.indexes) {
    if (!index.unique) continue
    const columns = index.columns.map((name) => byColumn.get(name))
    if (columns.every((c) => c !== undefined)) sets.push(columns as Array<ColumnMetadata>)
  }
  return sets
}

const sameSet = (a: ReadonlyArray<ColumnMetadata>, b: ReadonlyArray<ColumnMetadata>): boolean =>
  a.length === b.length && a.every((c) => b.includes(c))

/**
 * Checks `options` against the model before any SQL and returns the conflict clause: `on` must
 * name fields that are exactly one unique or primary-key set, `update` must name fields outside
 * `on` and not the primary key. `update` left out means every field in `given` (the fields the
 * input gives) outside `on` and the primary key. Throws a `QueryError` naming what is wrong.
 */
export const resolveConflict = (
  modelClass: ModelClass,
  options: ConflictOptions,
  given: ReadonlyArray<ColumnMetadata>,
  call: string,
): OnConflictNode => {
  const name = modelName(modelClass)
  if (typeof options !== "object" || options === null) {
    throw new QueryError(`${name}.${call} needs { on: [...fields] } naming a unique or primary-key field set`)
  }
  const { on, update } = options
  if (!Array.isArray(on) || on.length === 0 || !on.every((f) => typeof f === "string")) {
    throw new QueryError(`${name}.${call}: 'on' must be a non-empty array of field names (a unique or primary-key field set)`)
  }
  const unknownOn = on.filter((f) => columnOf(modelClass, f) === undefined)
  if (unknownOn.length > 0) {
    throw new QueryError(`${name}.${call}: 'on' names ${list(unknownOn)}, which ${unknownOn.length === 1 ? "is not a field" : "are not fields"} of ${name}`)
  }
  const target = [...new Set(on.map((f) => columnOf(modelClass, f)!))]
  if (!uniqueSets(modelClass).some((set) => sameSet(set, target))) {
    const known = uniqueSets(modelClass).map((set) => `[${list(set.map((c) => c.property))}]`)
    throw new QueryError(
      `${name}.${call}: 'on' [${list(on)}] is not a unique or primary-key field set of ${name}, so the database cannot detect a collision on it ` +
        `(declare it with { unique: true } or compositeUniques; ${name}'s unique sets: ${known.join(", ") || "none"})`,
    )
  }
  let columns: Array<ColumnMetadata>
  if (update === undefined) {
    columns = given.filter((c) => !target.includes(c) && !c.primaryKey)
  } else {
    if (!Array.isArray(update) || !update.every((f) => typeof f === "string")) {
      throw new QueryError(`${name}.${call}: 'update' must be an array of field names`)
    }
    const unknownUpdate = update.filter((f) => columnOf(modelClass, f) === undefined)
    if (unknownUpdate.length > 0) {
      throw new QueryError(
        `${name}.${call}: 'update' names ${list(unknownUpdate)}, which ${unknownUpdate.length === 1 ? "is not a field" : "are not fields"} of ${name}`,
      )
    }
    columns = [...new Set(update.map((f) => columnOf(modelClass, f)!))]
    const conflicting = columns.filter((c) => target.includes(c))
    if (conflicting.length > 0) {
      throw new QueryError(
        `${name}.${call}: 'update' names ${list(conflicting.map((c) => c.property))} of 'on': a colliding row already has the same value there`,
      )
    }
    const keys = columns.filter((c) => c.primaryKey)
    if (keys.length > 0) {
      throw new QueryError(`${name}.${call}: 'update' names the primary key ${list(keys.map((c) => c.property))}; an upsert does not change a row's key`)
    }
  }
  return { target, update: columns }
}

/** The columns `data` (create input) gives a value for: stored fields and foreign keys (either form). */
export const givenColumns = (modelClass: ModelClass, data: object): Array<ColumnMetadata> => {
  const out: Array<ColumnMetadata> = []
  if (typeof data !== "object" || data === null) return out
  for (const [property, value] of Object.entries(data)) {
    if (value === undefined) continue
    const column = columnOf(modelClass, property)
    if (column !== undefined && !out.includes(column)) out.push(column)
  }
  return out
}

/**
 * The conflict target of a `getOrCreate` / `updateOrCreate` lookup: the first unique set (the
 * primary key first) whose fields the lookup all gives, or null when it covers none (a
 * collision on any unique constraint then keeps the existing row).
 */
export const lookupTarget = (modelClass: ModelClass, lookup: object): ReadonlyArray<ColumnMetadata> | null => {
  const given = givenColumns(modelClass, lookup)
  return uniqueSets(modelClass).find((set) => set.every((c) => given.includes(c))) ?? null
}

/** Uuid and time values get the canonical spelling construction gives them. */
const canonicalize = (modelClass: ModelClass, instance: Record<string, unknown>): void => {
  for (const c of modelClass.metadata.columns) {
    if (c.type === "uuid" || c.type === "time") instance[c.property] = normalizeValue(c.type, instance[c.property])
  }
}

/**
 * `INSERT ... ON CONFLICT ... RETURNING` of `instance`'s row, one statement: the row is
 * inserted, or on a collision on `conflict.target` the existing row takes `conflict.update`
 * from it. Returns the object for the stored row: the instance the identity scope already
 * holds for its key (updated in place: one row, one object), else `instance`, which then
 * shows the row as stored and joins the scope. With an empty `conflict.update` a collision
 * leaves the existing row alone and nothing comes back: the result is null.
 */
export const upsertInstance = async (
  modelClass: ModelClass,
  connection: Connection,
  instance: Record<string, unknown>,
  conflict: OnConflictNode,
): Promise<Record<string, unknown> | null> => {
  const { metadata } = modelClass
  const { dialect } = connection.driver
  const compiler = compilerFor(dialect)
  const hydrate = hydrator(modelClass, connection)
  const { bigints } = hydrate
  canonicalize(modelClass, instance)
  validateColumns(modelClass, instance, metadata.columns)
  const columns = metadata.columns.filter((c) => !(c.autoincrement && instance[c.property] == null))
  Instances.noteWrite()
  const row = dialect.returning
    ? (
        await connection.driver.rows(
          compiler.insert({
            table: metadata.table,
            columns,
            rows: [columns.map((c) => instance[c.property])],
            returning: metadata.columns,
            onConflict: conflict,
          }),
          { bigints },
        )
      )[0]
    : await upsertWithoutReturning(modelClass, connection, instance, columns, conflict, bigints)
  if (row === undefined) return null
  for (const c of metadata.columns) {
    if (c.autoincrement && instance[c.property] != null) {
      const sync = compiler.syncKeyGenerator(metadata.table, c)
      if (sync !== null) await connection.driver.rows(sync)
    }
  }
  const stored = metadata.columns.map((c, i) => cellDecoder(c, dialect, bigints)(row[i]))
  const pkIndex = metadata.columns.findIndex((c) => c.property === metadata.primaryKey)
  const pk = pkIndex < 0 ? undefined : stored[pkIndex]
  const map = connection.identityMap
  const held = map !== null && pkIndex >= 0 ? (map.held(metadata.table, pk) as Record<string, unknown> | undefined) : undefined
  const target = held ?? instance
  rememberBefore(modelClass, connection, target)
  if (target === instance) {
    // The instance shows what was stored (the existing row's key and untouched columns, too).
    metadata.columns.forEach((c, i) => {
      if (!sameValue(instance[c.property], stored[i])) instance[c.property] = stored[i]
    })
  } else {
    // The held object takes the row, but keeps unsaved edits of columns this upsert did not write.
    const before = Instances.persistedSnapshot(target)
    const old = before === null ? null : hydrate.props(before)
    metadata.columns.forEach((c, i) => {
      const edited = old !== null && !sameValue(target[c.property], old[c.property])
      if (!edited || conflict.update.includes(c)) target[c.property] = stored[i]
    })
  }
  Instances.markPersisted(target, connection.name, row, pk)
  if (map !== null && pkIndex >= 0 && map.get(metadata.table, pk) !== target) map.set(metadata.table, pk, target)
  return target
}

/** Whether a unique violation is a collision on `target` (null: on any unique constraint). */
const collidesOn = (error: UniqueViolation, target: ReadonlyArray<ColumnMetadata> | null): boolean => {
  if (target === null || error.fields === undefined) return true
  const fields = new Set(error.fields)
  return target.length === fields.size && target.every((c) => fields.has(c.property))
}

/**
 * {@link upsertInstance} where the dialect has no RETURNING (MySQL). Keeping an existing row
 * (no `update`) is a plain INSERT whose unique violation on the target means "already there"
 * (a failed statement leaves a MySQL transaction usable). Updating it is `INSERT ... ON
 * DUPLICATE KEY UPDATE`, then the stored row is read back by the target's values: one more
 * statement. MySQL detects a duplicate on any unique key of the table, not only the target.
 */
const upsertWithoutReturning = async (
  modelClass: ModelClass,
  connection: Connection,
  instance: Record<string, unknown>,
  columns: ReadonlyArray<ColumnMetadata>,
  conflict: OnConflictNode,
  bigints: boolean,
): Promise<ReadonlyArray<unknown> | undefined> => {
  const compiler = compilerFor(connection.driver.dialect)
  const rows = [columns.map((c) => instance[c.property])]
  if (conflict.update.length === 0) {
    try {
      return await insertAndReadBack(modelClass, connection, compiler.insert({ table: modelClass.metadata.table, columns, rows, returning: [] }), instance, bigints)
    } catch (error) {
      if (error instanceof UniqueViolation && collidesOn(error, conflict.target)) return undefined
      throw error
    }
  }
  await connection.driver.execute(compiler.insert({ table: modelClass.metadata.table, columns, rows, returning: [], onConflict: conflict }))
  const target = conflict.target!
  return readStoredRow(modelClass, connection, keyCondition(target, target.map((c) => instance[c.property])), bigints)
}

/**
 * The insert step of `getOrCreate()` / `updateOrCreate()`: `INSERT ... ON CONFLICT (target) DO
 * NOTHING RETURNING`. Returns the stored object when this call inserted the row, null when a
 * row colliding on `target` (null: on any unique constraint) already exists. Never fails with
 * a unique violation on `target`, so concurrent callers race safely and, inside a
 * transaction, leave it usable (no error to roll back to a savepoint).
 */
export const insertIfAbsent = (
  modelClass: ModelClass,
  connection: Connection,
  instance: Record<string, unknown>,
  target: ReadonlyArray<ColumnMetadata> | null,
): Promise<Record<string, unknown> | null> => upsertInstance(modelClass, connection, instance, { target, update: [] })

/** A comparable key for one value of a conflict column (null: NULLs never collide). */
const valueKey = (value: unknown): string | null => {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return `d:${value.getTime()}`
  if (value instanceof Uint8Array) return `b:${Buffer.from(value).toString("hex")}`
  if (typeof value === "number" || typeof value === "bigint") return `n:${String(value)}`
  if (typeof value === "object") return `j:${JSON.stringify(value)}`
  return `${typeof value}:${String(value)}`
}

/** The key of a row's conflict-column values, or null when one of them is NULL. */
const rowKey = (instance: Record<string, unknown>, target: ReadonlyArray<ColumnMetadata>): string | null => {
  const parts: Array<string> = []
  for (const c of target) {
    const key = valueKey(instance[c.property])
    if (key === null) return null
    parts.push(key)
  }
  return parts.join("\u0000")
}

/**
 * Refuses, before any SQL, items that collide with each other on the conflict columns when
 * they would update: PostgreSQL cannot update one row twice in a statement, and on SQLite the
 * last item would silently win. Names the items.
 */
export const checkDistinctKeys = (
  modelClass: ModelClass,
  instances: ReadonlyArray<Record<string, unknown>>,
  conflict: OnConflictNode,
): void => {
  if (conflict.update.length === 0 || conflict.target === null) return
  const target = conflict.target
  const seen = new Map<string, number>()
  const issues: Array<{ readonly path: string; readonly message: string }> = []
  instances.forEach((instance, i) => {
    const key = rowKey(instance, target)
    if (key === null) return
    const first = seen.get(key)
    if (first === undefined) seen.set(key, i)
    else issues.push({ path: `[${i}]`, message: `has the same ${list(target.map((c) => c.property))} as item [${first}]; each row may be upserted once per call` })
  })
  if (issues.length > 0) throw new ValidationError(modelName(modelClass), issues)
}

/**
 * `bulkCreate(items, { onConflict })`: multi-row INSERTs with the conflict clause, batched and
 * all or nothing as plain `bulkCreate`. Instances the identity scope holds for rows the batch
 * updated are reloaded so they stay honest. Returns the database's count (see `insertMany`).
 */
export const bulkUpsert = async (
  modelClass: ModelClass,
  connection: Connection,
  instances: ReadonlyArray<Record<string, unknown>>,
  conflict: OnConflictNode,
): Promise<number> => {
  const count = await insertMany(modelClass, connection, instances, conflict)
  const map = connection.identityMap
  if (map === null || conflict.update.length === 0 || conflict.target === null || modelClass.metadata.primaryKey === null) return count
  const live = map.live(modelClass.metadata.table)
  if (live.length === 0) return count
  const target = conflict.target
  const written = new Set(instances.map((instance) => rowKey(instance, target)).filter((k) => k !== null))
  const keys = live
    .filter(([, held]) => {
      const key = rowKey(held as Record<string, unknown>, target)
      return key !== null && written.has(key)
    })
    .map(([pk]) => pk)
  if (keys.length > 0) await reloadHeld(modelClass, connection, keys)
  return count
}
