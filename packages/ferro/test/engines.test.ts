/**
 * The hydration engines side by side. The differential test writes every logical type's edge
 * values once per backend and requires every engine to read back identical instances: the
 * generated-JS engine on better-sqlite3, the native engine (C++ addon stepping SQLite
 * itself), lazy columnar views (native) and lazy array-backed views (better-sqlite3), and the
 * generated-JS engine on PostgreSQL. The rest covers engine selection, the fallback when the
 * addon is missing, and the lazy result API.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, afterEach, describe, expect, test, vi } from "vitest"
import { ConnectionError, QueryError, getConnection } from "@ferro/core/internal"
import { loadNativeEngine } from "@ferro/sqlite-native"
import { SqliteDriver } from "@ferro/sqlite"
import { LazyRows, Model, connect, field, resetEngine, transaction, type ModelClass } from "ferro-orm"
import { freshMysqlUrl, freshPostgresUrl } from "./support/backends.js"

const STATUSES = ["draft", "published", "archived"] as const

class Edge extends Model("eng_edges", {
  id: field.id(),
  big: field.bigint({ nullable: true }),
  amount: field.decimal({ nullable: true }),
  at: field.datetime({ nullable: true }),
  day: field.date({ nullable: true }),
  clock: field.time({ nullable: true }),
  uid: field.uuid({ nullable: true }),
  blob: field.bytes({ nullable: true }),
  doc: field.json({ nullable: true }),
  status: field.enum(STATUSES, { nullable: true }),
  flag: field.bool({ nullable: true }),
  count: field.int({ nullable: true }),
  ratio: field.float({ nullable: true }),
  label: field.text({ nullable: true }),
}) {}

/** A model without 64-bit columns: the engines read its integers as plain numbers. */
class Plain extends Model("eng_plain", {
  id: field.id(),
  count: field.int(),
  flag: field.bool(),
  label: field.text(),
  at: field.datetime(),
  owner: field.foreignKey((): ModelClass<Owner> => Owner, { relatedName: "plains", nullable: true }),
}) {}

class Owner extends Model("eng_owners", {
  id: field.id(),
  name: field.text(),
  plains: field.backRef((): ModelClass<Plain> => Plain),
}) {}

/** A subclass with its own field initialiser, getter and method: hydration must keep them. */
class Rich extends Model("eng_rich", {
  id: field.id(),
  first: field.text(),
  last: field.text(),
}) {
  visits = 0
  get full(): string {
    return `${this.first} ${this.last}`
  }
  greet(): string {
    this.visits++
    return `hello ${this.full}`
  }
}

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i)

/** Edge values per column, cycled so that every value of every column appears in some row. */
const EDGES = {
  big: [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, 0n, -1n],
  amount: ["12345678901234567890.123456789", "-0.000000000000000000000000001", "0", "1.50", "-42"],
  at: [
    new Date("2024-02-29T23:59:59.999Z"),
    new Date("1970-01-01T00:00:00.000Z"),
    new Date("1899-12-31T12:00:00.001Z"),
    new Date("9999-12-31T23:59:59.999Z"),
  ],
  day: ["2024-02-29", "0001-01-01", "9999-12-31"],
  clock: ["00:00:00", "23:59:59.999999", "12:30:00.5"],
  uid: ["0F0E0D0C-0B0A-4000-8000-ABCDEF012345", "00000000-0000-0000-0000-000000000000"],
  blob: [ALL_BYTES, new Uint8Array(0), new Uint8Array([0])],
  doc: [{ nested: [1, "é", null, { deep: true }], n: -1.5 }, [], "text", 0, { "": "" }],
  status: ["draft", "published", "archived"],
  flag: [true, false],
  count: [2147483647, -2147483648, 0],
  ratio: [0.1, -2.5e-300, 1.7976931348623157e308, 0],
  label: ["", "emoji 🎉 and ü and 中文", "quote ' and \" and \\ and %_", "x".repeat(10_000), "line\nbreak\ttab"],
} as const

const ROWS = 12

const edgeInputs = () =>
  Array.from({ length: ROWS }, (_, r) =>
    Object.fromEntries(
      Object.entries(EDGES).map(([key, values]) => {
        // The last row is all NULLs.
        if (r === ROWS - 1) return [key, null]
        return [key, values[r % values.length]]
      }),
    ),
  )

const columnProps = (instance: object): Record<string, unknown> => {
  const record = instance as Record<string, unknown>
  return Object.fromEntries(Edge.metadata.columns.map((c) => [c.property, record[c.property]]))
}

