/**
 * Mutations (SPEC §2 "Mutations"): create, save (insert, then update of changed columns
 * only), delete, refresh, bulkCreate (multi-row INSERTs under the driver's parameter limit, all
 * or nothing), getOrCreate, updateOrCreate. Runs once per backend on a fresh database.
 */
import { Schema } from "effect"
import { beforeEach, expect, test, vi } from "vitest"
import { ColumnField, type Statement, getConnection } from "@ferro/core/internal"
import {
  FerroError,
  ModelDoesNotExist,
  Model,
  UniqueViolation,
  connect,
  execute,
  fetchAll,
  fetchOne,
  field,
  isPersisted,
  sql,
} from "ferro-orm"
import { describeEachBackend } from "./support/backends.js"

class Author extends Model("m_authors", {
  id: field.id(),
  name: field.text(),
  email: field.text({ unique: true }),
  bio: field.text({ nullable: true }),
  visits: field.int({ default: 0 }),
}) {}

/** Three columns besides the database-assigned id. */
class Item extends Model("m_items", {
  id: field.id(),
  name: field.text(),
  qty: field.int(),
  sku: field.text({ unique: true }),
}) {}

class Doc extends Model("m_docs", {
  id: field.id(),
  data: field.json({ schema: Schema.Struct({ tags: Schema.mutable(Schema.Array(Schema.String)) }) }),
}) {}

/** Forty integer columns: 819 rows already fill SQLite's 32766 parameters (PostgreSQL's 65535: 1638). */
const intField: ColumnField<number, false> = field.int()
const wideFields: Record<string, ColumnField<number, false>> = Object.fromEntries(
  Array.from({ length: 40 }, (_, i) => [`c${i}`, intField]),
)
class Wide extends Model("m_wide", wideFields) {}

const statements = (): number => getConnection().driver.statementCount
const countRows = async (table: string): Promise<number> =>
  Number((await fetchOne<{ n: number }>(`SELECT COUNT(*) AS n FROM "${table}"`))!.n)

/** Records every statement sent through the driver while `fn` runs. */
const capture = async <T>(fn: () => Promise<T>): Promise<{ result: T; sent: Array<Statement> }> => {
  const driver = getConnection().driver
  const spies = [
    vi.spyOn(driver, "rows"),
    vi.spyOn(driver, "objects"),
    vi.spyOn(driver, "execute"),
  ]
  const atomic = vi.spyOn(driver, "executeAtomically")
  try {
    const result = await fn()
    const sent = [
      ...spies.flatMap((spy) => spy.mock.calls.map((call) => call[0] as Statement)),
      ...atomic.mock.calls.flatMap((call) => [...(call[0] as ReadonlyArray<Statement>)]),
    ]
    return { result, sent }
  } finally {
    for (const spy of [...spies, atomic]) spy.mockRestore()
  }
}

