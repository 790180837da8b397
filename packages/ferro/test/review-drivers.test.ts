/**
 * Review findings (drivers, transactions, migrations). Each test asserts the CORRECT
 * behaviour; a failing test demonstrates a defect.
 */
import { expect, test } from "vitest"
import {
  MigrationError,
  Model,
  QueryError,
  connect,
  disconnect,
  execute,
  fetchAll,
  field,
  migrate,
  beginTransaction,
  sql,
  transaction,
} from "ferro-orm"
import { describeEachBackend } from "./support/backends.js"

class Rv2Item extends Model("rv2_items", {
  id: field.id(),
  name: field.text({ unique: true }),
  n: field.int({ default: 0 }),
}) {}

let counter = 0
const tableName = () => `rv2_t${counter++}`

/** Rejects with "timeout" when `promise` has not settled after `ms`. */
const within = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timeout after ${ms}ms`)), ms))])

describeEachBackend("review: drivers/transactions", (backend) => {
  test("rv2: a transaction whose block swallowed a failed statement does not report a commit that did not happen", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    await Rv2Item.create({ name: "taken" })
    const outcome = await transaction(async () => {
      await Rv2Item.create({ name: "kept" })
      // A duplicate the caller chooses to ignore (e.g. "insert if absent").
      await Rv2Item.create({ name: "taken" }).catch(() => undefined)
      return "done"
    }).then(
      (value) => value,
      (error: unknown) => error,
    )
    const kept = await Rv2Item.where((i) => i.name.eq("kept")).count()
    // Either the transaction says it did not commit, or it did commit what it said it did.
    if (outcome === "done") expect(kept).toBe(1)
    else expect(kept).toBe(0)
  })

  test("rv2: an explicitly routed call inside a nested transaction on another connection stays in the outer transaction", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    await connect("sqlite::memory:", { name: "rv2_other", autoMigrate: true })
    const run = transaction(async () => {
      await Rv2Item.create({ name: "outer" })
      await transaction(
        async () => {
          // Routed back to the default connection, which has an open transaction in this block.
          await Rv2Item.using("default").create({ name: "inner-on-default" })
        },
        { using: "rv2_other" },
      )
      throw new Error("roll the outer transaction back")
    })
    await expect(within(run, 20_000)).rejects.toThrow("roll the outer transaction back")
    // Everything the block did on the default connection rolled back together.
    expect(await Rv2Item.select().count()).toBe(0)
  })

  test("rv2: QueryError never carries a bound parameter value", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    const secret = 987654321012
    const error = await execute(sql`INSERT INTO rv2_items (name, n) VALUES (${"x"}, CAST(${secret} AS INTEGER) + 2147483647)`).then(
      () => null,
      (e: unknown) => e,
    )
    if (backend.dialect === "sqlite") return // SQLite stores it (no 32-bit integers)
    expect(error).toBeInstanceOf(QueryError)
    expect((error as Error).message).not.toContain(String(secret))
  })
})

describeEachBackend("review: closing", (backend) => {
  test("rv2: disconnect() while a transaction is open settles statements queued behind it", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    const tx = await beginTransaction()
    await tx.run(() => Rv2Item.create({ name: "in-tx" }))
    // Issued outside the transaction: SQLite queues it behind the open transaction.
    const queued = Promise.resolve(Rv2Item.create({ name: "outside" })).then(
      () => "resolved",
      (error: unknown) => (error as Error).constructor.name,
    )
    const closing = disconnect().then(() => "closed", (error: unknown) => error)
    // The queued statement must settle once the connection is closed (as a ConnectionError),
    // not wait for a transaction that can never end on a closed database.
    const settled = await within(queued, 20_000).catch((error: unknown) => (error as Error).message)
    await tx.rollback().catch(() => undefined)
    await within(closing, 20_000)
    expect(settled).toMatch(/^(resolved|ConnectionError)$/)
  })
})

describeEachBackend("review: migrations", (backend) => {
  const persistent = test.skipIf(backend.name === "sqlite-memory")

  persistent("rv2: migrateUpdates (not destructive) never drops a column the models no longer have", async () => {
    const table = tableName()
    const url = await backend.freshUrl()
    class V1 extends Model(table, { id: field.id(), name: field.text(), legacy: field.text({ nullable: true }) }) {}
    await connect(url, { autoMigrate: true })
    await V1.create({ name: "a", legacy: "keep me" })
    await disconnect()
    // The model changes a type (SQLite: a table rebuild) and no longer mentions `legacy`.
    Model(table, { id: field.id(), name: field.text({ maxLength: 50 }) })
    await connect(url, { migrateUpdates: true })
    const rows = await fetchAll(sql`SELECT * FROM ${sql.identifier(table)}`)
    expect(rows).toEqual([expect.objectContaining({ name: "a", legacy: "keep me" })])
  })

  persistent("rv2: migrateUpdates never truncates values when a maxLength shrinks", async () => {
    const table = tableName()
    const url = await backend.freshUrl()
    class V1 extends Model(table, { id: field.id(), name: field.text({ maxLength: 20 }) }) {}
    await connect(url, { autoMigrate: true })
    await V1.create({ name: "abcdefghijkl" })
    await disconnect()
    Model(table, { id: field.id(), name: field.text({ maxLength: 5 }) })
    const outcome = await connect(url, { migrateUpdates: true }).then(
      () => "migrated",
      (e: unknown) => e,
    )
    if (outcome !== "migrated") {
      expect(outcome).toBeInstanceOf(MigrationError)
      await connect(url)
    }
    const rows = await fetchAll(sql`SELECT name FROM ${sql.identifier(table)}`)
    expect(rows).toEqual([{ name: "abcdefghijkl" }])
  })
})
