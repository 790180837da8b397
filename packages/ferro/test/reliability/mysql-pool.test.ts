/**
 * Reliability: MySQL / MariaDB resilience beyond test/faults.test.ts, as postgres-pool.test.ts
 * does for PostgreSQL: pool exhaustion (max 5 under 200 concurrent queries and 50 concurrent
 * transactions: all complete, no error, nothing leaked), and a restart of a server this file
 * starts for itself (never the shared one) after which the pool recovers.
 *
 * Nothing here waits on a timer: barriers are promises, and the restart is synchronous.
 */
import { getConnection } from "@ferro/core/internal"
import type { MysqlDriver } from "@ferro/mysql"
import mysql from "mysql2/promise"
import { afterAll, afterEach, beforeEach, describe, expect, test } from "vitest"
import { ConnectionError, Model, connect, fetchOne, field, resetEngine, sql, transaction } from "ferro-orm"
import { freshMysqlUrl, mysqlUrl } from "../support/backends.js"
// @ts-expect-error plain ESM helper shared with the dev script
import { startMariadb } from "../../../../tooling/testing/mariadb.mjs"

class Account extends Model("rel_mpool_accounts", {
  id: field.id(),
  owner: field.text({ unique: true }),
  balance: field.int({ default: 0 }),
}) {}

interface Server {
  readonly url: string
  readonly stop: () => void
  readonly restart: () => void
}

const hasMysql = mysqlUrl() !== undefined

const uncaught: Array<unknown> = []
const onUncaught = (error: unknown) => uncaught.push(error)
beforeEach(() => {
  uncaught.length = 0
  process.on("uncaughtException", onUncaught)
})
afterEach(async () => {
  process.removeListener("uncaughtException", onUncaught)
  await resetEngine()
})

