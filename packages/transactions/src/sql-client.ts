/**
 * An @effect/sql `SqlClient` that runs on Ferro's connection, so the two share transactions:
 * inside a Ferro transaction (Effect or Promise side) its statements run on the transaction's
 * connection, and `SqlClient.withTransaction` opens a Ferro transaction that Ferro calls
 * inside it join.
 *
 * @module
 */
import { Effect, Layer, Scope, Stream } from "effect"
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import type { Connection as SqlConnection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import * as Statement from "@effect/sql/Statement"
import {
  type ActiveConnection,
  type Statement as FerroStatement,
  TransactionError,
  getConnection,
  transactionFor,
} from "@ferro/core"
import { sqlConnectionScopes } from "./effect.js"
import { endScope, openScope } from "./transaction.js"

const BEGIN = "-- ferro: begin"
const COMMIT = "-- ferro: commit"
const ROLLBACK = "-- ferro: rollback"

const encode = (value: unknown): unknown =>
  typeof value === "boolean" ? (value ? 1 : 0) : value instanceof Date ? value.toISOString() : value

const toSqlError = (error: unknown): SqlError =>
  new SqlError({ cause: error, message: error instanceof Error ? error.message : String(error) })

/** An @effect/sql connection over whatever Ferro connection `resolve` gives at run time. */
const connectionOver = (resolve: () => ActiveConnection, sqliteBooleans: boolean): SqlConnection => {
  const statement = (sql: string, params: ReadonlyArray<unknown>): FerroStatement => ({
    sql,
    params: sqliteBooleans ? params.map(encode) : params,
  })
  const objects = (sql: string, params: ReadonlyArray<unknown>) =>
    Effect.tryPromise({ try: () => resolve().driver.objects(statement(sql, params)), catch: toSqlError })
  const execute = (
    sql: string,
    params: ReadonlyArray<unknown>,
    transformRows: (<A extends object>(rows: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined,
  ) => Effect.map(objects(sql, params), (rows) => (transformRows ? transformRows(rows as ReadonlyArray<object>) : rows))
  return {
    execute,
    executeRaw: objects,
    executeUnprepared: execute,
    executeValues: (sql, params) =>
      Effect.tryPromise({ try: () => resolve().driver.rows(statement(sql, params)), catch: toSqlError }),
    executeStream: (sql, params, transformRows) =>
      Stream.fromIterableEffect(execute(sql, params, transformRows) as Effect.Effect<ReadonlyArray<unknown>, SqlError>),
  }
}

/** Options of {@link sqlClientLayer}. */
export interface SqlClientOptions {
  /** Ferro connection name (default: the default connection). */
  readonly using?: string
}

/**
 * A Layer providing @effect/sql's `SqlClient` on a Ferro connection (SQLite or PostgreSQL).
 * It joins Ferro transactions, and Ferro joins its `withTransaction`.
 */
export const sqlClientLayer = (options: SqlClientOptions = {}): Layer.Layer<SqlClient.SqlClient> =>
  Layer.effect(
    SqlClient.SqlClient,
    Effect.gen(function* () {
      const registered = getConnection(options.using)
      const sqlite = registered.driver.dialect === "sqlite"
      // Outside a transaction: the registered connection; inside a Ferro one: the transaction's.
      const current = (): ActiveConnection => {
        const scope = transactionFor(registered.name)
        if (scope !== undefined) {
          if (scope.closed) throw new TransactionError("The transaction this statement belongs to has ended")
          return scope.connection
        }
        return registered
      }
      const transactionAcquirer: Effect.Effect<SqlConnection, SqlError, Scope.Scope> = Effect.acquireRelease(
        Effect.tryPromise({ try: () => openScope({ using: registered.name }), catch: toSqlError }),
        (scope) => (scope.closed ? Effect.void : Effect.promise(() => endScope(scope, "rollback").catch(() => undefined))),
      ).pipe(
        Effect.map((scope) => {
          const inner = connectionOver(() => scope.connection, sqlite)
          const control = (sql: string, params: ReadonlyArray<unknown>, transformRows: Parameters<SqlConnection["execute"]>[2]) => {
            if (sql === BEGIN) return Effect.succeed([])
            if (sql === COMMIT || sql === ROLLBACK) {
              return Effect.as(
                Effect.tryPromise({ try: () => endScope(scope, sql === COMMIT ? "commit" : "rollback"), catch: toSqlError }),
                [],
              )
            }
            return inner.executeUnprepared(sql, params, transformRows)
          }
          const connection: SqlConnection = { ...inner, executeUnprepared: control }
          sqlConnectionScopes.set(connection, scope)
          return connection
        }),
      )
      return yield* SqlClient.make({
        acquirer: Effect.sync(() => connectionOver(current, sqlite)),
        transactionAcquirer,
        compiler: sqlite
          ? Statement.makeCompilerSqlite()
          : Statement.makeCompiler({
              dialect: "pg",
              placeholder: (index) => `$${index}`,
              onIdentifier: (value) => `"${value.replace(/"/g, '""')}"`,
              onRecordUpdate: () => ["", []],
              onCustom: () => ["", []],
            }),
        spanAttributes: [],
        beginTransaction: BEGIN,
        commit: COMMIT,
        rollback: ROLLBACK,
      })
    }),
  ).pipe(Layer.provide(Reactivity.layer))
