/**
 * `@ferro/migrate`: schema management from the model-metadata contract. For now: creating
 * missing tables and indexes (`autoMigrate`, `createTables()`).
 *
 * @packageDocumentation
 */
export { createTables } from "./create.js"
export {
  columnDefinition,
  createIndexStatements,
  createStatements,
  createTableStatement,
  dependencyOrder,
} from "./ddl.js"
