/**
 * DDL from the model-metadata contract: CREATE TABLE / CREATE INDEX per dialect.
 *
 * @module
 */
import {
  type ColumnMetadata,
  type Dialect,
  type ForeignKeyMetadata,
  ModelDefinitionError,
  type ModelMetadata,
  type OnDelete,
  type Statement,
  quoteIdentifier as q,
} from "@ferro/core/internal"

export const literal = (value: string): string => `'${value.replace(/'/g, "''")}'`

/**
 * The column's storage type in its model. A column any index or foreign key covers (a
 * composite index or unique, a foreign key without its own index) is a key there, as one
 * with its own index is: MySQL indexes no unbounded text, so it bounds keyed text
 * (`varchar(255)`); the other dialects store keys like any column.
 */
export const columnStorage = (column: ColumnMetadata, dialect: Dialect, model?: ModelMetadata): string => {
  const covered =
    model !== undefined &&
    !column.primaryKey &&
    !column.unique &&
    !column.index &&
    (model.indexes.some((i) => i.columns.includes(column.column)) || model.foreignKeys.some((fk) => fk.columns.includes(column.column)))
  return dialect.storageType(covered ? { ...column, index: true } : column)
}

/** What follows the column's type in its definition: the dialect's collation, if any. */
export const columnCollation = (column: ColumnMetadata, dialect: Dialect): string => dialect.columnCollation?.(column) ?? ""

/** One column's definition inside CREATE TABLE. */
export const columnDefinition = (column: ColumnMetadata, dialect: Dialect, model?: ModelMetadata): string => {
  const parts = [q(column.column), columnStorage(column, dialect, model) + columnCollation(column, dialect)]
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

/** The ON DELETE action the database is given for `fk`: the declared one unless the dialect says otherwise. */
export const onDeleteAction = (fk: ForeignKeyMetadata, dialect?: Dialect, model?: ModelMetadata): OnDelete =>
  dialect?.foreignKeyAction?.(fk, model) ?? fk.onDelete

export const foreignKeyClause = (fk: ForeignKeyMetadata, dialect?: Dialect, model?: ModelMetadata): string =>
  `CONSTRAINT ${q(fk.name)} FOREIGN KEY (${fk.columns.map(q).join(", ")}) REFERENCES ${q(fk.targetTable)} (${fk.targetColumns.map(q).join(", ")}) ON DELETE ${onDeleteAction(fk, dialect, model).toUpperCase()}`

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
  const definitions = [...model.columns.map((c) => columnDefinition(c, dialect, model)), ...extraColumns]
  for (const fk of model.foreignKeys) if (!deferred.has(fk.targetTable)) definitions.push(foreignKeyClause(fk, dialect, model))
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

/**
 * Refuses, before any SQL runs, a table, column, index or foreign key name the dialect says its
 * database cannot hold (a `ModelDefinitionError` naming it), instead of a database error midway.
 */
export const checkIdentifiers = (models: ReadonlyArray<ModelMetadata>, dialect: Dialect): void => {
  if (dialect.identifierProblem === undefined) return
  for (const model of models) {
    const names: Array<[string, string]> = [
      ["table", model.table],
      ...model.columns.map((c): [string, string] => ["column", c.column]),
      ...model.indexes.map((i): [string, string] => ["index", i.name]),
      ...model.foreignKeys.map((fk): [string, string] => ["foreign key", fk.name]),
    ]
    for (const [kind, name] of names) {
      const problem = dialect.identifierProblem(name)
      if (problem !== null) {
        throw new ModelDefinitionError(
          `Model("${model.table}"): the ${kind} name ${JSON.stringify(name)} ${problem}, which ${dialect.system} does not allow in a name; rename it`,
        )
      }
    }
  }
}

/** Every statement that creates the given models' missing tables and indexes. */
export const createStatements = (models: ReadonlyArray<ModelMetadata>, dialect: Dialect): Array<Statement> => {
  checkIdentifiers(models, dialect)
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
    for (const fk of model.foreignKeys) if (deferred.has(fk.targetTable)) late.push(dialect.addForeignKey(model, fk, foreignKeyClause(fk, dialect, model)))
  }
  return [...sql, ...late].map((text) => ({ sql: text, params: [] }))
}
