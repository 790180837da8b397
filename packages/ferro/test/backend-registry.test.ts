/**
 * SPEC §1: a backend registers its URL schemes with its dialect and opener, and `connect()`
 * looks the scheme up in that registry. A third backend needs no change to query, hydrate,
 * migrate or ferro-orm: here one registered from a test (a SQLite connection behind a dialect
 * object of its own, with a different name) serves models end to end.
 */
import { afterEach, describe, expect, test } from "vitest"
import { type Dialect, type Driver, backendFor, getConnection, registerBackend } from "@ferro/core/internal"
import { openSqlite } from "@ferro/sqlite"
import { sqliteDialect } from "@ferro/sqlite/dialect"
import { Model, connect, disconnect, field, transaction } from "ferro-orm"

/** A dialect object of its own: SQLite's hooks under another name, counting placeholders. */
let placeholders = 0
const testDialect: Dialect = {
  ...sqliteDialect,
  name: "testdb",
  system: "other_sql",
  placeholder: (n) => {
    placeholders++
    return sqliteDialect.placeholder(n)
  },
}

/** `target` (a driver or a transaction) presented with `dialect`; its transactions too. */
const withDialect = <T extends object>(target: T, dialect: Dialect): T =>
  new Proxy(target, {
    get: (t, property) => {
      if (property === "dialect") return dialect
      const value: unknown = Reflect.get(t, property, t)
      if (property === "begin" && typeof value === "function") {
        return async (...args: Array<unknown>) => withDialect(await (value as (...a: Array<unknown>) => Promise<object>).apply(t, args), dialect)
      }
      return typeof value === "function" ? (value as (...a: Array<unknown>) => unknown).bind(t) : value
    },
  })

const opened: Array<{ url: string; options: unknown }> = []
registerBackend({
  schemes: ["testdb"],
  dialect: testDialect,
  open: async (url, options) => {
    opened.push({ url, options })
    return withDialect<Driver>(await openSqlite("sqlite::memory:"), testDialect)
  },
})

class Gadget extends Model("br_gadgets", {
  id: field.id(),
  name: field.text(),
  active: field.bool({ default: true }),
}) {}

afterEach(async () => {
  await disconnect()
})

describe("backend registry", () => {
  test("a registered scheme is found case-insensitively", () => {
    expect(backendFor("TESTDB")?.dialect).toBe(testDialect)
    expect(backendFor("nosuchdb")).toBeUndefined()
  })

  test("connect() opens a registered backend and everything runs on its dialect object", async () => {
    await connect("testdb://anything", { autoMigrate: true, lockTimeout: 10 })
    expect(opened.at(-1)).toEqual({ url: "testdb://anything", options: { lockTimeout: 10 } })
    expect(getConnection().driver.dialect).toBe(testDialect)
    const before = placeholders
    const made = await Gadget.create({ name: "sprocket" })
    const found = await Gadget.where((g) => g.name.eq("sprocket").and(g.active.eq(true))).first()
    expect(found).toBe(made)
    expect(await Gadget.where((g) => g.active.eq(false)).count()).toBe(0)
    expect(placeholders).toBeGreaterThan(before)
    await transaction(async () => {
      await Gadget.create({ name: "widget", active: false })
      expect(await Gadget.where((g) => g.active.eq(false)).count()).toBe(1)
    })
    expect(await Gadget.select().count()).toBe(2)
  })

  test("an unsupported scheme lists the registered ones too", async () => {
    await expect(connect("nosuchdb://x")).rejects.toThrow(/Supported schemes: .*testdb/)
  })
})
