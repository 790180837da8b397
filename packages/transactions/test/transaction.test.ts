/**
 * The transaction context on a real SQLite connection: commit, rollback on throw, savepoints
 * for nested blocks, the ambient transaction seen by nested helpers, and `retry` rerunning a
 * block only for SerializationFailure / DeadlockDetected.
 */
import { DeadlockDetected, SerializationFailure, TransactionError, UniqueViolation } from "@ferro/core"
import { registerConnection, unregisterConnection } from "@ferro/core"
import { transactionFor } from "@ferro/core/internal"
import { openSqlite } from "@ferro/sqlite"
import type { Driver } from "@ferro/core"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { beginTransaction, transaction } from "../src/index.js"

let driver: Driver

const count = async (): Promise<number> => {
  const [row] = await driver.rows({ sql: "SELECT COUNT(*) FROM items", params: [] })
  return Number(row![0])
}
const insert = (name: string) => (transactionFor(undefined)?.connection.driver ?? driver).execute({ sql: "INSERT INTO items (name) VALUES (?)", params: [name] })

beforeEach(async () => {
  driver = await openSqlite("sqlite::memory:")
  registerConnection("default", driver, { makeDefault: true })
  await driver.execute({ sql: "CREATE TABLE items (id integer PRIMARY KEY, name text UNIQUE NOT NULL)", params: [] })
})

afterEach(async () => {
  unregisterConnection("default")
  await driver.close()
})

describe("transaction()", () => {
  test("commits on success and rolls back on throw", async () => {
    await transaction(async () => {
      await insert("a")
      await insert("b")
    })
    await expect(
      transaction(async () => {
        await insert("c")
        throw new Error("boom")
      }),
    ).rejects.toThrow("boom")
    expect(await count()).toBe(2)
  })

  test("nested blocks are savepoints: an inner failure undoes only the inner writes", async () => {
    await transaction(async () => {
      await insert("outer")
      await expect(
        transaction(async () => {
          await insert("inner")
          throw new Error("inner")
        }),
      ).rejects.toThrow("inner")
      expect(transactionFor(undefined)).toBeDefined()
    })
    const rows = await driver.rows({ sql: "SELECT name FROM items", params: [] })
    expect(rows).toEqual([["outer"]])
  })

  test("retry reruns the whole block on SerializationFailure and DeadlockDetected only", async () => {
    let runs = 0
    const result = await transaction(
      async () => {
        runs++
        await insert(`try-${runs}`)
        if (runs === 1) throw new SerializationFailure("could not serialize")
        if (runs === 2) throw new DeadlockDetected("deadlock")
        return "done"
      },
      { retry: 3 },
    )
    expect(result).toBe("done")
    expect(runs).toBe(3)
    // the failed attempts were rolled back
    expect(await driver.rows({ sql: "SELECT name FROM items", params: [] })).toEqual([["try-3"]])

    let other = 0
    await expect(
      transaction(
        async () => {
          other++
          await insert("dup")
          await insert("dup")
        },
        { retry: 3 },
      ),
    ).rejects.toBeInstanceOf(UniqueViolation)
    expect(other).toBe(1)
  })

  test("retry gives up after the given number of reruns", async () => {
    let runs = 0
    await expect(
      transaction(
        async () => {
          runs++
          throw new SerializationFailure("again")
        },
        { retry: 2 },
      ),
    ).rejects.toBeInstanceOf(SerializationFailure)
    expect(runs).toBe(3)
  })

  test("bad arguments are TransactionErrors before BEGIN", async () => {
    const before = driver.statementCount
    await expect(transaction("nope" as never)).rejects.toBeInstanceOf(TransactionError)
    await expect(transaction(async () => 1, { retry: -1 })).rejects.toThrow()
    expect(driver.statementCount).toBe(before)
  })

  test("beginTransaction() gives manual commit and rollback", async () => {
    const handle = await beginTransaction()
    await handle.run(() => insert("manual"))
    await handle.rollback()
    expect(handle.closed).toBe(true)
    expect(await count()).toBe(0)
    const kept = await beginTransaction()
    await kept.run(() => insert("kept"))
    await kept.commit()
    expect(await count()).toBe(1)
  })
})
