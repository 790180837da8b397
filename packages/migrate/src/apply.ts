import { type Driver, MigrationError, type ModelMetadata } from "@ferro/core"
import { introspect } from "./introspect.js"
import type { LiveTable } from "./live.js"
import { type LadderOptions, type MigrationPlan, planMigration } from "./plan.js"

/** Options of {@link migrateSchema}. */
export interface MigrateOptions extends LadderOptions {
  /** Return the plan without running it. */
  readonly dryRun?: boolean
}

const asMigrationError = (error: unknown): MigrationError =>
  error instanceof MigrationError
    ? error
    : new MigrationError(`Migration failed and was rolled back: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      })

/**
 * Brings the database behind `driver` to `models` as far as the ladder allows, in one
 * transaction, and returns the plan it ran (or would run, with `dryRun`).
 */
export const migrateSchema = async (
  driver: Driver,
  models: ReadonlyArray<ModelMetadata>,
  options: MigrateOptions = {},
): Promise<MigrationPlan> => {
  let live: ReadonlyArray<LiveTable>
  try {
    live = await introspect(driver)
  } catch (error) {
    throw asMigrationError(error)
  }
  const plan = planMigration(models, live, driver.dialect, options)
  if (options.dryRun === true || plan.statements.length === 0) return plan
  const rebuilding = driver.dialect === "sqlite" && plan.rebuilt.length > 0
  try {
    // SQLite's table rebuild runs with foreign keys off (a pragma that is ignored inside a
    // transaction), and checks them before committing.
    if (rebuilding) await driver.execute({ sql: "PRAGMA foreign_keys = OFF", params: [] })
    const transaction = await driver.begin()
    try {
      for (const sql of plan.statements) await transaction.execute({ sql, params: [] })
      if (rebuilding) {
        const violations = await transaction.rows({ sql: "PRAGMA foreign_key_check", params: [] })
        if (violations.length > 0) {
          throw new MigrationError(
            `Rebuilding ${plan.rebuilt.join(", ")} would leave ${violations.length} row(s) with dangling foreign keys; fix the data, then migrate again`,
          )
        }
      }
      await transaction.commit()
    } catch (error) {
      await transaction.rollback().catch(() => undefined)
      throw error
    }
  } catch (error) {
    throw asMigrationError(error)
  } finally {
    if (rebuilding) await driver.execute({ sql: "PRAGMA foreign_keys = ON", params: [] }).catch(() => undefined)
    // Statements prepared against the old shape must not be reused.
    driver.schemaChanged?.()
  }
  return plan
}
