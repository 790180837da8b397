/**
 * `@ferro/migrate`: schema management from the model-metadata contract: creating missing tables
 * (`autoMigrate`, `createTables()`), the auto-migrate ladder (`migrateSchema`: updates and
 * destructive changes, with dry-run plans), live-schema introspection, and the drizzle-kit
 * bridge.
 *
 * @packageDocumentation
 */
export { createTables } from "./create.js"
export { migrateSchema, type MigrateOptions } from "./apply.js"
export { planMigration, type LadderOptions, type MigrationPlan } from "./plan.js"
export type { LiveColumn, LiveForeignKey, LiveIndex, LiveTable } from "./live.js"
export {
  columnDefinition,
  createIndexStatements,
  createStatements,
  createTableStatement,
  dependencyOrder,
} from "./ddl.js"