/** Normalises what `toEqual` would treat loosely: byte arrays become plain arrays of numbers. */
const comparable = (props: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(props).map(([k, v]) => [k, v instanceof Uint8Array ? { bytes: [...v] } : v]))

const tempDirs: Array<string> = []
const tempFile = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "ferro-engines-"))
  tempDirs.push(dir)
  return join(dir, "engines.db")
}

afterEach(async () => {
  await resetEngine()
})

afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const seedEdges = async (name: string): Promise<void> => {
  for (const input of edgeInputs()) await Edge.using(name).create(input as never)
}

/** Every read path of one connection, as comparable column props in id order. */
const readAll = async (name: string): Promise<Record<string, Array<Record<string, unknown>>>> => {
  const ordered = Edge.using(name).select().orderBy((e) => e.id)
  const instances = await ordered.all()
  const lazy = await ordered.all({ lazy: true })
  const views = [...lazy].map((row) => comparable(row.toJSON() as Record<string, unknown>))
  const viewProps = [...lazy].map((row) =>
    comparable(Object.fromEntries(Edge.metadata.columns.map((c) => [c.property, (row as Record<string, unknown>)[c.property]]))),
  )
  const materialized = lazy.materialize()
  // Materialising goes through the identity map: the very instances all() returned.
  materialized.forEach((instance, i) => expect(instance).toBe(instances[i]))
  return {
    instances: instances.map((i) => comparable(columnProps(i))),
    lazyToJSON: views,
    lazyGetters: viewProps,
  }
}

describe("differential: every type and edge value through every engine on every backend", () => {
  test("the generated-JS, native and lazy engines read identical instances on SQLite, PostgreSQL and MariaDB", async () => {
    const expected = edgeInputs().map((input, i) =>
      comparable({
        ...columnProps(new Edge(input as never)),
        id: i + 1,
      }),
    )
    const file = tempFile()
    await connect(`sqlite:${file}`, { name: "js", autoMigrate: true })
    await seedEdges("js")
    await connect(`sqlite:${file}`, { name: "native", engine: "native" })
    expect((getConnection("native").driver as SqliteDriver).engine).toBe("native")
    expect((getConnection("js").driver as SqliteDriver).engine).toBe("js")
    await connect(await freshPostgresUrl(), { name: "pg", autoMigrate: true })
    await seedEdges("pg")
    await connect(await freshMysqlUrl(), { name: "mysql", autoMigrate: true })
    await seedEdges("mysql")

    const results = {
      js: await readAll("js"),
      native: await readAll("native"),
      pg: await readAll("pg"),
      mysql: await readAll("mysql"),
    }
    // MySQL keeps an unconstrained decimal as DECIMAL(65,30): the same value, without the
    // trailing zeros it was written with ("1.50" reads "1.5"). Every other value is identical.
    const onMysql = expected.map((row) => ({
      ...row,
      amount: typeof row.amount === "string" && row.amount.includes(".") ? row.amount.replace(/\.?0+$/, "") : row.amount,
    }))
    for (const [engine, paths] of Object.entries(results)) {
      for (const [path, rows] of Object.entries(paths)) {
        expect({ engine, path, rows }).toEqual({ engine, path, rows: engine === "mysql" ? onMysql : expected })
      }
    }
    // Types survive exactly, not just values: bigint stays bigint, Date stays Date.
    const [first] = await Edge.using("native").select().orderBy((e) => e.id).limit(1).all()
    expect(typeof first!.big).toBe("bigint")
    expect(first!.at).toBeInstanceOf(Date)
    expect(first!.blob).toBeInstanceOf(Uint8Array)
  })

  test("models without 64-bit columns read the same through both SQLite engines", async () => {
    const file = tempFile()
    await connect(`sqlite:${file}`, { name: "js", autoMigrate: true })
    const owner = await Owner.using("js").create({ name: "o" })
    for (let i = 0; i < 300; i++) {
      await Plain.using("js").create({ count: i - 150, flag: i % 3 === 0, label: `p${i}`, at: new Date(Date.UTC(2024, 0, 1, 0, 0, i)), ...(i % 2 === 0 ? { owner } : {}) })
    }
    await connect(`sqlite:${file}`, { name: "native", engine: "native" })
    const read = async (name: string) => {
      const all = await Plain.using(name).select().orderBy((p) => p.id).all()
      const lazy = await Plain.using(name).select().orderBy((p) => p.id).all({ lazy: true })
      return { all: all.map((p) => ({ ...p })), lazy: lazy.toJSON() }
    }
    const js = await read("js")
    const native = await read("native")
    expect(native).toEqual(js)
    expect(native.lazy).toEqual(js.all)
    expect(js.all).toHaveLength(300)
    expect(js.all[1]).toMatchObject({ count: -149, flag: false, label: "p1", ownerId: null })
  })
})