const deferred = () => {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

/** mysql2's callback pool under the promise wrapper: its connection lists (no public counters). */
const poolOf = () =>
  ((getConnection().driver as MysqlDriver).pool as unknown as { pool: unknown }).pool as {
    _allConnections: { length: number }
    _freeConnections: { length: number }
    _connectionQueue: { length: number }
  }

const report = (area: string, tried: number, held: number, failures: ReadonlyArray<string>): void => {
  console.log(`reliability ${area}: tried ${tried}, held ${held}, failed ${failures.length}`)
  expect(failures).toEqual([])
}

describe.skipIf(!hasMysql)("reliability: MySQL pool", () => {
  test("pool max 5: 200 concurrent queries and 50 concurrent transactions all complete; nothing leaks", async () => {
    const url = await freshMysqlUrl()
    const database = new URL(url).pathname.slice(1)
    await connect(url, { autoMigrate: true, pool: { max: 5 } })
    const pool = poolOf()
    await Account.bulkCreate(Array.from({ length: 50 }, (_, i) => ({ owner: `acc-${i}`, balance: 100 })))
    let peak = 0
    const sample = () => (peak = Math.max(peak, pool._allConnections.length))
    const failures: Array<string> = []
    const queries = Array.from({ length: 200 }, async (_, i) => {
      sample()
      switch (i % 3) {
        case 0: {
          const row = await fetchOne<{ n: unknown }>(sql`SELECT ${i} + 0 AS n, SLEEP(0.001) AS s`)
          if (Number(row?.n) !== i) throw new Error(`query ${i} got ${String(row?.n)}`)
          break
        }
        case 1: {
          const found = await Account.where((a) => a.owner.eq(`acc-${i % 50}`)).first()
          if (found?.owner !== `acc-${i % 50}`) throw new Error(`query ${i} found ${found?.owner}`)
          break
        }
        default:
          if ((await Account.select().count()) < 50) throw new Error(`query ${i} counted too few`)
      }
      sample()
    })
    const transactions = Array.from({ length: 50 }, (_, i) =>
      transaction(async () => {
        sample()
        await Account.where((a) => a.owner.eq(`acc-${i}`)).update({ balance: (a) => a.balance.add(1) })
        await Account.create({ owner: `tx-${i}`, balance: 1 })
        await fetchOne(sql`SELECT SLEEP(0.001) AS s`)
        sample()
      }),
    )
    const settled = await Promise.allSettled([...queries, ...transactions])
    settled.forEach((s, i) => {
      if (s.status === "rejected") failures.push(`${i < 200 ? `query ${i}` : `transaction ${i - 200}`}: ${String(s.reason)}`)
    })
    // Every transaction committed once, nothing else changed.
    const totals = await fetchOne<{ n: unknown; total: unknown }>(sql`SELECT count(*) AS n, sum(balance) AS total FROM rel_mpool_accounts`)
    if (Number(totals?.n) !== 100 || Number(totals?.total) !== 50 * 101 + 50) failures.push(`totals ${JSON.stringify(totals)}`)
    // Nothing leaked: at most 5 connections, all idle, nobody waiting, and the server agrees.
    if (peak > 5 || pool._allConnections.length > 5) failures.push(`pool grew to ${Math.max(peak, pool._allConnections.length)} connections`)
    if (pool._freeConnections.length !== pool._allConnections.length || pool._connectionQueue.length !== 0) {
      failures.push(
        `pool not idle: total ${pool._allConnections.length}, idle ${pool._freeConnections.length}, waiting ${pool._connectionQueue.length}`,
      )
    }
    const admin = await mysql.createConnection(mysqlUrl())
    try {
      const [rows] = await admin.query("SELECT COMMAND, INFO FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()", [database])
      const sessions = rows as Array<{ COMMAND: string }>
      const active = sessions.filter((r) => r.COMMAND !== "Sleep")
      if (sessions.length > 5 || active.length !== 0) failures.push(`server sees ${sessions.length} connections, ${active.length} not idle`)
    } finally {
      await admin.end()
    }
    if (uncaught.length > 0) failures.push(`uncaught: ${uncaught.map(String).join("; ")}`)
    report("mysql pool exhaustion", settled.length, settled.length - failures.filter((f) => /^(query|transaction) /.test(f)).length, failures)
  }, 120_000)
})

describe.skipIf(!hasMysql)("reliability: MySQL server restart", () => {
  let server: Server | undefined
  // A test that hangs past its timeout never reaches its `finally`: never leave the server behind.
  afterAll(() => server?.stop())

  test("restart of the test's own server: idle pooled connections fail typed at most once each, then the pool recovers", async () => {
    const own = (await startMariadb()) as Server
    server = own
    try {
      const max = 3
      await connect(own.url, { autoMigrate: true, pool: { max } })
      await Account.create({ owner: "before", balance: 7 })
      // Fill the pool: `max` transactions hold a connection each until all have started.
      const started = Array.from({ length: max }, deferred)
      const release = deferred()
      await Promise.all([
        ...started.map((s) =>
          transaction(async () => {
            await fetchOne(sql`SELECT 1 AS one`)
            s.resolve()
            await release.promise
          }),
        ),
        Promise.all(started.map((s) => s.promise)).then(() => release.resolve()),
      ])
      expect(poolOf()._allConnections.length).toBe(max)

      own.restart()

      let tried = 0
      let held = 0
      const failures: Array<string> = []
      // Each pooled connection whose server session died may fail once, with a ConnectionError.
      let deadFailures = 0
      let recovered = false
      for (let i = 0; i < max + 20; i++) {
        tried++
        try {
          expect(await Account.where((a) => a.owner.eq("before")).count()).toBe(1)
          held++
          recovered = true
        } catch (error) {
          if (error instanceof ConnectionError && deadFailures < max && !recovered) {
            deadFailures++
            held++
          } else failures.push(`attempt ${i}: ${String(error)}`)
        }
      }
      // Writes and transactions work again; the row written before the restart is still there.
      tried++
      try {
        await transaction(async () => {
          await Account.create({ owner: "after", balance: 1 })
          await Account.where((a) => a.owner.eq("before")).update({ balance: 8 })
        })
        const total = await fetchOne<{ total: unknown }>(sql`SELECT sum(balance) AS total FROM rel_mpool_accounts`)
        expect(Number(total?.total)).toBe(9)
        held++
      } catch (error) {
        failures.push(`after restart: ${String(error)}`)
      }
      if (uncaught.length > 0) failures.push(`uncaught: ${uncaught.map(String).join("; ")}`)
      console.log(`(restart: ${deadFailures} of ${max} dead pooled connections surfaced as ConnectionError)`)
      report("mysql restart", tried, held, failures)
    } finally {
      await resetEngine()
      own.stop()
    }
  }, 180_000)
})
