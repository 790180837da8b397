/**
 * PostgreSQL-specific behaviour: the pool under concurrency, losing a server connection,
 * authentication failures, schema pinning and SQLSTATE classification. The shared
 * behavioural suite covers everything that is the same on both backends.
 */
import { getConnection } from "@ferro/core/internal"
import { PostgresDriver } from "@ferro/pg"
import pg from "pg"
import { afterEach, describe, expect, test } from "vitest"
import {
  ConnectionError,
  Model,
  QueryError,
  TransactionError,
  connect,
  disconnect,
  execute,
  fetchAll,
  fetchOne,
  field,
  ping,
  resetEngine,
  sql,
} from "ferro-orm"
import { freshPostgresUrl, postgresUrl } from "./support/backends.js"

class Account extends Model("pg_accounts", {
  id: field.id(),
  owner: field.text(),
  balance: field.int({ default: 0 }),
}) {}

afterEach(async () => {
  await resetEngine()
})

const withParams = (url: string, params: Record<string, string>): string => {
  const u = new URL(url)
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v)
  return u.toString()
}

const adminQuery = async <R extends pg.QueryResultRow>(text: string, values: Array<unknown> = []) => {
  const client = new pg.Client({ connectionString: postgresUrl() })
  await client.connect()
  try {
    return (await client.query<R>(text, values)).rows
  } finally {
    await client.end()
  }
}

describe("PostgreSQL pool", () => {
  test("pool sizing options reach the pg pool", async () => {
    await connect(await freshPostgresUrl(), { pool: { max: 3, min: 0 } })
    const driver = getConnection().driver as PostgresDriver
    expect(driver.pool.options.max).toBe(3)
    await expect(connect(await freshPostgresUrl(), { name: "bad", pool: { max: 0 } })).rejects.toBeInstanceOf(ConnectionError)
  })

  test("200 concurrent queries on a 4-connection pool each get their own answer", async () => {
    await connect(await freshPostgresUrl(), { autoMigrate: true, pool: { max: 4 } })
    await Account.bulkCreate(Array.from({ length: 100 }, (_, i) => ({ owner: `owner-${i}`, balance: i })))
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const n = i % 100
        if (i % 2 === 0) return [n, (await Account.where((a) => a.owner.eq(`owner-${n}`)).first())?.balance]
        const row = await fetchOne<{ n: number }>(sql`SELECT ${n}::int AS n, pg_sleep(0.001)`)
        return [n, row?.n]
      }),
    )
    for (const [expected, got] of results) expect(got).toBe(expected)
  })

  test("a killed server connection is a ConnectionError, and the pool recovers", async () => {
    const appName = `ferro_kill_${Date.now()}`
    await connect(withParams(await freshPostgresUrl(), { application_name: appName }), { autoMigrate: true, pool: { max: 2 } })
    // Settle into a value right away so the rejection is never unhandled while we wait.
    const running = fetchAll(sql`SELECT pg_sleep(30)`).then(
      () => null,
      (e: unknown) => e,
    )
    // Wait until the statement is running on the server (however long that takes on a loaded
    // machine; the test timeout bounds it), then terminate that backend.
    let terminated = 0
    while (terminated === 0) {
      await new Promise((r) => setTimeout(r, 20))
      const rows = await adminQuery<{ ok: boolean }>(
        "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%pg_sleep(30)%'",
        [appName],
      )
      terminated = rows.filter((r) => r.ok).length
    }
    expect(terminated).toBe(1)
    expect(await running).toBeInstanceOf(ConnectionError)
    // The pool drops the dead client; the next operations open a fresh one.
    await ping()
    const created = await Account.create({ owner: "after", balance: 1 })
    expect((await Account.get(created.id)).owner).toBe("after")
  })
})

describe("PostgreSQL connections", () => {
  test("a wrong password is a ConnectionError that shows neither password", async () => {
    const good = new URL(postgresUrl())
    const rightPassword = decodeURIComponent(good.password)
    const wrong = new URL(postgresUrl())
    wrong.password = "Wr0ngSecret"
    const error = await connect(wrong.toString()).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ConnectionError)
    const { message, url } = error as ConnectionError
    expect(message).toMatch(/password authentication failed/)
    for (const secret of ["Wr0ngSecret", rightPassword]) {
      expect(message).not.toContain(secret)
      expect(url ?? "").not.toContain(secret)
    }
    expect(message).toContain("<redacted>")
  })

  test("an unreachable server is a ConnectionError naming the redacted URL", async () => {
    const error = await connect("postgres://someone:TopSecret1@127.0.0.1:1/db").then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as Error).message).toContain("postgres://someone:<redacted>@127.0.0.1:1/db")
    expect((error as Error).message).not.toContain("TopSecret1")
  })

  test("?schema= pins search_path on every pooled connection", async () => {
    const a = await freshPostgresUrl()
    const b = await freshPostgresUrl()
    await connect(a, { autoMigrate: true, pool: { max: 3 } })
    await connect(b, { name: "b", autoMigrate: true, pool: { max: 3 } })
    await Account.create({ owner: "in-a" })
    await Account.using("b").create({ owner: "in-b-1" })
    await Account.using("b").create({ owner: "in-b-2" })
    // Many concurrent queries use several pooled connections: each must see its own schema.
    const counts = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? Account.select().count() : Account.using("b").select().count())),
    )
    counts.forEach((count, i) => expect(count).toBe(i % 2 === 0 ? 1 : 2))
    const schema = new URL(a).searchParams.get("schema")
    expect(await fetchOne(sql`SELECT current_schema() AS s`)).toEqual({ s: schema })
  })

  test("an invalid schema name is refused before connecting", async () => {
    await expect(connect(withParams(postgresUrl(), { schema: "x; DROP TABLE y" }))).rejects.toBeInstanceOf(ConnectionError)
    await expect(connect(withParams(postgresUrl(), { schema: "1abc" }))).rejects.toThrow(/Invalid schema/)
  })

  test("sslmode and other parameters pass through to pg", async () => {
    // The test server has no TLS: sslmode=disable connects, sslmode=require is refused by the server.
    await connect(withParams(await freshPostgresUrl(), { sslmode: "disable" }))
    await ping()
    await disconnect()
    await expect(connect(withParams(await freshPostgresUrl(), { sslmode: "require" }))).rejects.toBeInstanceOf(ConnectionError)
  })

  test("postgresql:// works as well as postgres://", async () => {
    await connect((await freshPostgresUrl()).replace(/^postgres:/, "postgresql:"))
    await ping()
  })
})

describe("PostgreSQL errors by SQLSTATE", () => {
  test("serialization failures and deadlocks surface as TransactionError", async () => {
    await connect(await freshPostgresUrl())
    for (const code of ["40001", "40P01"]) {
      const error = await execute(`DO $$ BEGIN RAISE EXCEPTION 'boom' USING ERRCODE = '${code}'; END $$`).then(
        () => null,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(TransactionError)
      expect((error as Error & { cause: { code: string } }).cause.code).toBe(code)
    }
  })

  test("a data error keeps the bound value out of the message", async () => {
    await connect(await freshPostgresUrl())
    const error = await fetchAll(sql`SELECT ${"NotANumber-s3cret"}::int AS n`).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(QueryError)
    expect((error as Error).message).toMatch(/invalid input syntax for type integer/)
    expect((error as Error).message).not.toContain("s3cret")
    expect((error as QueryError).parameterCount).toBe(1)
  })
})