describe("hydrated instances are full model instances on every engine", () => {
  test.each(["js", "native"] as const)("subclass initialisers, getters and methods survive hydration [%s]", async (engine) => {
    await connect("sqlite::memory:", { engine, autoMigrate: true })
    const created = await Rich.create({ first: "Ada", last: "Lovelace" })
    created.visits = 5
    const [loaded] = await Rich.select().all({ lazy: false })
    expect(loaded).toBe(created)
    const { Instances } = await import("@ferro/core/internal")
    Instances.markTransient(created)
    const { evictInstance } = await import("ferro-orm")
    evictInstance(Rich, created.id)
    const fresh = (await Rich.select().all())[0]!
    expect(fresh).not.toBe(created)
    expect(fresh).toBeInstanceOf(Rich)
    expect(fresh.visits).toBe(0)
    expect(fresh.greet()).toBe("hello Ada Lovelace")
    expect(fresh.visits).toBe(1)
    expect(Object.keys(fresh).sort()).toEqual(["first", "id", "last", "visits"])
    expect({ ...fresh }).toEqual({ id: created.id, first: "Ada", last: "Lovelace", visits: 1 })
    fresh.last = "King"
    await fresh.save()
    expect((await Rich.where((r) => r.last.eq("King")).count())).toBe(1)
  })
})

describe("engine selection", () => {
  test("the native addon is built and loads in this environment", () => {
    const engine = loadNativeEngine()
    expect(engine.available ? "available" : engine.reason).toBe("available")
  })

  test("engine: native and ?engine=native select the native engine; the default is better-sqlite3", async () => {
    await connect("sqlite::memory:", { name: "a", engine: "native" })
    await connect("sqlite::memory:?engine=native", { name: "b" })
    await connect("sqlite::memory:", { name: "c" })
    expect((getConnection("a").driver as SqliteDriver).engine).toBe("native")
    expect((getConnection("b").driver as SqliteDriver).engine).toBe("native")
    expect((getConnection("c").driver as SqliteDriver).engine).toBe("js")
    expect(getConnection("a").driver.forEachRow).toBeTypeOf("function")
    expect(getConnection("c").driver.forEachRow).toBeUndefined()
  })

  test("an unknown engine is refused before anything is opened", async () => {
    await expect(connect("sqlite::memory:", { engine: "turbo" as never })).rejects.toBeInstanceOf(ConnectionError)
    await expect(connect("sqlite::memory:?engine=turbo")).rejects.toThrow(/Invalid SQLite engine 'turbo'/)
  })

  test("the native engine's :memory: databases are private per connection, as with better-sqlite3", async () => {
    await connect("sqlite::memory:", { name: "a", engine: "native", autoMigrate: true })
    await connect("sqlite::memory:", { name: "b", engine: "native", autoMigrate: true })
    await Plain.using("a").create({ count: 1, flag: true, label: "only in a", at: new Date() })
    expect(await Plain.using("a").select().count()).toBe(1)
    expect(await Plain.using("b").select().count()).toBe(0)
  })

  test("without the addon, a native connection falls back to better-sqlite3 and warns once", async () => {
    vi.resetModules()
    const previous = process.env.FERRO_NATIVE_ADDON
    process.env.FERRO_NATIVE_ADDON = join(tmpdir(), "no-such-dir", "ferro_native.node")
    const warnings: Array<Error & { code?: string }> = []
    const onWarning = (warning: Error & { code?: string }) => {
      if (warning.code === "FERRO_NATIVE_UNAVAILABLE") warnings.push(warning)
    }
    process.on("warning", onWarning)
    try {
      // A fresh module graph: the addon loader has not looked for the addon yet.
      const fresh = await import("ferro-orm")
      const core = await import("@ferro/core/internal")
      class Note extends fresh.Model("eng_notes", { id: fresh.field.id(), text: fresh.field.text() }) {}
      await fresh.connect("sqlite::memory:", { name: "x", engine: "native", autoMigrate: true })
      await fresh.connect("sqlite::memory:", { name: "y", engine: "native", autoMigrate: true })
      const driver = core.getConnection("x").driver as { engine?: string }
      expect(driver.engine).toBe("js")
      await Note.using("x").create({ text: "still works" })
      expect((await Note.using("x").select().all()).map((n) => n.text)).toEqual(["still works"])
      expect((await Note.using("x").select().all({ lazy: true })).toJSON()).toEqual([{ id: 1, text: "still works" }])
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]!.message).toMatch(/native SQLite engine is unavailable \(the addon was not built/)
      await fresh.resetEngine()
    } finally {
      process.off("warning", onWarning)
      if (previous === undefined) delete process.env.FERRO_NATIVE_ADDON
      else process.env.FERRO_NATIVE_ADDON = previous
      vi.resetModules()
    }
  })
})

