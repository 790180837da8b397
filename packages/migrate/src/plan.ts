/**
 * The auto-migrate ladder: what it takes to bring a live schema to the models.
 *
 * - create (always): missing tables, join tables and indexes. Existing tables are not touched.
 * - updates: add columns (NOT NULL needs a literal default to backfill), missing indexes,
 *   type and nullability changes (with casts); where the dialect says ALTER TABLE can only add
 *   columns (`dialect.tableRebuild`, SQLite), other changes are done by the documented table
 *   rebuild, inside a transaction.
 * - destructive: also drop columns the models no longer have (indexes first; never primary
 *   keys or columns other tables reference) and Ferro-named indexes the models no longer have.
 *
 * Tables are never dropped. What cannot be done safely is refused with a `MigrationError` that
 * says what to do. The plan is plain data, so `dryRun` can show it.
 *
 * @module
 */
import { type ColumnMetadata, type Dialect, MigrationError, type ModelMetadata, quoteIdentifier as q } from "@ferro/core/internal"
import {
  checkIdentifiers,
  columnCollation,
  columnDefinition,
  columnStorage,
  createIndexStatements,
  createStatements,
  createTableStatement,
  foreignKeyClause,
  literal,
  onDeleteAction,
} from "./ddl.js"
import type { LiveColumn, LiveTable } from "./live.js"

/** How far the ladder may go. */
export interface LadderOptions {
  /** Reconcile existing tables (add columns and indexes, change types and nullability). */
  readonly updates?: boolean
  /** Also drop columns and Ferro-named indexes the models no longer have (implies updates). */
  readonly destructive?: boolean
}

/** The statements a migration runs, in order, and what it noticed but left alone. */
export interface MigrationPlan {
  readonly statements: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<string>
  /** Tables rebuilt (run with foreign keys off, checked before commit; see `Dialect.tableRebuild`). */
  readonly rebuilt: ReadonlyArray<string>
}

const sqlLiteral = (value: string | number | boolean | null, column: ColumnMetadata, dialect: Dialect): string => {
  if (value === null) return "NULL"
  if (typeof value === "boolean") return dialect.booleanLiteral(value)
  if (typeof value === "number") return String(value)
  return column.type === "json" ? literal(JSON.stringify(value)) : literal(value)
}

/** The literal that backfills existing rows for a new NOT NULL column, or null when there is none. */
const backfill = (column: ColumnMetadata, dialect: Dialect): string | null => {
  const d = column.default
  if (d === null || d.kind !== "literal" || d.value === null) return null
  return sqlLiteral(d.value, column, dialect)
}

const refuse = (message: string): never => {
  throw new MigrationError(message)
}

