/**
 * Faults (SPEC §5 reliability, "Transactions", "Errors"): a PostgreSQL backend terminated while
 * a client is checked out (idle in a transaction, mid-statement, between statements, just
 * before COMMIT) fails the operation with a ConnectionError, commits nothing, raises no
 * unhandled 'error' event, and the pool recovers; statements issued concurrently inside one
 * transaction take turns on its client; statement and lock timeouts; deadlocks; and
 * `transaction(fn, { retry })` on both the Promise and the Effect side.
 *
 * Nothing here races a timer: backends are terminated once seen (pg_stat_activity, polled
 * until the state is reached), the order of lock acquisition is forced with promises, and a
 * 50 ms statement timeout is set against pg_sleep(5).
 */
import { Effect } from "effect"
import mysql from "mysql2/promise"
import pg from "pg"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { currentTransaction, getConnection } from "@ferro/core/internal"
import {
  ConnectionError,
  DeadlockDetected,
  Ferro,
  LockTimeout,
  Model,
  SerializationFailure,
  StatementTimeout,
  TransactionError,
  UniqueViolation,
  beginTransaction,
  connect,
  execute,
  fetchAll,
  fetchOne,
  field,
  ping,
  resetEngine,
  sql,
  transaction,
} from "ferro-orm"
import { describeEachBackend, freshMysqlUrl, freshPostgresUrl, mysqlUrl, postgresUrl } from "./support/backends.js"

class Account extends Model("faults_accounts", {
  id: field.id(),
  owner: field.text({ unique: true }),
  balance: field.int({ default: 0 }),
}) {}

const rejection = async (promise: PromiseLike<unknown>): Promise<unknown> =>
  Promise.resolve(promise).then(
    () => {
      throw new Error("expected a rejection")
    },
    (error: unknown) => error,
  )

const deferred = () => {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

// Errors that escape as 'uncaughtException' (an 'error' event nobody listens to) land here.
const uncaught: Array<unknown> = []
const onUncaught = (error: unknown) => uncaught.push(error)
beforeEach(() => {
  uncaught.length = 0
  process.on("uncaughtException", onUncaught)
})
afterEach(() => {
  process.removeListener("uncaughtException", onUncaught)
})

const hasPostgres = postgresUrl() !== undefined

const admin = async <R extends pg.QueryResultRow>(text: string, values: Array<unknown> = []): Promise<Array<R>> => {
  const client = new pg.Client({ connectionString: postgresUrl() })
  await client.connect()
  try {
    return (await client.query<R>(text, values)).rows
  } finally {
    await client.end()
  }
}

/** Terminates a backend and waits until it is gone (PostgreSQL 14+: the timeout argument waits). */
const terminate = async (pid: number): Promise<void> => {
  const [row] = await admin<{ ok: boolean }>("SELECT pg_terminate_backend($1, 20000) AS ok", [pid])
  expect(row?.ok).toBe(true)
}

/** The pg client of the transaction the caller runs in. */
const transactionClient = (): pg.ClientBase => {
  const scope = currentTransaction()
  if (scope === undefined) throw new Error("not in a transaction")
  return (scope.connection.driver as unknown as { client: pg.ClientBase }).client
}

/** Resolves once the client has seen its server connection end. */
const connectionEnded = (client: pg.ClientBase): Promise<void> =>
  (client as unknown as { _ended: boolean })._ended ? Promise.resolve() : new Promise((resolve) => client.once("end", () => resolve()))

const backendPid = async (): Promise<number> => (await fetchOne<{ pid: number }>(sql`SELECT pg_backend_pid() AS pid`))!.pid

/** After a fault: nothing committed, no unhandled error, and the pool serves the next query. */
const expectRecovered = async (): Promise<void> => {
  await ping()
  expect(await Account.select().count()).toBe(0)
  await Account.create({ owner: "after" })
  expect(await Account.select().count()).toBe(1)
  expect(uncaught).toEqual([])
}

describe.skipIf(!hasPostgres)("PostgreSQL: a backend terminated while a client is checked out", () => {
  afterEach(async () => {
    await resetEngine()
  })

  test("idle inside a transaction: the next statement is a ConnectionError", async () => {
    await connect(await freshPostgresUrl(), { autoMigrate: true, pool: { max: 2 } })
    const tx = await beginTransaction()
    const { pid, client } = await tx.run(async () => ({ pid: await backendPid(), client: transactionClient() }))
    await terminate(pid)
    // The client notices while it sits idle, checked out: that 'error' event must be handled.
    await connectionEnded(client)
    expect(await rejection(tx.run(() => Account.create({ owner: "lost" })))).toBeInstanceOf(ConnectionError)
    await tx.rollback().catch(() => undefined)
    expect(tx.closed).toBe(true)
    await expectRecovered()
  })

  test("mid-statement: the running statement is a ConnectionError and nothing is committed", async () => {
    await connect(await freshPostgresUrl(), { autoMigrate: true, pool: { max: 2 } })
    const pid = deferred()
    let seenPid = 0
    const running = rejection(
      transaction(async () => {
        await Account.create({ owner: "lost" })
        seenPid = await backendPid()
        pid.resolve()
        await fetchAll(sql`SELECT pg_sleep(30)`)
      }),
    )
    await pid.promise
    // Poll until the backend is seen running pg_sleep, then terminate it.
    for (let seen = false; !seen; ) {
      const rows = await admin("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE '%pg_sleep%'", [
        seenPid,
      ])
      seen = rows.length === 1
      if (!seen) await new Promise((r) => setTimeout(r, 20))
    }
    await terminate(seenPid)
    expect(await running).toBeInstanceOf(ConnectionError)
    await expectRecovered()
  })

  test("between statements: the next statement is a ConnectionError and nothing is committed", async () => {
    await connect(await freshPostgresUrl(), { autoMigrate: true, pool: { max: 2 } })
    const error = await rejection(
      transaction(async () => {
        await Account.create({ owner: "first" })
        const client = transactionClient()
        await terminate(await backendPid())
        await connectionEnded(client)
        await Account.create({ owner: "second" })
      }),
    )
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as Error).message).not.toMatch(/first|second/)
    await expectRecovered()
  })

  test("just before COMMIT: the commit is a ConnectionError and nothing is committed", async () => {
    await connect(await freshPostgresUrl(), { autoMigrate: true, pool: { max: 2 } })
    const error = await rejection(
      transaction(async () => {
        await Account.create({ owner: "a" })
        await Account.create({ owner: "b" })
        const client = transactionClient()
        await terminate(await backendPid())
        await connectionEnded(client)
      }),
    )
    expect(error).toBeInstanceOf(ConnectionError)
    await expectRecovered()
  })
})

