/**
 * An `effect/sql` `SqlClient` (Effect 4's SQL toolkit, formerly `@effect/sql`) that runs on
 * Ferro's connection, so the two share transactions: inside a Ferro transaction (Effect or
 * Promise side) its statements run on the transaction's connection, and
 * `SqlClient.withTransaction` opens a Ferro transaction that Ferro calls inside it join.
 *
 * @module
 */
import { Context, Effect, Layer, type Scope, Stream } from "effect"
import { Reactivity } from "effect/reactivity"
import { SqlClient, type SqlConnection, SqlError, Statement } from "effect/sql"
import {
  type ActiveConnection,
  type Dialect,
  type Statement as FerroStatement,
  TransactionError,
  getConnection,
  transactionFor,
} from "@ferro/core/internal"
import { sqlConnectionScopes, sqlTransactionServices } from "./effect.js"
import { endScope, openScope } from "./transaction.js"

const BEGIN = "-- ferro: begin"
const COMMIT = "-- ferro: commit"
const ROLLBACK = "-- ferro: rollback"

type Connection = SqlConnection.Connection

/** A parameter as the dialect binds it: booleans its way, dates as ISO-8601 text. */
const encoderFor =
  (dialect: Dialect) =>
  (value: unknown): unknown =>
    typeof value === "boolean" ? dialect.encodeBoolean(value) : value instanceof Date ? value.toISOString() : value

/** The `effect/sql` reason for a Ferro (or driver) error; the error itself is its cause. */
const reasonOf = (error: unknown): SqlError.SqlErrorReason => {
  const props = { cause: error, message: error instanceof Error ? error.message : String(error) }
  switch ((error as { _tag?: unknown } | null)?._tag) {
    case "UniqueViolation":
      return new SqlError.UniqueViolation({ ...props, constraint: (error as { constraint?: string }).constraint ?? "unknown" })
    case "ForeignKeyViolation":
    case "NotNullViolation":
    case "CheckViolation":
      return new SqlError.ConstraintError(props)
    case "ConnectionError":
      return new SqlError.ConnectionError(props)
    default:
      return new SqlError.UnknownError(props)
  }
}

const toSqlError = (error: unknown): SqlError.SqlError => new SqlError.SqlError({ reason: reasonOf(error) })

/** An `effect/sql` connection over whatever Ferro connection `resolve` gives at run time. */
const connectionOver = (resolve: () => ActiveConnection, dialect: Dialect): Connection => {
  const encode = encoderFor(dialect)
  const statement = (sql: string, params: ReadonlyArray<unknown>): FerroStatement => ({
    sql,
    params: params.map(encode),
  })
  const objects = (sql: string, params: ReadonlyArray<unknown>) =>
    Effect.tryPromise({ try: () => resolve().driver.objects(statement(sql, params)), catch: toSqlError })
  const values = (sql: string, params: ReadonlyArray<unknown>) =>
    Effect.tryPromise({ try: () => resolve().driver.rows(statement(sql, params)), catch: toSqlError })
  const execute = (
    sql: string,
    params: ReadonlyArray<unknown>,
    transformRows: (<A extends object>(rows: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined,
  ) => Effect.map(objects(sql, params), (rows) => (transformRows ? transformRows(rows as ReadonlyArray<object>) : rows))
  return {
    execute,
    executeRaw: objects,
    executeUnprepared: execute,
    executeValues: values,
    executeValuesUnprepared: values,
    executeStream: (sql, params, transformRows) =>
      Stream.fromIterableEffect(execute(sql, params, transformRows) as Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>),
  }
}

/** Options of {@link sqlClientLayer}. */
export interface SqlClientOptions {
  /** Ferro connection name (default: the default connection). */
  readonly using?: string
}

/**
 * The key `effect/sql` keeps a Ferro-backed client's transaction under: one per Ferro
 * connection, so every client on that connection shares it and none on another sees it.
 */
const transactionServiceFor = (name: string) => {
  let service = sqlTransactionServices.get(name)
  if (service === undefined) {
    service = Context.Service<SqlClient.TransactionConnection, SqlClient.TransactionConnection.Service>(
      `ferro/sql/TransactionConnection/${name}`,
    )
    sqlTransactionServices.set(name, service)
  }
  return service
}

/**
 * A Layer providing `effect/sql`'s `SqlClient` on a Ferro connection (SQLite or PostgreSQL).
 * It joins Ferro transactions, and Ferro joins its `withTransaction`.
 */
export const sqlClientLayer = (options: SqlClientOptions = {}): Layer.Layer<SqlClient.SqlClient> =>
  Layer.effect(
    SqlClient.SqlClient,
    Effect.gen(function* () {
      const registered = getConnection(options.using)
      const { dialect } = registered.driver
      // Outside a transaction: the registered connection; inside a Ferro one: the transaction's.
      const current = (): ActiveConnection => {
        const scope = transactionFor(registered.name)
        if (scope !== undefined) {
          if (scope.closed) throw new TransactionError("The transaction this statement belongs to has ended")
          return scope.connection
        }
        return registered
      }
      const transactionAcquirer: Effect.Effect<Connection, SqlError.SqlError, Scope.Scope> = Effect.acquireRelease(
        Effect.tryPromise({ try: () => openScope({ using: registered.name }), catch: toSqlError }),
        (scope) => (scope.closed ? Effect.void : Effect.promise(() => endScope(scope, "rollback").catch(() => undefined))),
      ).pipe(
        Effect.map((scope) => {
          const inner = connectionOver(() => scope.connection, dialect)
          const control = (sql: string, params: ReadonlyArray<unknown>, transformRows: Parameters<Connection["execute"]>[2]) => {
            if (sql === BEGIN) return Effect.succeed([])
            if (sql === COMMIT || sql === ROLLBACK) {
              return Effect.as(
                Effect.tryPromise({ try: () => endScope(scope, sql === COMMIT ? "commit" : "rollback"), catch: toSqlError }),
                [],
              )
            }
            if (/^\s*(BEGIN|START\s+TRANSACTION)\b/i.test(sql)) {
              // SqlClient.BeginTransaction: Ferro has begun the transaction already.
              return Effect.fail(
                toSqlError(
                  new TransactionError(
                    "A Ferro-backed SqlClient begins its transactions itself; choose the isolation level with Ferro.transaction(effect, { isolation })",
                  ),
                ),
              )
            }
            return inner.executeUnprepared(sql, params, transformRows)
          }
          const connection: Connection = { ...inner, executeUnprepared: control }
          sqlConnectionScopes.set(connection, scope)
          return connection
        }),
      )
      return yield* SqlClient.make({
        driver: "ferro",
        acquirer: Effect.sync(() => connectionOver(current, dialect)),
        transactionAcquirer,
        transactionService: transactionServiceFor(registered.name),
        compiler: Statement.makeCompiler({
          dialect: dialect.sqlClientDialect,
          placeholder: (index) => dialect.placeholder(index),
          onIdentifier: (value) => dialect.sqlClientIdentifier(value),
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