/** Plans bringing `live` to `models` on `dialect`. Throws `MigrationError` for what it refuses. */
export const planMigration = (
  models: ReadonlyArray<ModelMetadata>,
  live: ReadonlyArray<LiveTable>,
  dialect: Dialect,
  options: LadderOptions = {},
): MigrationPlan => {
  const destructive = options.destructive === true
  const updates = destructive || options.updates === true
  const liveByName = new Map(live.map((t) => [t.table, t]))
  const missing = models.filter((m) => !liveByName.has(m.table))
  const statements: Array<string> = createStatements(missing, dialect).map((s) => s.sql)
  const warnings: Array<string> = []
  const rebuilt: Array<string> = []
  const modelTables = new Set(models.map((m) => m.table))
  for (const table of live) {
    if (!modelTables.has(table.table)) warnings.push(`table "${table.table}" has no model; left alone (tables are never dropped)`)
  }
  if (!updates) return { statements, warnings, rebuilt }
  checkIdentifiers(models, dialect)

  for (const model of models) {
    const table = liveByName.get(model.table)
    if (table === undefined) continue
    const liveColumns = new Map(table.columns.map((c) => [c.column, c]))
    const modelColumns = new Set(model.columns.map((c) => c.column))
    const added = model.columns.filter((c) => !liveColumns.has(c.column))
    const removed = destructive ? table.columns.filter((c) => !modelColumns.has(c.column)) : []
    const changed = model.columns.flatMap((c) => {
      const current = liveColumns.get(c.column)
      if (current === undefined) return []
      const type = !dialect.sameStorage(columnStorage(c, dialect, model), current.storage)
      const nullability = current.nullable !== c.nullable && !c.primaryKey
      return type || nullability ? [{ column: c, current, type, nullability }] : []
    })
    for (const c of added) {
      if (c.primaryKey) {
        refuse(`Cannot add column "${model.table}.${c.column}": it is a primary key. Create the table anew or migrate it with drizzle-kit.`)
      }
      if (!c.nullable && backfill(c, dialect) === null) {
        refuse(
          `Cannot add NOT NULL column "${model.table}.${c.column}" to an existing table: it has no literal default to fill existing rows. Make the field nullable, give it a literal default, or migrate it with drizzle-kit.`,
        )
      }
    }
    for (const c of table.columns) {
      const modelColumn = model.columns.find((m) => m.column === c.column)
      if (modelColumn !== undefined && modelColumn.primaryKey !== c.primaryKey) {
        refuse(`Cannot change the primary key of "${model.table}" ("${c.column}"). Migrate it with drizzle-kit.`)
      }
    }
    for (const c of removed) {
      if (c.primaryKey) refuse(`Cannot drop column "${model.table}.${c.column}": it is part of the primary key.`)
      const referencedBy = live.find((t) => t.foreignKeys.some((fk) => fk.targetTable === model.table && fk.targetColumns.includes(c.column)))
      if (referencedBy !== undefined) {
        refuse(`Cannot drop column "${model.table}.${c.column}": table "${referencedBy.table}" references it. Drop or move that foreign key first.`)
      }
      const constraint = table.indexes.find((i) => i.origin === "constraint" && i.unique && i.columns.includes(c.column))
      if (constraint !== undefined) {
        refuse(
          `Cannot drop column "${model.table}.${c.column}": it is enforced by the UNIQUE constraint "${constraint.name}". Drop that constraint first (or migrate with drizzle-kit).`,
        )
      }
    }
    const liveFkKeys = new Set(table.foreignKeys.map((fk) => `${fk.columns.join(",")}>${fk.targetTable}.${fk.targetColumns.join(",")}:${fk.onDelete}`))
    const missingFks = model.foreignKeys.filter(
      (fk) =>
        !liveFkKeys.has(`${fk.columns.join(",")}>${fk.targetTable}.${fk.targetColumns.join(",")}:${onDeleteAction(fk, dialect, model)}`),
    )
    const liveIndexNames = new Set(table.indexes.map((i) => i.name))
    const modelIndexNames = new Set(model.indexes.map((i) => i.name))

    if (dialect.tableRebuild !== null) {
      // ALTER TABLE can add plain columns; anything else is a rebuild of the table.
      const needsRebuild =
        changed.length > 0 ||
        removed.length > 0 ||
        missingFks.some((fk) => !added.some((c) => fk.columns.includes(c.column)))
      if (needsRebuild) {
        statements.push(...rebuildStatements(model, table, dialect, destructive))
        rebuilt.push(model.table)
        continue
      }
      for (const c of added) statements.push(addColumnStatement(model, c, dialect))
    } else {
      for (const c of added) {
        statements.push(addColumnStatement(model, c, dialect))
        if (!c.nullable && backfill(c, dialect) !== null) {
          statements.push(`ALTER TABLE ${q(model.table)} ALTER COLUMN ${q(c.column)} DROP DEFAULT`)
        }
      }
      for (const { column, current, type, nullability } of changed) {
        // Within one type family (varchar(20) -> varchar(5), numeric(10,2) -> numeric(8,2)) no
        // explicit cast: an implicit conversion fails on values that do not fit instead of
        // truncating them. Across families the dialect's cast says how to convert.
        const storage = columnStorage(column, dialect, model)
        // MODIFY (MySQL) restates the column: its collation goes with the type.
        statements.push(
          ...dialect.alterColumn(model.table, column, { storage: storage + columnCollation(column, dialect), current: current.storage, type, nullability }),
        )
        if (type) warnings.push(`"${model.table}.${column.column}": type ${current.storage} -> ${storage}`)
      }
      for (const fk of missingFks) {
        statements.push(`ALTER TABLE ${q(model.table)} ADD ${foreignKeyClause(fk, dialect, model)}`)
      }
      for (const c of removed) {
        for (const index of table.indexes) {
          if (index.columns.includes(c.column) && index.origin === "index") {
            statements.push(dialect.dropIndex(model.table, index.name))
            liveIndexNames.delete(index.name)
          }
        }
        statements.push(`ALTER TABLE ${q(model.table)} DROP COLUMN ${q(c.column)}`)
      }
    }
    for (const index of model.indexes) {
      if (!liveIndexNames.has(index.name)) {
        statements.push(
          `CREATE ${index.unique ? "UNIQUE " : ""}INDEX IF NOT EXISTS ${q(index.name)} ON ${q(model.table)} (${index.columns.map(q).join(", ")})`,
        )
      }
    }
    if (destructive) {
      for (const index of table.indexes) {
        const ferroNamed = /^(idx|uq)_/.test(index.name)
        if (index.origin === "index" && ferroNamed && !modelIndexNames.has(index.name) && liveIndexNames.has(index.name)) {
          statements.push(dialect.dropIndex(model.table, index.name))
        }
      }
    }
  }
  return { statements, warnings, rebuilt }
}