describe.skipIf(!hasPostgres)("PostgreSQL: one transaction, concurrent statements", () => {
  afterEach(async () => {
    await resetEngine()
  })

  test("Promise.all inside a transaction queues on its client, in order, one statement at a time", async () => {
    await connect(await freshPostgresUrl(), { autoMigrate: true })
    const clientQuery = pg.Client.prototype.query
    let overlapping = 0
    const warnings: Array<string> = []
    const onWarning = (warning: Error) => warnings.push(warning.message)
    process.on("warning", onWarning)
    pg.Client.prototype.query = function (this: { _queryQueue: Array<unknown> }, ...args: Array<unknown>) {
      if (this._queryQueue.length > 0) overlapping++
      return (clientQuery as (...a: Array<unknown>) => unknown).apply(this, args)
    } as typeof clientQuery
    try {
      await transaction(async () => {
        await Promise.all(Array.from({ length: 25 }, (_, i) => Account.create({ owner: `o${i}`, balance: i })))
        const counts = await Promise.all(Array.from({ length: 10 }, () => Account.select().count()))
        expect(counts).toEqual(Array.from({ length: 10 }, () => 25))
      })
    } finally {
      pg.Client.prototype.query = clientQuery
      process.removeListener("warning", onWarning)
    }
    expect(overlapping).toBe(0)
    expect(warnings.filter((w) => w.includes("already executing"))).toEqual([])
    const rows = await Account.select().orderBy((a) => a.id).all()
    expect(rows.map((r) => r.balance)).toEqual(Array.from({ length: 25 }, (_, i) => i))
  })
})

