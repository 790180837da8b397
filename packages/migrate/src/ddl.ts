/**
 * DDL from the model-metadata contract: CREATE TABLE / CREATE INDEX per dialect.
 *
 * @module
 */
import {
  type ColumnMetadata,
  type Dialect,
  type ForeignKeyMetadata,
  type ModelMetadata,
  type Statement,
  quoteIdentifier as q,
} from "@ferro/core/internal"

export const literal = (value: string): string => `'${value.replace(/'/g, "''")}'`

/** One column's definition inside CREATE TABLE. */
export const columnDefinition = (column: ColumnMetadata, dialect: Dialect): string => {
  const parts = [q(column.column), dialect.storageType(column)]
  if (column.primaryKey) {
    if (column.autoincrement) {
      parts.push(dialect.autoincrementPrimaryKey)
    } else {
      parts.push("PRIMARY KEY")
    }
  }
  if (!column.nullable) parts.push("NOT NULL")
  if (column.enumValues !== null) {
    parts.push(`CHECK (${q(column.column)} IN (${column.enumValues.map(literal).join(", ")}))`)
  }
  return parts.join(" ")
}

export const foreignKeyClause = (fk: ForeignKeyMetadata): string =>
  `CONSTRAINT ${q(fk.name)} FOREIGN KEY (${fk.columns.map(q).join(", ")}) REFERENCES ${q(fk.targetTable)} (${fk.targetColumns.map(q).join(", ")}) ON DELETE ${fk.onDelete.toUpperCase()}`

/**
 * `CREATE TABLE IF NOT EXISTS` for one model. Foreign keys to tables in `deferred` are left out
 * (they are added afterwards: PostgreSQL needs the referenced table to exist).
 */
export const createTableStatement = (
  model: ModelMetadata,
  dialect: Dialect,
  deferred: ReadonlySet<string> = new Set(),
  name: string = model.table,
  extraColumns: ReadonlyArray<string> = [],
): string => {
  const definitions = [...model.columns.map((c) => columnDefinition(c, dialect)), ...extraColumns]
  for (const fk of model.foreignKeys) if (!deferred.has(fk.targetTable)) definitions.push(foreignKeyClause(fk))
  return `CREATE TABLE IF NOT EXISTS ${q(name)} (${definitions.join(", ")})${dialect.tableOptions}`
}

/** `CREATE [UNIQUE] INDEX IF NOT EXISTS` for each of the model's indexes. */
export const createIndexStatements = (model: ModelMetadata): Array<string> =>
  model.indexes.map(
    (index) =>
      `CREATE ${index.unique ? "UNIQUE " : ""}INDEX IF NOT EXISTS ${q(index.name)} ON ${q(model.table)} (${index.columns.map(q).join(", ")})`,
  )

/** Orders models so referenced tables come before the tables that reference them. */
export const dependencyOrder = (models: ReadonlyArray<ModelMetadata>): Array<ModelMetadata> => {
  const byTable = new Map(models.map((m) => [m.table, m]))
  const done = new Set<string>()
  const visiting = new Set<string>()
  const out: Array<ModelMetadata> = []
  const visit = (model: ModelMetadata) => {
    if (done.has(model.table) || visiting.has(model.table)) return
    visiting.add(model.table)
    for (const fk of model.foreignKeys) {
      const target = byTable.get(fk.targetTable)
      if (target !== undefined && target !== model) visit(target)
    }
    visiting.delete(model.table)
    done.add(model.table)
    out.push(model)
  }
  models.forEach(visit)
  return out
}

/** Every statement that creates the given models' missing tables and indexes. */
export const createStatements = (models: ReadonlyArray<ModelMetadata>, dialect: Dialect): Array<Statement> => {
  const ordered = dependencyOrder(models)
  const known = new Set(ordered.map((m) => m.table))
  const created = new Set<string>()
  const sql: Array<string> = []
  const late: Array<string> = []
  for (const model of ordered) {
    created.add(model.table)
    // Some databases accept references to tables created later (SQLite); where not
    // (PostgreSQL, table cycles), those foreign keys are added once both tables exist.
    const deferred = new Set(
      dialect.forwardReferences
        ? []
        : model.foreignKeys.map((fk) => fk.targetTable).filter((t) => known.has(t) && !created.has(t)),
    )
    sql.push(createTableStatement(model, dialect, deferred), ...createIndexStatements(model))
    for (const fk of model.foreignKeys) if (deferred.has(fk.targetTable)) late.push(dialect.addForeignKey(model, fk, foreignKeyClause(fk)))
  }
  return [...sql, ...late].map((text) => ({ sql: text, params: [] }))
}
