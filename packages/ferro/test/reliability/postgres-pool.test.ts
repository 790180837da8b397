/**
 * Reliability: PostgreSQL resilience beyond test/faults.test.ts (issue 12 item 6, SPEC §5):
 * a `pg_ctl restart` of a server this file starts for itself (never the shared one) after
 * which the pool recovers, and pool exhaustion (max 5 under 200 concurrent queries and 50
 * concurrent transactions: all complete, no error, nothing leaked).
 *
 * Nothing here waits on a timer: barriers are promises, and the restart is synchronous
 * (`pg_ctl -w`).
 */
import { getConnection } from "@ferro/core/internal"
import type { PostgresDriver } from "@ferro/pg"
import pg from "pg"
import { afterAll, afterEach, beforeEach, describe, expect, test } from "vitest"
import { ConnectionError, Model, connect, fetchOne, field, resetEngine, sql, transaction } from "ferro-orm"
import { freshPostgresUrl, postgresUrl } from "../support/backends.js"
// @ts-expect-error plain ESM helper shared with the dev script
import { startPostgres } from "../../../../tooling/testing/postgres.mjs"

class Account extends Model("rel_pool_accounts", {
  id: field.id(),
  owner: field.text({ unique: true }),
  balance: field.int({ default: 0 }),
}) {}

interface Server {
  readonly url: string
  readonly stop: () => void
  readonly restart: () => void
}

const hasPostgres = postgresUrl() !== undefined

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

const poolOf = (): pg.Pool => (getConnection().driver as PostgresDriver).pool

const report = (area: string, tried: number, held: number, failures: ReadonlyArray<string>): void => {
  console.log(`reliability ${area}: tried ${tried}, held ${held}, failed ${failures.length}`)
  expect(failures).toEqual([])
}

describe.skipIf(!hasPostgres)("reliability: PostgreSQL pool", () => {
  test("pool max 5: 200 concurrent queries and 50 concurrent transactions all complete; nothing leaks", async () => {
    const appName = `ferro_rel_pool_${process.pid}`
    const url = new URL(await freshPostgresUrl())
    url.searchParams.set("application_name", appName)
    await connect(url.toString(), { autoMigrate: true, pool: { max: 5 } })
    const pool = poolOf()
    await Account.bulkCreate(Array.from({ length: 50 }, (_, i) => ({ owner: `acc-${i}`, balance: 100 })))
    let peak = 0
    const sample = () => (peak = Math.max(peak, pool.totalCount))
    const failures: Array<string> = []
    const queries = Array.from({ length: 200 }, async (_, i) => {
      sample()
      switch (i % 3) {
        case 0: {
          const row = await fetchOne<{ n: number }>(sql`SELECT ${i}::int AS n, pg_sleep(0.001)`)
          if (row?.n !== i) throw new Error(`query ${i} got ${row?.n}`)
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
        await fetchOne(sql`SELECT pg_sleep(0.001)`)
        sample()
      }),
    )
    const settled = await Promise.allSettled([...queries, ...transactions])
    settled.forEach((s, i) => {
      if (s.status === "rejected") failures.push(`${i < 200 ? `query ${i}` : `transaction ${i - 200}`}: ${String(s.reason)}`)
    })
    // Every transaction committed once, nothing else changed.
    const totals = await fetchOne<{ n: number; total: number }>(sql`SELECT count(*)::int AS n, sum(balance)::int AS total FROM rel_pool_accounts`)
    if (totals?.n !== 100 || totals.total !== 50 * 101 + 50) failures.push(`totals ${JSON.stringify(totals)}`)
    // Nothing leaked: at most 5 clients, all idle, nobody waiting, and the server agrees.
    if (peak > 5 || pool.totalCount > 5) failures.push(`pool grew to ${Math.max(peak, pool.totalCount)} clients`)
    if (pool.idleCount !== pool.totalCount || pool.waitingCount !== 0) {
      failures.push(`pool not idle: total ${pool.totalCount}, idle ${pool.idleCount}, waiting ${pool.waitingCount}`)
    }
    const admin = new pg.Client({ connectionString: postgresUrl() })
    await admin.connect()
    try {
      const [row] = (
        await admin.query<{ n: number; active: number }>(
          "SELECT count(*)::int AS n, count(*) FILTER (WHERE state <> 'idle')::int AS active FROM pg_stat_activity WHERE application_name = $1",
          [appName],
        )
      ).rows
      if (row!.n > 5 || row!.active !== 0) failures.push(`server sees ${row!.n} connections, ${row!.active} not idle`)
    } finally {
      await admin.end()
    }
    if (uncaught.length > 0) failures.push(`uncaught: ${uncaught.map(String).join("; ")}`)
    report("postgres pool exhaustion", settled.length, settled.length - failures.filter((f) => /^(query|transaction) /.test(f)).length, failures)
  }, 120_000)
})

describe.skipIf(!hasPostgres)("reliability: PostgreSQL server restart", () => {
  let server: Server | undefined
  // A test that hangs past its timeout never reaches its `finally`: never leave the server behind.
  afterAll(() => server?.stop())

  test("pg_ctl restart of the test's own server: idle pooled clients fail typed at most once each, then the pool recovers", async () => {
    const own = (await startPostgres()) as Server
    server = own
    try {
      const max = 3
      await connect(own.url, { autoMigrate: true, pool: { max } })
      await Account.create({ owner: "before", balance: 7 })
      // Fill the pool: `max` transactions hold a client each until all have started.
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
      expect(poolOf().totalCount).toBe(max)

      own.restart()

      let tried = 0
      let held = 0
      const failures: Array<string> = []
      // Each pooled client whose server connection died may fail once, with a ConnectionError.
      let deadClientFailures = 0
      let recovered = false
      for (let i = 0; i < max + 20; i++) {
        tried++
        try {
          expect(await Account.where((a) => a.owner.eq("before")).count()).toBe(1)
          held++
          recovered = true
        } catch (error) {
          if (error instanceof ConnectionError && deadClientFailures < max && !recovered) {
            deadClientFailures++
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
        const total = await fetchOne<{ total: number }>(sql`SELECT sum(balance)::int AS total FROM rel_pool_accounts`)
        expect(total?.total).toBe(9)
        held++
      } catch (error) {
        failures.push(`after restart: ${String(error)}`)
      }
      if (uncaught.length > 0) failures.push(`uncaught: ${uncaught.map(String).join("; ")}`)
      console.log(`(restart: ${deadClientFailures} of ${max} dead pooled clients surfaced as ConnectionError)`)
      report("postgres restart", tried, held, failures)
    } finally {
      await resetEngine()
      own.stop()
    }
  }, 180_000) // initdb, start and restart of a server of its own: slow on a loaded machine
})
