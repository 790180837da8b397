/**
 * Soft delete (SPEC §2 "Writes beyond save") on every backend: `delete()` (instance and query)
 * marks rows; every read path skips them (queries, count, exists, get, relation loads, eager
 * loads, projections, aggregates, relation paths and some/none/every/count filters) unless
 * `withDeleted()`; `restore()`; `hardDelete()`; definition-time checks.
 */
import { Effect } from "effect"
import { beforeEach, describe, expect, test } from "vitest"
import {
  Model,
  ModelDefinitionError,
  type ModelClass,
  ModelDoesNotExist,
  connect,
  count,
  fetchAll,
  field,
  transaction,
} from "ferro-orm"
import { describeEachBackend } from "./support/backends.js"

class Writer extends Model(
  "sd_writers",
  {
    id: field.id(),
    name: field.text(),
    deletedAt: field.datetime({ nullable: true }),
    posts: field.backRef((): ModelClass<Entry> => Entry),
  },
  { softDelete: "deletedAt" },
) {}

class Entry extends Model(
  "sd_entries",
  {
    id: field.id(),
    title: field.text(),
    views: field.int({ default: 0 }),
    updatedAt: field.datetime({ onUpdateNow: true }),
    deletedAt: field.datetime({ nullable: true }),
    author: field.foreignKey((): ModelClass<Writer> => Writer, { relatedName: "posts" }),
    labels: field.manyToMany((): ModelClass<Label> => Label, { relatedName: "entries" }),
  },
  { softDelete: "deletedAt" },
) {}

class Label extends Model(
  "sd_labels",
  {
    id: field.id(),
    name: field.text(),
    deletedAt: field.datetime({ nullable: true }),
    entries: field.backRef((): ModelClass<Entry> => Entry),
  },
  { softDelete: "deletedAt" },
) {}

/** Delete hooks run for a soft delete too. */
const deleted: Array<string> = []
class Note extends Model(
  "sd_notes",
  { id: field.id(), body: field.text(), removedAt: field.datetime({ nullable: true }) },
  { softDelete: "removedAt" },
) {
  override beforeDelete(): void {
    deleted.push(`before:${this.body}`)
  }
  override afterDelete(): void {
    deleted.push(`after:${this.body}`)
  }
}

const titles = (entries: ReadonlyArray<Entry>): Array<string> => entries.map((e) => e.title).sort()

describe("softDelete definition", () => {
  test("refused unless it names a nullable datetime field", () => {
    expect(() => Model("sd_bad1", { id: field.id(), gone: field.datetime({ nullable: true }) }, { softDelete: "missing" as never })).toThrow(
      ModelDefinitionError,
    )
    expect(() => Model("sd_bad2", { id: field.id(), gone: field.datetime() }, { softDelete: "gone" })).toThrow(ModelDefinitionError)
    expect(() => Model("sd_bad3", { id: field.id(), gone: field.text({ nullable: true }) }, { softDelete: "gone" })).toThrow(
      ModelDefinitionError,
    )
  })
})

