/**
 * SQLite, several connections to one file in one process: waiting for another connection's
 * lock never blocks the event loop (the driver sets SQLite's busy timeout to 0 and tries
 * BEGIN, statements and COMMIT again asynchronously), writable transactions begin
 * IMMEDIATE, a lock held past `lockTimeout` is a `LockTimeout`, and a stale DEFERRED
 * snapshot is a `SerializationFailure`. File backends only (an in-memory database has one
 * connection), both engines. Nothing here depends on timing: the lock holder releases only
 * after the waiter has been seen waiting, or has failed.
 */
import { afterEach, describe, expect, test } from "vitest"
import {
  LockTimeout,
  Model,
  SerializationFailure,
  beginTransaction,
  connect,
  execute,
  fetchOne,
  field,
  resetEngine,
  sql,
  transaction,
} from "ferro-orm"
import { backends } from "./support/backends.js"

class LockAccount extends Model("lock_accounts", {
  id: field.id(),
  balance: field.int(),
}) {}

const ACCOUNTS = 10
const START = 1000

const rejection = async (promise: PromiseLike<unknown>): Promise<unknown> =>
  Promise.resolve(promise).then(
    () => {
      throw new Error("expected a rejection")
    },
    (error: unknown) => error,
  )

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

const balanceOf = async (id: number, using?: string): Promise<number> =>
  Number(Object.values((await fetchOne(sql`SELECT balance FROM lock_accounts WHERE id = ${id}`, [], using === undefined ? {} : { using }))!)[0])

const total = async (): Promise<number> =>
  Number(Object.values((await fetchOne(sql`SELECT SUM(balance) AS total FROM lock_accounts`))!)[0])

/** Opens `default` (creating the table and accounts) and `second` on one new file. */
const twoConnections = async (url: string, second: { readonly lockTimeout?: number } = {}): Promise<void> => {
  await connect(url, { autoMigrate: true })
  await connect(url, { name: "second", ...second })
  for (let i = 0; i < ACCOUNTS; i++) await LockAccount.create({ balance: START })
}

