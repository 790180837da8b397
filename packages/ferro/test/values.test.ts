/**
 * One value check for every entry point (issue 12, items 3 and 5): create, save, query
 * update, where values, getOrCreate / updateOrCreate lookups and defaults run the same
 * per-field validation and raise the same `ValidationError` (naming the field, never quoting
 * the value) before any SQL (the driver's statement counter does not move). Also: 64-bit
 * storage for `field.int({ dbType: "bigint" })`, and calls routed to another connection inside
 * a transaction.
 */
import { beforeEach, describe, expect, test } from "vitest"
import { getConnection } from "@ferro/core/internal"
import {
  FerroError,
  Model,
  TransactionError,
  ValidationError,
  connect,
  execute,
  fetchAll,
  field,
  transaction,
} from "ferro-orm"
import { describeEachBackend } from "./support/backends.js"

class Item extends Model("val_items", {
  id: field.id(),
  name: field.text({ unique: true }),
  label: field.text({ nullable: true }),
  day: field.date({ nullable: true }),
  at: field.datetime({ nullable: true }),
  clock: field.time({ nullable: true }),
  doc: field.json({ nullable: true }),
  big: field.int({ dbType: "bigint", nullable: true }),
}) {}

type Property = "label" | "day" | "at" | "clock" | "doc" | "big"

/** A value that must never reach SQL, with the text that must never appear in an error. */
interface Bad {
  readonly kind: string
  readonly field: Property
  readonly value: () => unknown
  readonly secret: string
}

const cyclic = (): unknown => {
  const node: Record<string, unknown> = { secret: "cyc-secret-7" }
  node.self = node
  return node
}

const BAD: ReadonlyArray<Bad> = [
  { kind: "impossible datetime (Feb 30)", field: "at", value: () => "2024-02-30T00:00:00Z", secret: "2024-02-30" },
  { kind: "impossible datetime (month 13)", field: "at", value: () => "2024-13-01", secret: "2024-13-01" },
  { kind: "impossible datetime (hour 24)", field: "at", value: () => "2024-01-01T24:00:00Z", secret: "T24:00" },
  { kind: "invalid Date", field: "at", value: () => new Date("nope"), secret: "Invalid Date" },
  { kind: "impossible date (Feb 30)", field: "day", value: () => "2023-02-29", secret: "2023-02-29" },
  { kind: "impossible date (month 13)", field: "day", value: () => "2024-13-01", secret: "2024-13-01" },
  { kind: "impossible time (hour 25)", field: "clock", value: () => "25:00:00", secret: "25:00:00" },
  { kind: "impossible time (minute 60)", field: "clock", value: () => "12:60:00", secret: "12:60:00" },
  { kind: "Map in JSON", field: "doc", value: () => new Map([["map-secret-1", "v"]]), secret: "map-secret-1" },
  { kind: "Set in JSON", field: "doc", value: () => new Set(["set-secret-2"]), secret: "set-secret-2" },
  { kind: "Date in JSON", field: "doc", value: () => ({ when: new Date("2031-05-06T00:00:00Z") }), secret: "2031-05-06" },
  { kind: "function in JSON", field: "doc", value: () => ({ fn: () => "fn-secret-3" }), secret: "fn-secret-3" },
  { kind: "undefined in JSON", field: "doc", value: () => ({ gone: undefined, keep: "undef-secret-4" }), secret: "undef-secret-4" },
  { kind: "NaN in JSON", field: "doc", value: () => [Number.NaN, "nan-secret-5"], secret: "nan-secret-5" },
  { kind: "cycle in JSON", field: "doc", value: cyclic, secret: "cyc-secret-7" },
  { kind: "lone surrogate in JSON", field: "doc", value: () => ({ s: "json-secret-8\ud800" }), secret: "json-secret-8" },
  { kind: "lone high surrogate in text", field: "label", value: () => "txt-secret-9\ud800", secret: "txt-secret-9" },
  { kind: "lone low surrogate in text", field: "label", value: () => "\udc00txt-secret-10", secret: "txt-secret-10" },
  { kind: "int beyond the safe range", field: "big", value: () => 2 ** 53 + 2, secret: String(2 ** 53 + 2) },
]

type Run = (field: Property, value: unknown) => unknown

const statements = (name?: string): number => getConnection(name).driver.statementCount

