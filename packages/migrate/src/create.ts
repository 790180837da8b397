import { type Driver, MigrationError, type ModelMetadata } from "@ferro/core/internal"
import { createStatements } from "./ddl.js"

/**
 * Creates every missing table and index for `models` on `driver`, in one transaction.
 * Existing tables are left untouched.
 */
export const createTables = async (driver: Driver, models: ReadonlyArray<ModelMetadata>): Promise<void> => {
  const statements = createStatements(models, driver.dialect)
  if (statements.length === 0) return
  try {
    await driver.dialect.checkIndexNames?.(driver, models)
    await driver.executeAtomically(statements)
  } catch (error) {
    if (error instanceof MigrationError) throw error
    throw new MigrationError(`Creating tables failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    })
  }
}