const addColumnStatement = (model: ModelMetadata, column: ColumnMetadata, dialect: Dialect): string => {
  let definition = columnDefinition(column, dialect, model)
  if (!column.nullable) definition += ` DEFAULT ${backfill(column, dialect)}`
  const fk = model.foreignKeys.find((f) => f.columns.length === 1 && f.columns[0] === column.column)
  // Where tables are rebuilt to change them, a new key column carries its REFERENCES inline.
  if (fk !== undefined && dialect.tableRebuild !== null) {
    definition += ` REFERENCES ${q(fk.targetTable)} (${fk.targetColumns.map(q).join(", ")}) ON DELETE ${onDeleteAction(fk, dialect, model).toUpperCase()}`
  }
  return `ALTER TABLE ${q(model.table)} ADD COLUMN ${definition}`
}

/**
 * SQLite's documented way to change a table ALTER TABLE cannot change: create the new shape
 * under a temporary name, copy the rows, drop the old table, rename, recreate the indexes.
 * Run with foreign keys off inside one transaction, checked with foreign_key_check.
 */
const rebuildStatements = (model: ModelMetadata, table: LiveTable, dialect: Dialect, destructive: boolean): Array<string> => {
  const temporary = `${model.table}__ferro_rebuild`
  const liveColumns = new Map<string, LiveColumn>(table.columns.map((c) => [c.column, c]))
  const targets: Array<string> = []
  const sources: Array<string> = []
  // Below the destructive level, columns the models no longer list are kept, as they are.
  const kept = destructive ? [] : table.columns.filter((c) => !model.columns.some((m) => m.column === c.column))
  const keptDefinitions = kept.map(
    (c) => `${q(c.column)} ${c.storage}${c.nullable ? "" : " NOT NULL"}${c.default === null ? "" : ` DEFAULT ${c.default}`}`,
  )
  for (const c of kept) {
    targets.push(q(c.column))
    sources.push(q(c.column))
  }
  for (const column of model.columns) {
    if (liveColumns.has(column.column)) {
      targets.push(q(column.column))
      sources.push(q(column.column))
    } else if (!column.nullable) {
      targets.push(q(column.column))
      sources.push(backfill(column, dialect)!)
    }
  }
  return [
    `DROP TABLE IF EXISTS ${q(temporary)}`,
    createTableStatement(model, dialect, new Set(), temporary, keptDefinitions),
    `INSERT INTO ${q(temporary)} (${targets.join(", ")}) SELECT ${sources.join(", ")} FROM ${q(model.table)}`,
    `DROP TABLE ${q(model.table)}`,
    `ALTER TABLE ${q(temporary)} RENAME TO ${q(model.table)}`,
    ...createIndexStatements(model),
  ]
}