describe.skipIf(!hasPostgres)("PostgreSQL: timeouts, deadlocks and serialization failures", () => {
  afterEach(async () => {
    await resetEngine()
  })

  test("statementTimeout: a longer statement is a StatementTimeout; the connection stays usable", async () => {
    await connect(await freshPostgresUrl(), { autoMigrate: true, statementTimeout: 50 })
    expect(await fetchOne(sql`SHOW statement_timeout`)).toEqual({ statement_timeout: "50ms" })
    const error = await rejection(fetchAll(sql`SELECT pg_sleep(5), ${"s3cret-bound"}::text AS v`))
    expect(error).toBeInstanceOf(StatementTimeout)
    expect((error as StatementTimeout)._tag).toBe("StatementTimeout")
    expect((error as Error).message).not.toContain("s3cret-bound")
    const inTransaction = await rejection(
      transaction(async () => {
        await Account.create({ owner: "rolled back" })
        await fetchAll(sql`SELECT pg_sleep(5)`)
      }),
    )
    expect(inTransaction).toBeInstanceOf(StatementTimeout)
    await expectRecovered()
  })

  test("lockTimeout: a longer lock wait is a LockTimeout that shows no bound value", async () => {
    const url = await freshPostgresUrl()
    await connect(url, { autoMigrate: true, lockTimeout: 50 })
    expect(await fetchOne(sql`SHOW lock_timeout`)).toEqual({ lock_timeout: "50ms" })
    const account = await Account.create({ owner: "locked", balance: 1 })
    const holder = new pg.Client({ connectionString: postgresUrl() })
    await holder.connect()
    try {
      await holder.query(`SET search_path TO "${new URL(url).searchParams.get("schema")}"`)
      await holder.query("BEGIN")
      await holder.query("SELECT * FROM faults_accounts WHERE id = $1 FOR UPDATE", [account.id])
      const error = await rejection(Account.where((a) => a.id.eq(account.id)).update({ owner: "s3cret-owner" }))
      expect(error).toBeInstanceOf(LockTimeout)
      expect((error as Error).message).not.toContain("s3cret-owner")
      await holder.query("ROLLBACK")
    } finally {
      await holder.end()
    }
    expect((await Account.get(account.id)).owner).toBe("locked")
  })

  test("a deadlock fails one transaction with DeadlockDetected; with retry both commit", async () => {
    await connect(await freshPostgresUrl(), { autoMigrate: true, pool: { max: 4 } })
    const a = await Account.create({ owner: "a", balance: 0 })
    const b = await Account.create({ owner: "b", balance: 0 })
    const run = async (retry: number) => {
      const aLocked = deferred()
      const bLocked = deferred()
      let attempts = 0
      const add = (id: number) => execute(sql`UPDATE faults_accounts SET balance = balance + 1 WHERE id = ${id}`)
      const first = transaction(
        async () => {
          attempts++
          await add(a.id)
          aLocked.resolve()
          await bLocked.promise
          await add(b.id)
        },
        { retry },
      )
      const second = transaction(
        async () => {
          attempts++
          await add(b.id)
          bLocked.resolve()
          await aLocked.promise
          await add(a.id)
        },
        { retry },
      )
      return { results: await Promise.allSettled([first, second]), attempts: () => attempts }
    }
    const once = await run(0)
    const failed = once.results.filter((r) => r.status === "rejected")
    expect(failed).toHaveLength(1)
    expect((failed[0] as PromiseRejectedResult).reason).toBeInstanceOf(DeadlockDetected)
    expect((failed[0] as PromiseRejectedResult).reason).toBeInstanceOf(TransactionError)
    expect(once.attempts()).toBe(2)
    const retried = await run(3)
    expect(retried.results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"])
    expect(retried.attempts()).toBe(3)
    // One transaction of the first round committed (+1 each), both of the second (+2 each).
    expect((await fetchAll(sql`SELECT balance FROM faults_accounts ORDER BY id`)).map((r) => r.balance)).toEqual([3, 3])
  })

  test("a serializable conflict is a SerializationFailure, and retry reruns the block to success", async () => {
    await connect(await freshPostgresUrl(), { autoMigrate: true, pool: { max: 4 } })
    const account = await Account.create({ owner: "shared", balance: 100 })
    const balance = async () => (await fetchOne<{ balance: number }>(sql`SELECT balance FROM faults_accounts WHERE id = ${account.id}`))!.balance
    const conflict = async (retry: number) => {
      const read = deferred()
      const committed = deferred()
      let attempts = 0
      const late = transaction(
        async () => {
          attempts++
          await balance() // takes the snapshot
          read.resolve()
          await committed.promise
          await execute(sql`UPDATE faults_accounts SET balance = balance + 20 WHERE id = ${account.id}`)
        },
        { isolation: "serializable", retry },
      ).then(
        () => null,
        (error: unknown) => error,
      )
      await read.promise
      await transaction(() => execute(sql`UPDATE faults_accounts SET balance = balance + 10 WHERE id = ${account.id}`), {
        isolation: "serializable",
      })
      committed.resolve()
      return { error: await late, attempts }
    }
    const failed = await conflict(0)
    expect(failed.error).toBeInstanceOf(SerializationFailure)
    expect(failed.error).toBeInstanceOf(TransactionError)
    expect(failed.attempts).toBe(1)
    expect(await balance()).toBe(110)
    const retried = await conflict(2)
    expect(retried.error).toBeNull()
    expect(retried.attempts).toBe(2)
    expect(await balance()).toBe(140)
  })

  test("Ferro.transaction(effect, { retry }) reruns a serializable conflict to success", async () => {
    await connect(await freshPostgresUrl(), { autoMigrate: true, pool: { max: 4 } })
    const account = await Account.create({ owner: "shared", balance: 100 })
    const read = deferred()
    const committed = deferred()
    let attempts = 0
    const late = Effect.runPromise(
      Ferro.transaction(
        Effect.gen(function* () {
          attempts++
          yield* fetchOne(sql`SELECT balance FROM faults_accounts WHERE id = ${account.id}`)
          read.resolve()
          yield* Effect.promise(() => committed.promise)
          yield* execute(sql`UPDATE faults_accounts SET balance = balance + 20 WHERE id = ${account.id}`)
          return "done"
        }),
        { isolation: "serializable", retry: 2 },
      ),
    )
    await read.promise
    await execute(sql`UPDATE faults_accounts SET balance = balance + 10 WHERE id = ${account.id}`)
    committed.resolve()
    expect(await late).toBe("done")
    expect(attempts).toBe(2)
    expect(await fetchOne(sql`SELECT balance FROM faults_accounts WHERE id = ${account.id}`)).toEqual({ balance: 130 })
  })
})

describeEachBackend("transaction retry", (backend) => {
  test("only SerializationFailure and DeadlockDetected are retried; attempts are counted", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    await Account.create({ owner: "taken" })
    let attempts = 0
    const unique = await rejection(
      transaction(
        async () => {
          attempts++
          await Account.create({ owner: "taken" })
        },
        { retry: 3 },
      ),
    )
    expect(unique).toBeInstanceOf(UniqueViolation)
    expect(attempts).toBe(1)

    attempts = 0
    const plain = await rejection(
      transaction(
        async () => {
          attempts++
          throw new Error("application failure")
        },
        { retry: 3 },
      ),
    )
    expect((plain as Error).message).toBe("application failure")
    expect(attempts).toBe(1)

    attempts = 0
    const transactionError = await rejection(
      transaction(
        async () => {
          attempts++
          throw new TransactionError("not a conflict")
        },
        { retry: 3 },
      ),
    )
    expect(transactionError).toBeInstanceOf(TransactionError)
    expect(attempts).toBe(1)

    attempts = 0
    const exhausted = await rejection(
      transaction(
        async () => {
          attempts++
          await Account.create({ owner: `attempt-${attempts}` })
          throw new SerializationFailure("could not serialize access")
        },
        { retry: 2 },
      ),
    )
    expect(exhausted).toBeInstanceOf(SerializationFailure)
    expect(attempts).toBe(3)
    expect(await Account.select().count()).toBe(1) // every attempt rolled back

    attempts = 0
    const result = await transaction(
      async () => {
        attempts++
        await Account.create({ owner: `ok-${attempts}` })
        if (attempts < 3) throw new DeadlockDetected("deadlock detected")
        return "committed"
      },
      { retry: 5 },
    )
    expect(result).toBe("committed")
    expect(attempts).toBe(3)
    expect((await Account.select().all()).map((a) => a.owner).sort()).toEqual(["ok-3", "taken"])
  })

  test("a nested block is a savepoint and never retries on its own", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    let inner = 0
    const error = await rejection(
      transaction(async () => {
        await transaction(
          async () => {
            inner++
            throw new SerializationFailure("conflict")
          },
          { retry: 3 },
        )
      }),
    )
    expect(error).toBeInstanceOf(SerializationFailure)
    expect(inner).toBe(1)
  })

  test("Ferro.transaction(effect, { retry }) retries only the retryable classes", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    let attempts = 0
    const flaky = Ferro.transaction(
      Effect.suspend(() => {
        attempts++
        return attempts < 3 ? Effect.fail(new SerializationFailure("conflict")) : Effect.succeed("ok")
      }),
      { retry: 3 },
    )
    expect(await Effect.runPromise(flaky)).toBe("ok")
    expect(attempts).toBe(3)

    attempts = 0
    const failing = Ferro.transaction(
      Effect.suspend(() => {
        attempts++
        return Effect.fail(new UniqueViolation("duplicate", {}))
      }),
      { retry: 3 },
    )
    const exit = await Effect.runPromise(Effect.flip(failing))
    expect(exit).toBeInstanceOf(UniqueViolation)
    expect(attempts).toBe(1)
  })

  test("retry must be a non-negative integer", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    let ran = 0
    for (const retry of [-1, 1.5, Number.NaN]) {
      expect(await rejection(transaction(async () => ran++, { retry }))).toBeInstanceOf(TransactionError)
    }
    expect(ran).toBe(0)
  })

  test("Promise.all inside a transaction runs every statement, in issue order", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    await transaction(async () => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => Account.create({ owner: `p${i}`, balance: i })))
    })
    const rows = await Account.select().orderBy((a) => a.id).all()
    expect(rows.map((r) => r.balance)).toEqual(Array.from({ length: 20 }, (_, i) => i))
  })
})

