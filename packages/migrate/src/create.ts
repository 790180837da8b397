import { type Driver, MigrationError, type ModelMetadata } from "@ferro/core"
import { createStatements } from "./ddl.js"

/**
 * PostgreSQL's `CREATE INDEX IF NOT EXISTS` silently does nothing when *any* relation (a table,
 * say) already has the index's name, which would leave a unique constraint unenforced. Refuse
 * that up front: each existing relation with one of our index names must be that index.
 */
const checkPostgresIndexNames = async (driver: Driver, models: ReadonlyArray<ModelMetadata>): Promise<void> => {
  const expected = new Map(models.flatMap((m) => m.indexes.map((i) => [i.name, m.table] as const)))
  if (expected.size === 0) return
  const rows = await driver.rows({
    sql: `SELECT c.relname, c.relkind, t.relname
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_index x ON x.indexrelid = c.oid
          LEFT JOIN pg_class t ON t.oid = x.indrelid
          WHERE n.nspname = current_schema() AND c.relname = ANY($1)`,
    params: [[...expected.keys()]],
  })
  for (const [name, kind, table] of rows) {
    const wanted = expected.get(name as string)
    if (kind !== "i" || table !== wanted) {
      throw new MigrationError(
        `Cannot create index "${String(name)}" on "${String(wanted)}": a ${kind === "i" ? `index on "${String(table)}"` : "table or other relation"} with that name already exists. Rename or drop it, then migrate again.`,
      )
    }
  }
}

/**
 * Creates every missing table and index for `models` on `driver`, in one transaction.
 * Existing tables are left untouched.
 */
export const createTables = async (driver: Driver, models: ReadonlyArray<ModelMetadata>): Promise<void> => {
  const statements = createStatements(models, driver.dialect)
  if (statements.length === 0) return
  try {
    if (driver.dialect === "postgres") await checkPostgresIndexNames(driver, models)
    await driver.executeAtomically(statements)
  } catch (error) {
    if (error instanceof MigrationError) throw error
    throw new MigrationError(`Creating tables failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    })
  }
}
