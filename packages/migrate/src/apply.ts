import { type Driver, MigrationError, type ModelMetadata } from "@ferro/core/internal"
import { introspect } from "./introspect.js"
import type { LiveTable } from "./live.js"
import { type LadderOptions, type MigrationPlan, planMigration } from "./plan.js"

/** Options of {@link migrateSchema}. */
export interface MigrateOptions extends LadderOptions {
  /** Return the plan without running it. */
  readonly dryRun?: boolean
}

const asMigrationError = (error: unknown, applied?: { readonly done: number; readonly of: number }): MigrationError => {
  if (error instanceof MigrationError) return error
  const reason = error instanceof Error ? error.message : String(error)
  // Where DDL commits implicitly (MySQL), the statements before the failing one stay applied.
  const outcome =
    applied === undefined
      ? "Migration failed and was rolled back"
      : `Migration failed at statement ${applied.done + 1} of ${applied.of}; the database commits each DDL statement on its own, so the ${applied.done} before it stay applied (migrate again once the cause is fixed: the plan is recomputed from the live schema)`
  return new MigrationError(`${outcome}: ${reason}`, { cause: error })
}

/**
 * Brings the database behind `driver` to `models` as far as the ladder allows, in one
 * transaction, and returns the plan it ran (or would run, with `dryRun`). Where the dialect's
 * DDL is not transactional (MySQL commits each DDL statement), a failure leaves the statements
 * before it applied, and the error says how many.
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
  const rebuild = plan.rebuilt.length > 0 ? driver.dialect.tableRebuild : null
  let done = 0
  try {
    // A table rebuild runs with foreign keys off (on SQLite a pragma that is ignored inside a
    // transaction), and checks them before committing.
    if (rebuild !== null) await driver.execute({ sql: rebuild.disableForeignKeys, params: [] })
    const transaction = await driver.begin()
    try {
      for (const sql of plan.statements) {
        await transaction.execute({ sql, params: [] })
        done++
      }
      if (rebuild !== null) {
        const violations = await transaction.rows({ sql: rebuild.foreignKeyCheck, params: [] })
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
    throw asMigrationError(error, driver.dialect.transactionalDdl ? undefined : { done, of: plan.statements.length })
  } finally {
    if (rebuild !== null) await driver.execute({ sql: rebuild.enableForeignKeys, params: [] }).catch(() => undefined)
    // Statements prepared against the old shape must not be reused.
    driver.schemaChanged?.()
  }
  return plan
}