// -------------------------------------------------------------------------------------------
// MySQL / MariaDB: the same faults, a connection killed with KILL from an admin connection.
// -------------------------------------------------------------------------------------------

const hasMysql = mysqlUrl() !== undefined

/** Runs statements on a connection of its own (not Ferro's pool), closed afterwards. */
const mysqlAdmin = async <R = Array<Record<string, unknown>>>(text: string, values: Array<unknown> = [], url = mysqlUrl()): Promise<R> => {
  const connection = await mysql.createConnection(url)
  try {
    return (await connection.query(text, values))[0] as R
  } finally {
    await connection.end()
  }
}

/** The mysql2 connection a pooled connection or a transaction's handle wraps (its socket and thread id). */
type CoreConnection = { threadId: number; stream: { destroyed: boolean; once: (event: "close", listener: () => void) => void } }

/** The mysql2 connection of the transaction the caller runs in. */
const mysqlTransactionConnection = (): CoreConnection => {
  const scope = currentTransaction()
  if (scope === undefined) throw new Error("not in a transaction")
  return (scope.connection.driver as unknown as { connection: { connection: CoreConnection } }).connection.connection
}

/** Resolves once the connection's socket has closed (the server ended the session). */
const socketClosed = (connection: CoreConnection): Promise<void> =>
  connection.stream.destroyed ? Promise.resolve() : new Promise((resolve) => connection.stream.once("close", () => resolve()))

