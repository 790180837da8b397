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
import { MAX_NAMED_SQL, NAMED_STATEMENTS } from "../../pg/src/names.js"
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

describe("PostgreSQL named prepared statements", () => {
  /** The prepared statements of the pool's one connection (`pool: { max: 1 }`). */
  const prepared = async (): Promise<Array<{ name: string; statement: string }>> =>
    (await fetchAll("SELECT name, statement FROM pg_prepared_statements ORDER BY name")) as Array<{ name: string; statement: string }>

  test("a text sent twice is prepared under a name and reused; one-off texts and long texts stay unnamed", async () => {
    await connect(await freshPostgresUrl(), { autoMigrate: true, pool: { max: 1 } })
    const ada = await Account.create({ owner: "ada", balance: 5 })
    const lookup = () => fetchOne(sql`SELECT owner FROM pg_accounts WHERE id = ${ada.id}`)
    expect(await lookup()).toEqual({ owner: "ada" })
    expect((await prepared()).filter((p) => p.statement.includes("SELECT owner FROM pg_accounts"))).toEqual([])
    expect(await lookup()).toEqual({ owner: "ada" })
    const named = (await prepared()).filter((p) => p.statement.includes("SELECT owner FROM pg_accounts"))
    expect(named).toHaveLength(1)
    expect(named[0]!.name).toMatch(/^ferro_\d+$/)
    // Reused: no second prepared statement for the same text.
    for (let i = 0; i < 3; i++) expect(await lookup()).toEqual({ owner: "ada" })
    expect((await prepared()).filter((p) => p.statement.includes("SELECT owner FROM pg_accounts"))).toEqual(named)
    // A text over MAX_NAMED_SQL characters (a multi-row INSERT, say) is never prepared by name.
    const long = sql`SELECT owner FROM pg_accounts WHERE id = ${ada.id} AND owner <> ${"x".repeat(10)} /* ${sql.raw("y".repeat(MAX_NAMED_SQL))} */`
    for (let i = 0; i < 3; i++) await fetchOne(long)
    expect((await prepared()).some((p) => p.statement.includes("yyyy"))).toBe(false)
  })

  test("at most NAMED_STATEMENTS texts are named, so dynamic SQL cannot grow the server's prepared statements", async () => {
    await connect(await freshPostgresUrl(), { autoMigrate: true, pool: { max: 1 } })
    for (let i = 0; i < NAMED_STATEMENTS + 20; i++) {
      const text = sql`SELECT ${i} + ${sql.raw(String(i))} AS n`
      for (let twice = 0; twice < 2; twice++) expect(await fetchOne(text)).toEqual({ n: 2 * i })
    }
    expect((await prepared()).filter((p) => /^ferro_\d+$/.test(p.name)).length).toBe(NAMED_STATEMENTS)
    expect((getConnection().driver as PostgresDriver).names.size).toBe(NAMED_STATEMENTS)
  })

  test("a column type changed behind Ferro's back: the statement is sent again unnamed and names start over", async () => {
    const url = await freshPostgresUrl()
    await connect(url, { autoMigrate: true, pool: { max: 1 } })
    const ada = await Account.create({ owner: "ada", balance: 5 })
    for (let i = 0; i < 2; i++) expect((await Account.get(ada.id)).balance).toBe(5)
    const driver = getConnection().driver as PostgresDriver
    expect(driver.names.size).toBeGreaterThan(0)
    // Another client changes the result type of the prepared lookup: PostgreSQL would answer
    // "cached plan must not change result type".
    const schema = new URL(url).searchParams.get("schema")!
    await adminQuery(`ALTER TABLE "${schema}".pg_accounts ALTER COLUMN balance TYPE bigint`)
    await execute(sql`UPDATE pg_accounts SET balance = ${6} WHERE id = ${ada.id}`)
    const again = await fetchOne(sql`SELECT balance FROM pg_accounts WHERE id = ${ada.id}`)
    expect(Number((again as { balance: unknown }).balance)).toBe(6)
    await Account.get(ada.id)
    expect(driver.names.size).toBe(0)
  })

  test("schemaChanged() (after a migration) stops reusing names: the next sightings prepare anew", async () => {
    await connect(await freshPostgresUrl(), { autoMigrate: true, pool: { max: 1 } })
    const ada = await Account.create({ owner: "ada" })
    for (let i = 0; i < 2; i++) await Account.get(ada.id)
    const before = (await prepared()).filter((p) => p.statement.includes('FROM "pg_accounts"')).map((p) => p.name)
    expect(before).toHaveLength(1)
    const driver = getConnection().driver as PostgresDriver
    driver.schemaChanged()
    expect(driver.names.size).toBe(0)
    for (let i = 0; i < 2; i++) await Account.get(ada.id)
    const after = (await prepared()).filter((p) => p.statement.includes('FROM "pg_accounts"')).map((p) => p.name)
    expect(after).toHaveLength(2)
    expect(after).toContain(before[0])
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
