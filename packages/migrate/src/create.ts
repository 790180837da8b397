import { type Driver, MigrationError, type ModelMetadata } from "@ferro/core"
import { createStatements } from "./ddl.js"

/**
 * Creates every missing table and index for `models` on `driver`, in one transaction.
 * Existing tables are left untouched.
 */
export const createTables = async (driver: Driver, models: ReadonlyArray<ModelMetadata>): Promise<void> => {
  const statements = createStatements(models, driver.dialect)
  if (statements.length === 0) return
  try {
    await driver.executeAtomically(statements)
  } catch (error) {
    throw new MigrationError(`Creating tables failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    })
  }
}