/** KILLs a server session: the server ends its statement, if any, and closes the connection. */
const kill = async (threadId: number): Promise<void> => {
  await mysqlAdmin(`KILL ${Number(threadId)}`)
}

const mysqlFreshUrl = freshMysqlUrl

describe.skipIf(!hasMysql)("MySQL: a connection killed while checked out", () => {
  afterEach(async () => {
    await resetEngine()
  })

  test("idle inside a transaction: the next statement is a ConnectionError", async () => {
    await connect(await mysqlFreshUrl(), { autoMigrate: true, pool: { max: 2 } })
    const tx = await beginTransaction()
    const connection = await tx.run(async () => {
      await Account.create({ owner: "lost" })
      return mysqlTransactionConnection()
    })
    await kill(connection.threadId)
    // The connection notices while it sits idle, checked out: that 'error' event must be handled.
    await socketClosed(connection)
    expect(await rejection(tx.run(() => Account.create({ owner: "lost 2" })))).toBeInstanceOf(ConnectionError)
    await tx.rollback().catch(() => undefined)
    expect(tx.closed).toBe(true)
    await expectRecovered()
  })

  test("mid-statement: the running statement is a ConnectionError and nothing is committed", async () => {
    await connect(await mysqlFreshUrl(), { autoMigrate: true, pool: { max: 2 } })
    const started = deferred()
    let threadId = 0
    const running = rejection(
      transaction(async () => {
        await Account.create({ owner: "lost" })
        threadId = mysqlTransactionConnection().threadId
        started.resolve()
        await fetchAll(sql`SELECT SLEEP(30) AS s`)
      }),
    )
    await started.promise
    // Poll until the session is seen running SLEEP, then kill it.
    for (let seen = false; !seen; ) {
      const rows = await mysqlAdmin<Array<unknown>>("SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ? AND INFO LIKE '%SLEEP%'", [threadId])
      seen = rows.length === 1
      if (!seen) await new Promise((r) => setTimeout(r, 20))
    }
    await kill(threadId)
    expect(await running).toBeInstanceOf(ConnectionError)
    await expectRecovered()
  })

  test("between statements: the next statement is a ConnectionError and nothing is committed", async () => {
    await connect(await mysqlFreshUrl(), { autoMigrate: true, pool: { max: 2 } })
    const error = await rejection(
      transaction(async () => {
        await Account.create({ owner: "first" })
        const connection = mysqlTransactionConnection()
        await kill(connection.threadId)
        await socketClosed(connection)
        await Account.create({ owner: "second" })
      }),
    )
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as Error).message).not.toMatch(/first|second/)
    await expectRecovered()
  })

  test("just before COMMIT: the commit is a ConnectionError and nothing is committed", async () => {
    await connect(await mysqlFreshUrl(), { autoMigrate: true, pool: { max: 2 } })
    const error = await rejection(
      transaction(async () => {
        await Account.create({ owner: "a" })
        await Account.create({ owner: "b" })
        const connection = mysqlTransactionConnection()
        await kill(connection.threadId)
        await socketClosed(connection)
      }),
    )
    expect(error).toBeInstanceOf(ConnectionError)
    await expectRecovered()
  })

  test("an idle pooled connection killed: it leaves the pool and the next query opens a fresh one", async () => {
    await connect(await mysqlFreshUrl(), { autoMigrate: true, pool: { max: 1 } })
    const threadId = Number((await fetchOne<{ id: unknown }>("SELECT CONNECTION_ID() AS id"))!.id)
    const pool = (getConnection().driver as unknown as { pool: { pool: { _freeConnections: { get: (i: number) => CoreConnection } } } }).pool.pool
    const idle = pool._freeConnections.get(0)
    expect(idle.threadId).toBe(threadId)
    await kill(threadId)
    await socketClosed(idle)
    await expectRecovered()
    expect(Number((await fetchOne<{ id: unknown }>("SELECT CONNECTION_ID() AS id"))!.id)).not.toBe(threadId)
  })

  test("a stream whose connection is killed fails with a ConnectionError", async () => {
    await connect(await mysqlFreshUrl(), { autoMigrate: true, pool: { max: 2 } })
    await Account.bulkCreate(Array.from({ length: 60 }, (_, i) => ({ owner: `s${i}` })))
    // 216,000 rows of 600 bytes: more than socket buffers hold, so the server is still sending
    // them (blocked on the socket the stream reads at its own pace) when the session is killed.
    const statement = {
      sql: "SELECT REPEAT(x.owner, 200) FROM faults_accounts x, faults_accounts y, faults_accounts z",
      params: [],
    }
    const iterator = getConnection().driver.stream!(statement, {}, 500)
    expect((await iterator.next()).done).toBe(false)
    for (let killed = false; !killed; ) {
      const rows = await mysqlAdmin<Array<{ ID: number }>>(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE '%REPEAT(x.owner, 200)%' AND INFO NOT LIKE '%PROCESSLIST%'",
      )
      if (rows.length === 1) {
        await kill(rows[0]!.ID)
        killed = true
      } else await new Promise((r) => setTimeout(r, 20))
    }
    const error = await rejection(
      (async () => {
        for (;;) if ((await iterator.next()).done) break
      })(),
    )
    expect(error).toBeInstanceOf(ConnectionError)
    await iterator.return?.(undefined)
    await Account.select().delete()
    await expectRecovered()
  })
})