describe.each([
  ["native", "sqlite::memory:?engine=native"],
  ["js", "sqlite::memory:"],
  ["postgres", "postgres"],
  ["mariadb", "mysql"],
] as const)("lazy results [%s]", (_engine, url) => {
  const open = async () =>
    connect(url === "postgres" ? await freshPostgresUrl() : url === "mysql" ? await freshMysqlUrl() : url, { autoMigrate: true })

  const seed = async (n: number) => {
    const owner = await Owner.create({ name: "owner" })
    await Plain.bulkCreate(
      Array.from({ length: n }, (_, i) => ({
        count: i,
        flag: i % 2 === 0,
        label: `row ${i} ü`,
        at: new Date(Date.UTC(2024, 0, 1) + i * 1000),
        ownerId: i % 3 === 0 ? owner.id : null,
      })),
    )
  }

  test("rows are views decoded on access; toJSON and materialize give plain values and instances", async () => {
    await open()
    await seed(1000)
    const lazy = await Plain.select().orderBy((p) => p.count).all({ lazy: true })
    expect(lazy).toBeInstanceOf(LazyRows)
    expect(lazy.length).toBe(1000)
    const row = lazy.at(7)!
    expect(row.count).toBe(7)
    expect(row.flag).toBe(false)
    expect(row.label).toBe("row 7 ü")
    expect(row.at).toEqual(new Date(Date.UTC(2024, 0, 1) + 7000))
    expect(row.ownerId).toBeNull()
    expect(lazy.at(-1)!.count).toBe(999)
    expect(lazy.at(1000)).toBeUndefined()
    expect(JSON.parse(JSON.stringify(row))).toEqual({ ...JSON.parse(JSON.stringify(row.toJSON())) })
    expect([...lazy].map((r) => r.count)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    const instances = lazy.materialize()
    expect(instances).toEqual(await Plain.select().orderBy((p) => p.count).all())
    expect(instances[3]).toBeInstanceOf(Plain)
    expect(row.materialize()).toBe(instances[7])
    // A materialised instance is a normal one: it saves.
    instances[3]!.label = "changed"
    await instances[3]!.save()
    expect((await Plain.get(instances[3]!.id)).label).toBe("changed")
    // The lazy result is a snapshot of the rows it read.
    expect(lazy.at(3)!.label).toBe("row 3 ü")
  })

  test("filters, order and limits apply; an empty result is empty", async () => {
    await open()
    await seed(50)
    const page = await Plain.where((p) => p.count.gte(10)).orderBy((p) => p.count, "desc").limit(5).offset(2).all({ lazy: true })
    expect(page.toJSON().map((r) => r.count)).toEqual([47, 46, 45, 44, 43])
    const none = await Plain.where((p) => p.count.lt(0)).all({ lazy: true })
    expect(none.length).toBe(0)
    expect(none.toJSON()).toEqual([])
    expect(none.materialize()).toEqual([])
  })

  test("lazy reads join the transaction they run in", async () => {
    await open()
    await transaction(async () => {
      await Plain.create({ count: 1, flag: true, label: "uncommitted", at: new Date() })
      const inside = await Plain.select().all({ lazy: true })
      expect(inside.toJSON().map((r) => r.label)).toEqual(["uncommitted"])
    })
  })

  test("lazy results do not load relations: with() is refused before any SQL", async () => {
    await open()
    const before = getConnection().driver.statementCount
    await expect(Plain.select().with("owner").all({ lazy: true })).rejects.toBeInstanceOf(QueryError)
    expect(getConnection().driver.statementCount).toBe(before)
  })
})