/** Runs `fn`, expects a ValidationError naming `field` without the secret, and no statement. */
const refusedBeforeSql = async (bad: Bad, fn: () => unknown): Promise<void> => {
  const before = statements()
  let caught: unknown
  try {
    await fn()
  } catch (error) {
    caught = error
  }
  const where = `${bad.kind} (${bad.field})`
  expect(caught, where).toBeInstanceOf(ValidationError)
  expect(caught, where).toBeInstanceOf(FerroError)
  const error = caught as ValidationError
  expect(
    // bulkCreate() prefixes the item's index: `[0].at`.
    error.issues.some((i) => {
      const path = i.path.replace(/^\[\d+\]\./, "")
      return path === bad.field || path.startsWith(`${bad.field}.`)
    }),
    `${where}: ${JSON.stringify(error.issues)}`,
  ).toBe(true)
  for (const text of [error.message, String(error), error.stack ?? "", JSON.stringify(error)]) {
    expect(text, where).not.toContain(bad.secret)
  }
  expect(statements(), `${where}: no statement may run`).toBe(before)
}

describeEachBackend("one value check", (backend) => {
  let existing: Item

  beforeEach(async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    existing = await Item.create({ name: "existing", label: "l", day: "2024-02-29", doc: { a: 1 } })
  })

  const entries: ReadonlyArray<readonly [string, Run]> = [
    ["create()", (f, v) => Item.create({ name: "new", [f]: v } as never)],
    [
      "save()",
      (f, v) => {
        ;(existing as unknown as Record<string, unknown>)[f] = v
        return existing.save()
      },
    ],
    ["bulkCreate()", (f, v) => Item.bulkCreate([{ name: "new", [f]: v } as never])],
    ["query update()", (f, v) => Item.where((p) => p.id.gt(0)).update({ [f]: v } as never)],
    ["where eq", (f, v) => Item.where((p) => (p[f] as never as { eq(x: unknown): never }).eq(v)).all()],
    ["where ne", (f, v) => Item.where((p) => (p[f] as never as { ne(x: unknown): never }).ne(v)).count()],
    ["where gt", (f, v) => Item.where((p) => (p[f] as never as { gt(x: unknown): never }).gt(v)).all()],
    ["where gte", (f, v) => Item.where((p) => (p[f] as never as { gte(x: unknown): never }).gte(v)).first()],
    ["where lt", (f, v) => Item.where((p) => (p[f] as never as { lt(x: unknown): never }).lt(v)).exists()],
    ["where lte", (f, v) => Item.where((p) => (p[f] as never as { lte(x: unknown): never }).lte(v)).all()],
    ["where in", (f, v) => Item.where((p) => (p[f] as never as { in(x: unknown): never }).in([v])).all()],
    ["where notIn", (f, v) => Item.where((p) => (p[f] as never as { notIn(x: unknown): never }).notIn([v])).all()],
    [
      "where between",
      (f, v) => Item.where((p) => (p[f] as never as { between(a: unknown, b: unknown): never }).between(v, v)).all(),
    ],
    ["query delete() with a bad where", (f, v) => Item.where((p) => (p[f] as never as { eq(x: unknown): never }).eq(v)).delete()],
    ["getOrCreate() lookup", (f, v) => Item.getOrCreate({ name: "existing", [f]: v } as never)],
    ["getOrCreate() defaults", (f, v) => Item.getOrCreate({ name: "absent" }, { [f]: v } as never)],
    ["getOrCreate() defaults, row present", (f, v) => Item.getOrCreate({ name: "existing" }, { [f]: v } as never)],
    ["updateOrCreate() lookup", (f, v) => Item.updateOrCreate({ name: "existing", [f]: v } as never, { label: "x" })],
    ["updateOrCreate() defaults", (f, v) => Item.updateOrCreate({ name: "absent" }, { [f]: v } as never)],
    ["updateOrCreate() defaults, row present", (f, v) => Item.updateOrCreate({ name: "existing" }, { [f]: v } as never)],
  ]

  for (const [entry, run] of entries) {
    test(`${entry}: every bad value kind is a ValidationError naming the field, before any SQL`, async () => {
      const rowsBefore = await fetchAll("SELECT * FROM val_items ORDER BY id")
      for (const bad of BAD) {
        // save() works on the shared instance: start each value from its stored state.
        if (entry === "save()") await existing.refresh()
        await refusedBeforeSql(bad, () => run(bad.field, bad.value()))
      }
      if (entry === "save()") await existing.refresh()
      // Nothing half-written.
      expect(await fetchAll("SELECT * FROM val_items ORDER BY id")).toEqual(rowsBefore)
    })
  }

  test("like() / ilike() refuse NUL and lone surrogates before SQL (SQLite's LIKE stops at NUL)", async () => {
    await Item.create({ name: "ab" })
    await Item.create({ name: "abc" })
    for (const pattern of ["ab\u0000%", "\u0000", "x\ud800%"]) {
      for (const op of ["like", "ilike"] as const) {
        const bad: Bad = { kind: `${op} pattern`, field: "name" as Property, value: () => pattern, secret: pattern }
        await refusedBeforeSql(bad, () => Item.where((p) => p.name[op](pattern)).all())
      }
    }
    // Ordinary patterns still answer (and a surrogate pair is well-formed).
    expect((await Item.where((p) => p.name.like("ab%")).all()).map((i) => i.name).sort()).toEqual(["ab", "abc"])
    expect(await Item.where((p) => p.name.ilike("%😀%")).count()).toBe(0)
  })

  test("getOrCreate() / updateOrCreate() refuse defaults that contradict the lookup, before SQL", async () => {
    const contradict: Bad = { kind: "contradiction", field: "label" as Property, value: () => "other-secret", secret: "other-secret" }
    await refusedBeforeSql(contradict, () => Item.getOrCreate({ name: "absent", label: "one" }, { label: "other-secret" }))
    await refusedBeforeSql(contradict, () => Item.getOrCreate({ name: "existing", label: "l" }, { label: "other-secret" }))
    await refusedBeforeSql(contradict, () => Item.updateOrCreate({ name: "existing" , label: "l" }, { label: "other-secret" }))
    const byName: Bad = { kind: "contradiction", field: "name" as Property, value: () => "renamed-secret", secret: "renamed-secret" }
    await refusedBeforeSql(byName, () => Item.getOrCreate({ name: "existing" }, { name: "renamed-secret" }))
    // The same instant in two Date objects is the same value; repeating a lookup value is fine.
    const [made, created] = await Item.getOrCreate(
      { name: "fresh", at: new Date("2024-03-01T00:00:00Z") },
      { name: "fresh", at: new Date("2024-03-01T00:00:00Z"), label: "m" },
    )
    expect(created).toBe(true)
    expect(made.label).toBe("m")
    expect(made.at?.toISOString()).toBe("2024-03-01T00:00:00.000Z")
  })

  test("valid values still pass every entry point (ISO strings where a datetime is compared or updated)", async () => {
    expect(await Item.where((p) => p.at.isNull()).update({ at: "2024-02-29T12:30:00Z" } as never)).toBe(1)
    expect(await Item.where((p) => p.at.eq("2024-02-29T12:30:00+00:00")).count()).toBe(1)
    expect(await Item.where((p) => p.at.between("2024-02-29", "2024-03-01T00:00:00Z")).count()).toBe(1)
    expect(await Item.where((p) => p.day.eq("2024-02-29")).count()).toBe(1)
    expect(await Item.where((p) => p.clock.isNull()).update({ clock: "23:59:59.5" })).toBe(1)
    const doc = { nested: [1, "😀", null, { ok: true }], "k😀": 2.5 }
    const item = await Item.create({ name: "json", doc, label: "pair 😀" })
    const [again] = await Item.getOrCreate({ name: "json" }, { doc })
    expect(again).toBe(item)
    expect((await fetchAll<{ label: string }>("SELECT label FROM val_items WHERE name = 'json'"))[0]!.label).toBe("pair 😀")
  })

  test('field.int({ dbType: "bigint" }) takes safe integers beyond 32 bits on every path', async () => {
    const big = 2 ** 40 + 7
    const item = await Item.create({ name: "big", big })
    expect(item.big).toBe(big)
    expect(await Item.where((p) => p.big.eq(big)).count()).toBe(1)
    expect(await Item.where((p) => p.big.eq(big)).update({ big: Number.MAX_SAFE_INTEGER })).toBe(1)
    await item.refresh()
    expect(item.big).toBe(Number.MAX_SAFE_INTEGER)
    item.big = Number.MIN_SAFE_INTEGER
    await item.save()
    const [stored] = await fetchAll<{ big: number | bigint }>("SELECT big FROM val_items WHERE name = 'big'")
    expect(Number(stored!.big)).toBe(Number.MIN_SAFE_INTEGER)
    const [found, created] = await Item.getOrCreate({ big: Number.MIN_SAFE_INTEGER })
    expect(created).toBe(false)
    expect(found).toBe(item)
  })

  describe("calls routed to another connection inside a transaction", () => {
    const other = async () => connect(await backend.freshUrl(), { name: "other", autoMigrate: true })

    test("are refused with a TransactionError naming both connections, before SQL; nothing is written", async () => {
      await other()
      const before = statements("other")
      const attempts: ReadonlyArray<() => unknown> = [
        () => Item.using("other").create({ name: "stray" }),
        () => Item.using("other").get(1),
        () => Item.using("other").where((p) => p.name.eq("x")).all(),
        () => Item.using("other").getOrCreate({ name: "stray" }),
        () => Item.select().using("other").count(),
        () => execute("DELETE FROM val_items", [], { using: "other" }),
        () => fetchAll("SELECT 1 AS one", [], { using: "other" }),
      ]
      await transaction(async () => {
        for (const attempt of attempts) {
          let caught: unknown
          try {
            await attempt()
          } catch (error) {
            caught = error
          }
          expect(caught).toBeInstanceOf(TransactionError)
          expect((caught as Error).message).toContain("'other'")
          expect((caught as Error).message).toContain("'default'")
          expect((caught as Error).message).toContain("outsideTransaction")
        }
        // The transaction's own connection, named explicitly, is fine.
        expect(await Item.using("default").select().count()).toBe(1)
      })
      expect(statements("other")).toBe(before)
      expect(await Item.using("other").select().count()).toBe(0)
    })

    test("an instance loaded from another connection cannot be saved inside a transaction on the default one", async () => {
      await other()
      const there = await Item.using("other").create({ name: "there" })
      const before = statements("other")
      there.label = "changed"
      await transaction(async () => {
        await expect(there.save()).rejects.toBeInstanceOf(TransactionError)
      })
      expect(statements("other")).toBe(before)
      expect(await fetchAll("SELECT label FROM val_items", [], { using: "other" })).toEqual([{ label: null }])
    })

    test("run outside the transaction when they opt out with { outsideTransaction: true }", async () => {
      await other()
      class Rollback extends Error {}
      await expect(
        transaction(async () => {
          await Item.create({ name: "inside" })
          await Item.using("other", { outsideTransaction: true }).create({ name: "outside" })
          expect(await Item.select().using("other", { outsideTransaction: true }).count()).toBe(1)
          await execute("UPDATE val_items SET label = 'raw'", [], { using: "other", outsideTransaction: true })
          throw new Rollback()
        }),
      ).rejects.toBeInstanceOf(Rollback)
      expect(await Item.where((p) => p.name.eq("inside")).count()).toBe(0)
      expect(await fetchAll("SELECT name, label FROM val_items", [], { using: "other" })).toEqual([
        { name: "outside", label: "raw" },
      ])
    })

    test("a transaction on the named connection is joined as before", async () => {
      await other()
      await transaction(
        async () => {
          await Item.using("other").create({ name: "joined" })
          await Item.using("other").where((p) => p.name.eq("joined")).update({ label: "j" })
        },
        { using: "other" },
      )
      expect((await Item.using("other").where((p) => p.name.eq("joined")).first())?.label).toBe("j")
    })
  })
})

describe("field definitions", () => {
  test('field.int({ dbType: "bigint" }) validates to the safe-integer range; field.int() stays 32-bit', () => {
    class Wide extends Model("val_wide", { id: field.id(), n: field.int({ dbType: { postgres: "int8" } }), m: field.int() }) {}
    expect(new Wide({ n: 2 ** 31, m: 1 }).n).toBe(2 ** 31)
    expect(() => new Wide({ n: 2 ** 53, m: 1 })).toThrow(ValidationError)
    expect(() => new Wide({ n: 1, m: 2 ** 31 })).toThrow(ValidationError)
  })
})