describe.skipIf(!hasMysql)("MySQL: timeouts and deadlocks", () => {
  afterEach(async () => {
    await resetEngine()
  })

  test("statementTimeout: a longer statement is a StatementTimeout; the connection stays usable", async () => {
    // The tables are made on a connection without the timeout (MariaDB's max_statement_time
    // covers DDL too); 1 s leaves ordinary statements far from it even on a loaded machine.
    const url = await mysqlFreshUrl()
    await connect(url, { autoMigrate: true })
    await connect(url, { name: "short", statementTimeout: 1000 })
    expect(Number((await fetchOne(sql`SELECT @@max_statement_time AS t`, [], { using: "short" }))!.t)).toBe(1)
    const error = await rejection(fetchAll(sql`SELECT SLEEP(30) AS s, ${"s3cret-bound"} AS v`, [], { using: "short" }))
    expect(error).toBeInstanceOf(StatementTimeout)
    expect((error as StatementTimeout)._tag).toBe("StatementTimeout")
    expect((error as Error).message).not.toContain("s3cret-bound")
    // In a transaction MySQL fails only the statement; the block's failure rolls the rest back.
    const inTransaction = await rejection(
      transaction(
        async () => {
          await Account.create({ owner: "rolled back" })
          await fetchAll(sql`SELECT SLEEP(30) AS s`)
        },
        { using: "short" },
      ),
    )
    expect(inTransaction).toBeInstanceOf(StatementTimeout)
    expect(await Account.using("short").select().count()).toBe(0)
    await expectRecovered()
  })

  test("lockTimeout: a longer lock wait is a LockTimeout that shows no bound value", async () => {
    const url = await mysqlFreshUrl()
    // InnoDB counts lock waits in whole seconds: 1 ms is 1 s.
    await connect(url, { autoMigrate: true, lockTimeout: 1 })
    expect(Number((await fetchOne(sql`SELECT @@innodb_lock_wait_timeout AS t`))!.t)).toBe(1)
    const account = await Account.create({ owner: "locked", balance: 1 })
    const holder = await mysql.createConnection(url)
    try {
      await holder.query("START TRANSACTION")
      await holder.query("SELECT * FROM faults_accounts WHERE id = ? FOR UPDATE", [account.id])
      const error = await rejection(Account.where((a) => a.id.eq(account.id)).update({ owner: "s3cret-owner" }))
      expect(error).toBeInstanceOf(LockTimeout)
      expect((error as Error).message).not.toContain("s3cret-owner")
      await holder.query("ROLLBACK")
    } finally {
      await holder.end()
    }
    expect((await Account.get(account.id)).owner).toBe("locked")
  })

  test("a deadlock fails one transaction with DeadlockDetected (rolled back whole); with retry both commit", async () => {
    await connect(await mysqlFreshUrl(), { autoMigrate: true, pool: { max: 4 } })
    const a = await Account.create({ owner: "a", balance: 0 })
    const b = await Account.create({ owner: "b", balance: 0 })
    const run = async (retry: number, afterDeadlock?: () => Promise<void>) => {
      const aLocked = deferred()
      const bLocked = deferred()
      let attempts = 0
      const add = (id: number) => execute(sql`UPDATE faults_accounts SET balance = balance + 1 WHERE id = ${id}`)
      const block = (mine: number, theirs: number, locked: { resolve: () => void }, other: { promise: Promise<void> }) => async () => {
        attempts++
        await add(mine)
        locked.resolve()
        await other.promise
        try {
          await add(theirs)
        } catch (error) {
          if (error instanceof DeadlockDetected && afterDeadlock !== undefined) await afterDeadlock()
          throw error
        }
      }
      const first = transaction(block(a.id, b.id, aLocked, bLocked), { retry })
      const second = transaction(block(b.id, a.id, bLocked, aLocked), { retry })
      return { results: await Promise.allSettled([first, second]), attempts: () => attempts }
    }
    // InnoDB rolled the victim back whole and its session would autocommit what follows: the
    // transaction refuses any further statement, so nothing of it is written.
    let refused: unknown
    const once = await run(0, async () => {
      refused = await rejection(Account.create({ owner: "after the deadlock" }))
    })
    const failed = once.results.filter((r) => r.status === "rejected")
    expect(failed).toHaveLength(1)
    expect((failed[0] as PromiseRejectedResult).reason).toBeInstanceOf(DeadlockDetected)
    expect((failed[0] as PromiseRejectedResult).reason).toBeInstanceOf(TransactionError)
    expect(refused).toBeInstanceOf(TransactionError)
    expect(once.attempts()).toBe(2)
    expect(await Account.where((x) => x.owner.eq("after the deadlock")).count()).toBe(0)
    const retried = await run(3)
    expect(retried.results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"])
    expect(retried.attempts()).toBe(3)
    // One transaction of the first round committed (+1 each), both of the second (+2 each).
    expect((await fetchAll(sql`SELECT balance FROM faults_accounts ORDER BY id`)).map((r) => r.balance)).toEqual([3, 3])
  })
})
