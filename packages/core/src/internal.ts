/**
 * `@ferro/core/internal`: the plumbing Ferro's own packages share, not user API (it may change
 * in any release). Trusted construction, the model registry, instance state, the identity
 * map, connections, the transaction and session context, operations, the backend registry,
 * dialect helpers and the SQL-text helpers introspectors use. Everything `@ferro/core`
 * exports is re-exported here too, so a package imports from one place.
 *
 * @packageDocumentation
 */
export * from "./index.js"
export { TRUSTED, buildValidated, extendModels, isModelInstance, modelRuntime } from "./model.js"
export { getModel, registerModel, registeredModels, type RegisteredModel } from "./registry.js"
export { IdentityMap, TransactionIdentityMap, type TableIdentityMap } from "./identity-map.js"
export * as Instances from "./instance-state.js"
export {
  allConnections,
  assertConnectionName,
  defaultConnectionName,
  getConnection,
  type ActiveConnection,
} from "./connections.js"
export { indexName, quoteIdentifier, toSnakeCase } from "./naming.js"
export { redactUrl } from "./redact.js"
export { statementContext } from "./errors.js"
export { checkTimeout } from "./timeouts.js"
export { normalizeValue } from "./normalize.js"
/** Value predicates shared by field validation and query values. */
export { isJsonValue, isWellFormedText, isWideIntegerDbType } from "./fields.js"
export { namedOperation, operation } from "./operation.js"
export {
  formatLogEvent,
  observeDriver,
  observedConnection,
  recordStatements,
  statementLogger,
  type StatementListener,
  type StatementRecorder,
} from "./observe.js"
export { batchedStream } from "./stream.js"
export {
  releaseSavepointStatement,
  rollbackToSavepointStatement,
  savepointStatement,
  underSavepoint,
} from "./savepoints.js"
export type { NativeBinding, NativeDatabase, NativeEngine, NativeStatement } from "./native-binding.js"
export {
  addTransactionResolver,
  currentTransaction,
  runInTransaction,
  transactionFor,
  type InstanceBefore,
  type TransactionScope,
} from "./transaction-context.js"
export { addSessionResolver, currentSession, openSessionFor, runInSession, type Session } from "./session-context.js"
export { dbTypeOverride, standardAggregate, standardAlterColumn, standardDropIndex, type ColumnChange, standardExcluded, standardNullsOrder, standardUpsert, type AggregateFunctionName } from "./dialect.js"
export { backendFor, registerBackend, registeredSchemes } from "./backends.js"
export { checkExpressions, groupBy, isWord, matchingParen, tidyType, tokenize, type Token } from "./sql-text.js"