for (const backend of backends.filter((b) => b.dialect === "sqlite" && b.name !== "sqlite-memory")) {
  describe(`SQLite lock waits [${backend.name}]`, () => {
    afterEach(async () => {
      await resetEngine()
    })

    test("40 concurrent read-modify-write transactions over two connections to one file all commit; the total holds", async () => {
      await twoConnections(await backend.freshUrl())
      const moves = Array.from({ length: 40 }, (_, i) => {
        const from = 1 + (i % ACCOUNTS)
        const to = 1 + ((i * 3 + 1) % ACCOUNTS)
        const amount = 1 + (i % 7)
        return transaction(
          async () => {
            const fromBalance = await balanceOf(from)
            // Give the other connection a turn mid-transaction, so the two really contend.
            await nextTurn()
            await execute(sql`UPDATE lock_accounts SET balance = ${fromBalance - amount} WHERE id = ${from}`)
            const toBalance = await balanceOf(to)
            await nextTurn()
            await execute(sql`UPDATE lock_accounts SET balance = ${toBalance + amount} WHERE id = ${to}`)
            return i
          },
          { using: i % 2 === 0 ? "default" : "second" },
        )
      })
      const results = await Promise.allSettled(moves)
      expect(results.filter((r) => r.status === "rejected")).toEqual([])
      expect(await total()).toBe(ACCOUNTS * START)
      // Every move landed exactly once: recompute the expected balances.
      const expected = Array.from({ length: ACCOUNTS }, () => START)
      for (let i = 0; i < 40; i++) {
        expected[i % ACCOUNTS]! -= 1 + (i % 7)
        expected[(i * 3 + 1) % ACCOUNTS]! += 1 + (i % 7)
      }
      for (let id = 1; id <= ACCOUNTS; id++) expect(await balanceOf(id, "second")).toBe(expected[id - 1])
    })

    test("the event loop keeps running while a transaction waits for another connection's lock", async () => {
      const url = await backend.freshUrl()
      // Long enough for any machine to take the turns below; short enough that an engine blocking the
      // event loop for the whole wait fails this test instead of hanging it.
      await twoConnections(url, { lockTimeout: 20_000 })
      await connect(url, { name: "reader" })
      const holder = await beginTransaction()
      await holder.run(() => execute(sql`UPDATE lock_accounts SET balance = balance + 1 WHERE id = 1`))

      let settled = false
      const waiting = transaction(() => execute(sql`UPDATE lock_accounts SET balance = balance + 1 WHERE id = 1`), {
        using: "second",
      }).finally(() => {
        settled = true
      })
      const autocommit = execute(sql`UPDATE lock_accounts SET balance = balance + 10 WHERE id = 2`, [], { using: "second" })

      // Other work proceeds meanwhile: turns of the event loop, and a read on a third connection.
      let turns = 0
      while (turns < 20) {
        await nextTurn()
        turns++
      }
      expect(await balanceOf(1, "reader")).toBe(START)
      expect(settled).toBe(false)

      await holder.commit()
      await waiting
      await autocommit
      expect(await balanceOf(1)).toBe(START + 2)
      expect(await balanceOf(2)).toBe(START + 10)
    })

    test("a lock held longer than lockTimeout ends in LockTimeout (BEGIN and autocommit statements); afterwards the connection works", async () => {
      await twoConnections(await backend.freshUrl(), { lockTimeout: 50 })
      const holder = await beginTransaction()
      await holder.run(() => execute(sql`UPDATE lock_accounts SET balance = balance + 1 WHERE id = 1`))

      let turns = 0
      let counting = true
      void (async () => {
        while (counting) {
          await nextTurn()
          turns++
        }
      })()
      const inTransaction = await rejection(
        transaction(() => execute(sql`UPDATE lock_accounts SET balance = ${12345} WHERE id = 1`), { using: "second" }),
      )
      expect(inTransaction).toBeInstanceOf(LockTimeout)
      expect((inTransaction as Error).message).toMatch(/lockTimeout, 50 ms/)
      expect((inTransaction as Error).message).not.toContain("12345")
      const autocommit = await rejection(execute(sql`UPDATE lock_accounts SET balance = 0 WHERE id = 2`, [], { using: "second" }))
      expect(autocommit).toBeInstanceOf(LockTimeout)
      counting = false
      // The waits let the event loop run.
      expect(turns).toBeGreaterThan(0)

      await holder.commit()
      await transaction(() => execute(sql`UPDATE lock_accounts SET balance = balance + 1 WHERE id = 1`), { using: "second" })
      expect(await balanceOf(1)).toBe(START + 2)
      expect(await balanceOf(2)).toBe(START)
    })

    test("lockTimeout 0 fails at once while another connection writes", async () => {
      await twoConnections(await backend.freshUrl(), { lockTimeout: 0 })
      const holder = await beginTransaction()
      await holder.run(() => execute(sql`UPDATE lock_accounts SET balance = balance + 1 WHERE id = 1`))
      expect(await rejection(execute(sql`UPDATE lock_accounts SET balance = 0 WHERE id = 2`, [], { using: "second" }))).toBeInstanceOf(
        LockTimeout,
      )
      await holder.rollback()
    })

    test("a DEFERRED transaction whose snapshot another connection made stale fails with SerializationFailure; retry reruns it", async () => {
      await twoConnections(await backend.freshUrl())
      // Another connection's autocommit write, issued from inside the block on purpose.
      const outside = { using: "second", outsideTransaction: true } as const
      let attempts = 0
      const result = await transaction(
        async () => {
          attempts++
          const before = await balanceOf(1)
          // The first attempt has read; another connection now commits a write.
          if (attempts === 1) await execute(sql`UPDATE lock_accounts SET balance = balance + 5 WHERE id = 1`, [], outside)
          await execute(sql`UPDATE lock_accounts SET balance = ${before + 1} WHERE id = 1`)
          return before
        },
        { sqliteMode: "deferred", retry: 2 },
      )
      expect(attempts).toBe(2)
      expect(result).toBe(START + 5)
      expect(await balanceOf(1, "second")).toBe(START + 6)

      // Without retry the failure is typed, and nothing of the block was written.
      const error = await rejection(
        transaction(
          async () => {
            await balanceOf(2)
            await execute(sql`UPDATE lock_accounts SET balance = balance + 5 WHERE id = 2`, [], outside)
            await execute(sql`UPDATE lock_accounts SET balance = 0 WHERE id = 2`)
          },
          { sqliteMode: "deferred" },
        ),
      )
      expect(error).toBeInstanceOf(SerializationFailure)
      expect(await balanceOf(2)).toBe(START + 5)
    })
  })
}