describeEachBackend("mutations", (backend) => {
  beforeEach(async () => {
    await connect((await backend.freshUrl()), { autoMigrate: true })
  })

  test("create() validates, inserts, assigns the id and applies defaults", async () => {
    const ada = await Author.create({ name: "Ada", email: "ada@example.com" })
    expect(ada).toBeInstanceOf(Author)
    expect(typeof ada.id).toBe("number")
    expect(ada.visits).toBe(0)
    expect(ada.bio).toBeNull()
    expect(isPersisted(ada)).toBe(true)
    expect(await fetchOne("SELECT id, name, email, bio, visits FROM m_authors")).toEqual({
      id: ada.id,
      name: "Ada",
      email: "ada@example.com",
      bio: null,
      visits: 0,
    })
    const bob = await Author.create({ name: "Bob", email: "bob@example.com", bio: "hi", visits: 3 })
    expect(bob.id).not.toBe(ada.id)
    expect(await Author.get(bob.id)).toBe(bob)
  })

  test("create() with an existing primary key is a UniqueViolation, not a silent update", async () => {
    const ada = await Author.create({ name: "Ada", email: "ada@example.com" })
    const error = await Author.create({ id: ada.id, name: "Impostor", email: "imp@example.com" }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UniqueViolation)
    expect(error).toBeInstanceOf(FerroError)
    expect((error as UniqueViolation).cause).toBeDefined()
    expect(await fetchAll("SELECT name, email FROM m_authors")).toEqual([{ name: "Ada", email: "ada@example.com" }])
    await expect(Author.create({ name: "Twin", email: "ada@example.com" })).rejects.toBeInstanceOf(UniqueViolation)
    expect(await countRows("m_authors")).toBe(1)
  })

  test("create() given an already-saved instance does not silently update its row", async () => {
    const ada = await Author.create({ name: "Ada", email: "ada@example.com" })
    ada.name = "Changed"
    // An instance is structurally valid create input; creating it again must not UPDATE the row.
    await expect(Author.create(ada)).rejects.toBeInstanceOf(UniqueViolation)
    expect(await fetchOne(sql`SELECT name FROM m_authors WHERE id = ${ada.id}`)).toEqual({ name: "Ada" })
  })

  test("save() inserts a new instance, then updates it", async () => {
    const draft = new Author({ name: "Grace", email: "grace@example.com" })
    expect(isPersisted(draft)).toBe(false)
    expect(draft.id).toBeUndefined()
    expect(await draft.save()).toBe(draft)
    expect(isPersisted(draft)).toBe(true)
    expect(typeof draft.id).toBe("number")
    expect(await Author.get(draft.id)).toBe(draft)

    draft.bio = "Admiral"
    draft.visits = 5
    await draft.save()
    expect(await fetchOne(sql`SELECT bio, visits FROM m_authors WHERE id = ${draft.id}`)).toEqual({ bio: "Admiral", visits: 5 })
    expect(await countRows("m_authors")).toBe(1)
  })

  test("save() writes only the columns that changed", async () => {
    const ada = await Author.create({ name: "Ada", email: "ada@example.com", visits: 1 })
    // Someone else changes another column behind Ferro's back.
    expect(await execute(sql`UPDATE m_authors SET visits = 99, bio = 'external' WHERE id = ${ada.id}`)).toBe(1)
    ada.name = "Ada Lovelace"
    await ada.save()
    // save() reads the stored row back: the instance now shows the external changes too.
    expect([ada.visits, ada.bio]).toEqual([99, "external"])
    expect(await fetchOne(sql`SELECT name, visits, bio, email FROM m_authors WHERE id = ${ada.id}`)).toEqual({
      name: "Ada Lovelace",
      visits: 99,
      bio: "external",
      email: "ada@example.com",
    })
    // The column set of the UPDATE is the changed one only.
    ada.visits = 100
    const { sent } = await capture(() => ada.save())
    // One UPDATE; without RETURNING (MySQL) a SELECT reads the stored row back.
    expect(sent).toHaveLength(getConnection().driver.dialect.returning ? 1 : 2)
    const update = sent.find((s) => /^UPDATE/.test(s.sql))
    expect(update).toBeDefined()
    // Only the SET list matters: the RETURNING list reads the whole row back as the new snapshot.
    const setList = /SET (.*?) WHERE/.exec(update!.sql)?.[1] ?? ""
    expect(setList).toContain('"visits"')
    expect(setList).not.toContain('"name"')
    expect(setList).not.toContain('"bio"')
  })

  test("save() with nothing changed sends no SQL", async () => {
    const ada = await Author.create({ name: "Ada", email: "ada@example.com" })
    const before = statements()
    await ada.save()
    ada.name = "Ada" // same value
    await ada.save()
    expect(statements()).toBe(before)
  })

  test("save() notices a JSON value changed in place", async () => {
    const doc = await Doc.create({ data: { tags: ["a"] } })
    doc.data.tags.push("b")
    await doc.save()
    const row = await fetchOne<{ data: unknown }>(sql`SELECT data FROM m_docs WHERE id = ${doc.id}`)
    // Raw SQL reads the stored representation: JSON text on SQLite and MySQL (MariaDB's JSON is
    // text), parsed json/jsonb on PostgreSQL.
    if (backend.dialect !== "postgres") {
      expect(typeof row!.data).toBe("string")
      expect(JSON.parse(row!.data as string)).toEqual({ tags: ["a", "b"] })
    } else {
      expect(row!.data).toEqual({ tags: ["a", "b"] })
    }
  })

  test("save() of an instance whose row is gone throws ModelDoesNotExist", async () => {
    const ada = await Author.create({ name: "Ada", email: "ada@example.com" })
    await execute(sql`DELETE FROM m_authors WHERE id = ${ada.id}`)
    ada.name = "Ghost"
    const error = await ada.save().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ModelDoesNotExist)
    expect((error as ModelDoesNotExist).pk).toBe(ada.id)
    expect(await countRows("m_authors")).toBe(0)
  })

  test("delete() removes the row; the instance is no longer persisted", async () => {
    const ada = await Author.create({ name: "Ada", email: "ada@example.com" })
    const bob = await Author.create({ name: "Bob", email: "bob@example.com" })
    await ada.delete()
    expect(isPersisted(ada)).toBe(false)
    expect(await fetchAll("SELECT name FROM m_authors")).toEqual([{ name: "Bob" }])
    await expect(Author.get(ada.id)).rejects.toBeInstanceOf(ModelDoesNotExist)
    expect(await Author.get(bob.id)).toBe(bob)
    // Deleting twice is an error, not a silent no-op.
    await expect(ada.delete()).rejects.toBeInstanceOf(ModelDoesNotExist)
    // A deleted instance can be saved again as a new row.
    await ada.save()
    expect(await countRows("m_authors")).toBe(2)
  })

  test("delete() of a row removed behind Ferro's back throws ModelDoesNotExist", async () => {
    const ada = await Author.create({ name: "Ada", email: "ada@example.com" })
    await execute("DELETE FROM m_authors")
    const error = await ada.delete().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ModelDoesNotExist)
    expect((error as ModelDoesNotExist).model).toBe("Author")
    expect((error as ModelDoesNotExist).pk).toBe(ada.id)
  })

  test("refresh() reloads every column from the database", async () => {
    const ada = await Author.create({ name: "Ada", email: "ada@example.com" })
    await execute(sql`UPDATE m_authors SET name = 'Countess', visits = 7, bio = 'math' WHERE id = ${ada.id}`)
    ada.email = "local-change@example.com"
    expect(await ada.refresh()).toBe(ada)
    expect(ada.name).toBe("Countess")
    expect(ada.visits).toBe(7)
    expect(ada.bio).toBe("math")
    expect(ada.email).toBe("ada@example.com")
    // After a refresh nothing is dirty.
    const before = statements()
    await ada.save()
    expect(statements()).toBe(before)
  })

  test("refresh() throws ModelDoesNotExist (with .model and .pk) when the row is gone", async () => {
    const ada = await Author.create({ name: "Ada", email: "ada@example.com" })
    const id = ada.id
    await execute(sql`DELETE FROM m_authors WHERE id = ${id}`)
    const error = await ada.refresh().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ModelDoesNotExist)
    expect((error as ModelDoesNotExist).model).toBe("Author")
    expect((error as ModelDoesNotExist).pk).toBe(id)
    expect(ada.name).toBe("Ada")
    expect(isPersisted(ada)).toBe(false)
    await expect(new Author({ name: "Never", email: "never@example.com" }).refresh()).rejects.toBeInstanceOf(ModelDoesNotExist)
  })

  test("bulkCreate() inserts 20,000+ rows (more parameters than one statement may bind) in multi-row batches under the driver's parameter limit", async () => {
    const max = getConnection().driver.maxParameters
    // 20,000 rows (60,000 parameters) exceed SQLite's 32766; on a driver with a higher limit
    // (PostgreSQL: 65535) use enough rows that one statement still cannot hold them all.
    const count = Math.max(20_000, Math.floor(max / 3) + 1)
    expect(count * 3).toBeGreaterThan(max)
    const items = Array.from({ length: count }, (_, i) => ({ name: `item ${i}`, qty: i, sku: `sku-${i}` }))
    const before = statements()
    const { result, sent } = await capture(() => Item.bulkCreate(items))
    expect(result).toBe(count)
    const used = statements() - before
    // More than `max` parameters cannot go in one statement, and one INSERT per row is not batching.
    expect(used).toBeGreaterThanOrEqual(2)
    expect(used).toBeLessThanOrEqual(200)
    const inserts = sent.filter((s) => /^INSERT/i.test(s.sql))
    expect(inserts.length).toBeGreaterThanOrEqual(2)
    for (const statement of inserts) expect(statement.params.length).toBeLessThanOrEqual(max)
    expect(inserts.reduce((n, s) => n + s.params.length, 0)).toBe(count * 3)

    expect(await countRows("m_items")).toBe(count)
    expect(await Item.select().count()).toBe(count)
    expect(await fetchOne("SELECT name, qty, sku FROM m_items WHERE sku = 'sku-19999'")).toEqual({
      name: "item 19999",
      qty: 19999,
      sku: "sku-19999",
    })
  })

  test("bulkCreate() splits wide rows so no statement exceeds the driver's parameter limit", async () => {
    expect(Wide.metadata.columns).toHaveLength(40)
    const max = getConnection().driver.maxParameters // SQLite: 32766, PostgreSQL: 65535
    // At least three statements' worth of 40-column rows: 2,000 rows (80,000 parameters) on SQLite.
    const perStatement = Math.floor(max / 40)
    const count = Math.max(2_000, 2 * perStatement + 1)
    const rows = Array.from({ length: count }, (_, r) => Object.fromEntries(Array.from({ length: 40 }, (_, c) => [`c${c}`, r * 100 + c])))
    const { result, sent } = await capture(() => Wide.bulkCreate(rows))
    expect(result).toBe(count)
    const inserts = sent.filter((s) => /^INSERT/i.test(s.sql))
    expect(inserts.length).toBeGreaterThanOrEqual(3)
    for (const statement of inserts) expect(statement.params.length).toBeLessThanOrEqual(max)
    expect(inserts.reduce((n, s) => n + s.params.length, 0)).toBe(count * 40)
    expect(await countRows("m_wide")).toBe(count)
    expect(await fetchOne("SELECT c0, c39 FROM m_wide WHERE c0 = 199900")).toEqual({ c0: 199900, c39: 199939 })
  })

  test("bulkCreate() of large values stays under the server's statement size (MySQL's max_allowed_packet)", async () => {
    // 24 rows of a 1 MB text: 24 MB, over MariaDB's default 16 MB packet. Where the driver bounds
    // a statement's bytes, the rows go in several INSERTs (all or nothing); elsewhere in one.
    const body = "x".repeat(1024 * 1024)
    const items = Array.from({ length: 24 }, (_, i) => ({ name: `big${i}`, email: `big${i}@example.com`, bio: `${i}${body}` }))
    const { result, sent } = await capture(() => Author.bulkCreate(items))
    expect(result).toBe(24)
    const inserts = sent.filter((s) => /^INSERT/i.test(s.sql))
    const limit = getConnection().driver.maxStatementBytes
    if (limit === undefined) expect(inserts).toHaveLength(1)
    else expect(inserts.length).toBeGreaterThanOrEqual(Math.ceil((24 * 1024 * 1024) / limit))
    expect(await countRows("m_authors")).toBe(24)
    const lengths = await fetchAll("SELECT LENGTH(bio) AS n FROM m_authors ORDER BY id")
    expect(lengths.map((r) => Number(r.n))).toEqual(items.map((item) => item.bio.length))
  })

  test("bulkCreate() is all or nothing: a unique violation in a late batch leaves no new row", async () => {
    await Item.create({ name: "existing", qty: 1, sku: "existing" })
    // More rows than one statement binds (3 parameters a row), so the clash is in a later batch.
    const items = Array.from({ length: Math.floor(getConnection().driver.maxParameters / 3) + 5 }, (_, i) => ({ name: `n${i}`, qty: i, sku: `s${i}` }))
    items.push({ name: "dupe", qty: 0, sku: "s1" }) // clashes with row 1, in the last batch
    const error = await Item.bulkCreate(items).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UniqueViolation)
    expect(await fetchAll("SELECT sku FROM m_items")).toEqual([{ sku: "existing" }])

    // A clash with a row already in the table, at the very end, is rolled back too.
    const again = Array.from({ length: 3_000 }, (_, i) => ({ name: `m${i}`, qty: i, sku: `t${i}` }))
    again.push({ name: "clash", qty: 0, sku: "existing" })
    await expect(Item.bulkCreate(again)).rejects.toBeInstanceOf(UniqueViolation)
    expect(await countRows("m_items")).toBe(1)
  })

  test("bulkCreate() accepts plain objects and instances, applies defaults, and returns the count", async () => {
    expect(await Author.bulkCreate([])).toBe(0)
    const n = await Author.bulkCreate([
      { name: "A", email: "a@example.com" },
      new Author({ name: "B", email: "b@example.com", visits: 2 }),
      { id: 50, name: "C", email: "c@example.com", bio: "explicit id" },
    ])
    expect(n).toBe(3)
    expect(await fetchAll("SELECT name, visits, bio FROM m_authors ORDER BY name")).toEqual([
      { name: "A", visits: 0, bio: null },
      { name: "B", visits: 2, bio: null },
      { name: "C", visits: 0, bio: "explicit id" },
    ])
    expect((await Author.get(50)).name).toBe("C")
  })

  test("getOrCreate() creates when absent, returns the existing row untouched when present", async () => {
    const [created, wasCreated] = await Author.getOrCreate({ email: "ada@example.com" }, { name: "Ada", visits: 3 })
    expect(wasCreated).toBe(true)
    expect(created).toBeInstanceOf(Author)
    expect(created.name).toBe("Ada")
    expect(created.visits).toBe(3)
    expect(isPersisted(created)).toBe(true)

    const [found, wasCreated2] = await Author.getOrCreate({ email: "ada@example.com" }, { name: "Other", visits: 9 })
    expect(wasCreated2).toBe(false)
    expect(found).toBe(created)
    expect(found.name).toBe("Ada")
    expect(await fetchAll("SELECT name, visits FROM m_authors")).toEqual([{ name: "Ada", visits: 3 }])

    // A lookup on several fields matches only when all of them match.
    const [same, c3] = await Author.getOrCreate({ email: "ada@example.com", name: "Ada" })
    expect(same).toBe(created)
    expect(c3).toBe(false)
    // Here nothing matches, and the unique email forbids a second row: the violation surfaces.
    await expect(Author.getOrCreate({ email: "ada@example.com", name: "Not Ada" })).rejects.toBeInstanceOf(UniqueViolation)
    expect(await countRows("m_authors")).toBe(1)
  })

  test("updateOrCreate() updates an existing row with the defaults, or creates one", async () => {
    const [created, wasCreated] = await Author.updateOrCreate({ email: "ada@example.com" }, { name: "Ada" })
    expect(wasCreated).toBe(true)
    expect(await fetchOne("SELECT name, email FROM m_authors")).toEqual({ name: "Ada", email: "ada@example.com" })

    // Someone else bumps visits; updateOrCreate writes only what it was given.
    await execute("UPDATE m_authors SET visits = 42")
    const [updated, wasCreated2] = await Author.updateOrCreate({ email: "ada@example.com" }, { name: "Ada Lovelace", bio: "poet" })
    expect(wasCreated2).toBe(false)
    expect(updated).toBe(created)
    expect(updated.name).toBe("Ada Lovelace")
    expect(await fetchAll("SELECT name, bio, visits FROM m_authors")).toEqual([{ name: "Ada Lovelace", bio: "poet", visits: 42 }])
  })
})