describeEachBackend("soft delete", (backend) => {
  let ada: Writer, alan: Writer
  let e1: Entry, e2: Entry, e3: Entry
  let red: Label, blue: Label

  beforeEach(async () => {
    deleted.length = 0
    await connect(await backend.freshUrl(), { autoMigrate: true })
    ada = await Writer.create({ name: "Ada" })
    alan = await Writer.create({ name: "Alan" })
    e1 = await Entry.create({ title: "one", views: 10, author: ada })
    e2 = await Entry.create({ title: "two", views: 20, author: ada })
    e3 = await Entry.create({ title: "three", views: 30, author: alan })
    red = await Label.create({ name: "red" })
    blue = await Label.create({ name: "blue" })
    await e1.labels.add(red, blue)
  })

  test("instance delete() marks the row; the instance stays the same object; get() is ModelDoesNotExist", async () => {
    const before = new Date(Date.now() - 1)
    await e1.delete()
    expect(e1.deletedAt).toBeInstanceOf(Date)
    expect(e1.deletedAt!.getTime()).toBeGreaterThanOrEqual(before.getTime())
    // onUpdateNow is set by the soft delete's write too.
    expect(e1.updatedAt.getTime()).toBeGreaterThanOrEqual(before.getTime())
    // The row is still there.
    expect((await fetchAll<{ n: number }>("SELECT COUNT(*) AS n FROM sd_entries")).map((r) => Number(r.n))).toEqual([3])
    await expect(Entry.get(e1.id)).rejects.toBeInstanceOf(ModelDoesNotExist)
    expect(await Entry.getOrNone(e1.id)).toBeNull()
    const again = await Entry.select().withDeleted().where((e) => e.id.eq(e1.id)).first()
    expect(again).toBe(e1)
    // Deleting again: already deleted.
    await expect(e1.delete()).rejects.toBeInstanceOf(ModelDoesNotExist)
  })

  test("queries, count, exists, first skip deleted rows unless withDeleted()", async () => {
    await e1.delete()
    expect(titles(await Entry.select().all())).toEqual(["three", "two"])
    expect(await Entry.select().count()).toBe(2)
    expect(await Entry.where((e) => e.title.eq("one")).exists()).toBe(false)
    expect(await Entry.where((e) => e.title.eq("one")).first()).toBeNull()
    expect(await Entry.select().withDeleted().count()).toBe(3)
    expect(await Entry.where((e) => e.title.eq("one")).withDeleted().exists()).toBe(true)
    expect(titles(await Entry.select().withDeleted().all())).toEqual(["one", "three", "two"])
    expect((await Entry.select().all({ lazy: true })).length).toBe(2)
  })

  test("projections and aggregates skip deleted rows", async () => {
    await e1.delete()
    expect(await Entry.select((e) => e.title).orderBy((e) => e.title).all()).toEqual(["three", "two"])
    expect(await Entry.select().sum((e) => e.views)).toBe(50)
    expect(await Entry.select().withDeleted().sum((e) => e.views)).toBe(60)
    expect(await Entry.select((e) => ({ n: count() })).first()).toEqual({ n: 2 })
    expect(await Entry.select((e) => e.views).withDeleted().orderBy((e) => e.views).all()).toEqual([10, 20, 30])
  })

  test("relation loads and eager loads skip deleted rows", async () => {
    await e1.delete()
    expect(titles(await ada.posts.all())).toEqual(["two"])
    expect(await ada.posts.count()).toBe(1)
    const [writer] = await Writer.where((w) => w.id.eq(ada.id)).with("posts").all()
    expect(titles(await writer!.posts.all())).toEqual(["two"])

    await red.delete()
    expect((await e1.labels.all()).map((l) => l.name)).toEqual(["blue"])
    const [entry] = await Entry.select().withDeleted().where((e) => e.id.eq(e1.id)).with("labels").all()
    expect((await entry!.labels.all()).map((l) => l.name)).toEqual(["blue"])

    // Forward: a soft-deleted author reads as no row (from the query, the identity map or the cache).
    await alan.delete()
    const fresh = await Entry.get(e3.id)
    expect(await fresh.author).toBeNull()
    const [eager] = await Entry.where((e) => e.id.eq(e3.id)).with("author").all()
    expect(await eager!.author).toBeNull()
    // An eager load made before the delete does not bring it back either.
    const [early] = await Entry.where((e) => e.id.eq(e2.id)).with("author").all()
    expect(await early!.author).toBe(ada)
    await ada.delete()
    expect(await early!.author).toBeNull()
  })

  test("relation filters and paths skip deleted related rows", async () => {
    await e2.delete()
    // some / none / every / count over the to-many relation.
    expect((await Writer.where((w) => w.posts.some((p) => p.title.eq("two"))).all()).map((w) => w.name)).toEqual([])
    expect((await Writer.where((w) => w.posts.none()).orderBy((w) => w.name).all()).map((w) => w.name)).toEqual([])
    expect((await Writer.where((w) => w.posts.every((p) => p.views.lt(15))).orderBy((w) => w.name).all()).map((w) => w.name)).toEqual(["Ada"])
    expect(await Writer.select((w) => ({ name: w.name, posts: w.posts.count() })).orderBy((w) => w.name).all()).toEqual([
      { name: "Ada", posts: 1 },
      { name: "Alan", posts: 1 },
    ])
    // withDeleted() counts them again.
    expect((await Writer.where((w) => w.posts.some((p) => p.title.eq("two"))).withDeleted().all()).map((w) => w.name)).toEqual(["Ada"])
    expect(
      await Writer.select((w) => ({ name: w.name, posts: w.posts.count() })).withDeleted().orderBy((w) => w.name).all(),
    ).toEqual([
      { name: "Ada", posts: 2 },
      { name: "Alan", posts: 1 },
    ])

    // Forward relation paths: a soft-deleted author does not match, and its entries stay listed.
    await alan.delete()
    expect(await Entry.where((e) => e.author.name.eq("Alan")).count()).toBe(0)
    expect(await Entry.where((e) => e.author.name.eq("Alan")).withDeleted().count()).toBe(1)
    expect(await Entry.select((e) => ({ title: e.title, author: e.author.name })).orderBy((e) => e.title).all()).toEqual([
      { title: "one", author: "Ada" },
      { title: "three", author: null },
    ])
    // Many-to-many through the join table.
    await red.delete()
    expect(await Entry.where((e) => e.labels.some((l) => l.name.eq("red"))).count()).toBe(0)
    expect(await Entry.where((e) => e.labels.some((l) => l.name.eq("blue"))).count()).toBe(1)
  })

  test("query delete() marks rows; hardDelete() removes them; restore() clears the mark", async () => {
    const before = new Date(Date.now() - 1)
    expect(await Entry.where((e) => e.authorId.eq(ada.id)).delete()).toBe(2)
    // Held instances are reloaded: same objects, now marked.
    expect(e1.deletedAt!.getTime()).toBeGreaterThanOrEqual(before.getTime())
    expect(e2.deletedAt).toBeInstanceOf(Date)
    expect(await Entry.select().count()).toBe(1)
    // Already deleted rows are not marked again.
    expect(await Entry.where((e) => e.authorId.eq(ada.id)).delete()).toBe(0)

    expect(await e1.restore()).toBe(e1)
    expect(e1.deletedAt).toBeNull()
    expect(await Entry.get(e1.id)).toBe(e1)
    expect(await Entry.select().count()).toBe(2)

    // hardDelete on a query: the rows it matches (deleted ones need withDeleted()).
    expect(await Entry.where((e) => e.id.eq(e2.id)).hardDelete()).toBe(0)
    expect(await Entry.where((e) => e.id.eq(e2.id)).withDeleted().hardDelete()).toBe(1)
    expect(await Entry.select().withDeleted().count()).toBe(2)

    // hardDelete on an instance.
    await e3.hardDelete()
    expect((await fetchAll<{ title: string }>("SELECT title FROM sd_entries ORDER BY id")).map((r) => r.title)).toEqual(["one"])
  })

  test("query update() skips deleted rows unless withDeleted()", async () => {
    await e1.delete()
    expect(await Entry.select().update({ views: 0 })).toBe(2)
    expect(await Entry.select().withDeleted().update({ views: 1 })).toBe(3)
  })

  test("soft delete runs the delete hooks; rollback restores the instance", async () => {
    const n = await Note.create({ body: "n" })
    await n.delete()
    expect(deleted).toEqual(["before:n", "after:n"])
    expect(await Note.select().count()).toBe(0)
    await n.restore()
    await expect(
      transaction(async () => {
        await n.delete()
        throw new Error("undo")
      }),
    ).rejects.toThrow("undo")
    expect(n.removedAt).toBeNull()
    expect(await Note.select().count()).toBe(1)
    await n.hardDelete()
    expect(await fetchAll("SELECT * FROM sd_notes")).toEqual([])
  })

  test("the Effect API: delete, withDeleted, restore", async () => {
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        yield* e3.delete()
        const live = yield* Entry.select().count()
        const all = yield* Entry.select().withDeleted().count()
        yield* e3.restore()
        const back = yield* Entry.select().count()
        return [live, all, back]
      }),
    )
    expect(result).toEqual([2, 3, 3])
  })
})
