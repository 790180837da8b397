/**
 * Lifecycle hooks and `onUpdateNow` (SPEC §2 "Writes beyond save") on every backend: which
 * operations run which hooks and in what order, before-hooks that throw write nothing, after-hooks
 * that throw roll the write back, hooks inside an outer transaction, async hooks, the Effect API,
 * and query-level update/delete running no hooks.
 */
import { Effect } from "effect"
import { beforeEach, expect, test } from "vitest"
import { Ferro, Model, ValidationError, connect, fetchAll, field, transaction } from "ferro-orm"
import { describeEachBackend } from "./support/backends.js"

/** Every hook call, as `hook:title`. */
const calls: Array<string> = []
/** Hooks that throw, by name. */
const failing = new Set<string>()

const hook = (name: string, title: string): void => {
  calls.push(`${name}:${title}`)
  if (failing.has(name)) throw new Error(`${name} failed`)
}

class Article extends Model("lc_articles", {
  id: field.id(),
  title: field.text(),
  slug: field.text({ default: "" }),
  views: field.int({ default: 0 }),
  updatedAt: field.datetime({ onUpdateNow: true }),
}) {
  override beforeInsert(): void {
    hook("beforeInsert", this.title)
    // A before-hook's changes are written.
    this.slug = this.title.toLowerCase().replaceAll(" ", "-")
  }
  override afterInsert(): void {
    hook("afterInsert", this.title)
  }
  override async beforeUpdate(): Promise<void> {
    await Promise.resolve()
    hook("beforeUpdate", this.title)
    this.slug = this.title.toLowerCase().replaceAll(" ", "-")
  }
  override async afterUpdate(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve))
    hook("afterUpdate", this.title)
  }
  override beforeDelete(): void {
    hook("beforeDelete", this.title)
  }
  override afterDelete(): void {
    hook("afterDelete", this.title)
  }
}

/** No hooks at all: the plain write path. */
class Plain extends Model("lc_plain", {
  id: field.id(),
  name: field.text(),
  touchedAt: field.datetime({ onUpdateNow: true }),
}) {}

/** A hook that makes the row invalid: validated as create validates. */
class Strict extends Model("lc_strict", {
  id: field.id(),
  name: field.text({ maxLength: 5 }),
}) {
  override beforeInsert(): void {
    this.name = `${this.name}-too-long`
  }
}

const rows = async (): Promise<Array<string>> =>
  (await fetchAll<{ title: string }>("SELECT title FROM lc_articles ORDER BY id")).map((r) => r.title)

describeEachBackend("lifecycle hooks", (backend) => {
  beforeEach(async () => {
    calls.length = 0
    failing.clear()
    await connect(await backend.freshUrl(), { autoMigrate: true })
  })

  test("create, save, delete run their hooks in order; before-hook changes are written", async () => {
    const a = await Article.create({ title: "Hello World" })
    expect(calls).toEqual(["beforeInsert:Hello World", "afterInsert:Hello World"])
    expect(a.slug).toBe("hello-world")
    expect(await fetchAll("SELECT slug FROM lc_articles")).toEqual([{ slug: "hello-world" }])

    calls.length = 0
    a.title = "Second Title"
    await a.save()
    expect(calls).toEqual(["beforeUpdate:Second Title", "afterUpdate:Second Title"])
    expect(await fetchAll("SELECT slug FROM lc_articles")).toEqual([{ slug: "second-title" }])

    calls.length = 0
    const b = new Article({ title: "Fresh" })
    await b.save()
    expect(calls).toEqual(["beforeInsert:Fresh", "afterInsert:Fresh"])

    calls.length = 0
    await a.delete()
    expect(calls).toEqual(["beforeDelete:Second Title", "afterDelete:Second Title"])
    expect(await rows()).toEqual(["Fresh"])
  })

  test("bulkCreate runs the insert hooks per item; getOrCreate and updateOrCreate run theirs", async () => {
    expect(await Article.bulkCreate([{ title: "A" }, { title: "B C" }])).toBe(2)
    expect(calls).toEqual(["beforeInsert:A", "beforeInsert:B C", "afterInsert:A", "afterInsert:B C"])
    expect(await fetchAll("SELECT slug FROM lc_articles ORDER BY id")).toEqual([{ slug: "a" }, { slug: "b-c" }])

    calls.length = 0
    const [found, created] = await Article.getOrCreate({ title: "A" })
    expect(created).toBe(false)
    expect(calls).toEqual([])
    const [made, wasCreated] = await Article.getOrCreate({ title: "New" })
    expect(wasCreated).toBe(true)
    expect(calls).toEqual(["beforeInsert:New", "afterInsert:New"])

    calls.length = 0
    await Article.updateOrCreate({ title: "A" }, { views: 5 })
    expect(calls).toEqual(["beforeUpdate:A", "afterUpdate:A"])
    calls.length = 0
    await Article.updateOrCreate({ title: "Other" }, { views: 1 })
    expect(calls).toEqual(["beforeInsert:Other", "afterInsert:Other"])
    expect(found.id).toBeTypeOf("number")
    expect(made.slug).toBe("new")
  })

  test("a before-hook that throws writes nothing: create, save, delete, bulkCreate", async () => {
    const kept = await Article.create({ title: "Kept" })
    failing.add("beforeInsert")
    await expect(Article.create({ title: "Nope" })).rejects.toThrow("beforeInsert failed")
    await expect(new Article({ title: "Nope" }).save()).rejects.toThrow("beforeInsert failed")
    await expect(Article.bulkCreate([{ title: "X" }, { title: "Y" }])).rejects.toThrow("beforeInsert failed")
    expect(await rows()).toEqual(["Kept"])

    failing.add("beforeUpdate")
    kept.title = "Changed"
    await expect(kept.save()).rejects.toThrow("beforeUpdate failed")
    expect(await rows()).toEqual(["Kept"])

    failing.add("beforeDelete")
    await expect(kept.delete()).rejects.toThrow("beforeDelete failed")
    expect(await rows()).toEqual(["Kept"])
  })

  test("an after-hook that throws rolls the write back", async () => {
    failing.add("afterInsert")
    await expect(Article.create({ title: "Gone" })).rejects.toThrow("afterInsert failed")
    await expect(Article.bulkCreate([{ title: "G1" }, { title: "G2" }])).rejects.toThrow("afterInsert failed")
    expect(await rows()).toEqual([])
    failing.clear()

    const a = await Article.create({ title: "Stays" })
    failing.add("afterUpdate")
    a.title = "Renamed"
    await expect(a.save()).rejects.toThrow("afterUpdate failed")
    expect(await rows()).toEqual(["Stays"])

    failing.add("afterDelete")
    const b = await Article.get(a.id)
    await expect(b.delete()).rejects.toThrow("afterDelete failed")
    expect(await rows()).toEqual(["Stays"])
  })

  test("a hook's invalid change is refused as create refuses it, and nothing is written", async () => {
    await expect(Strict.create({ name: "abc" })).rejects.toBeInstanceOf(ValidationError)
    await expect(Strict.bulkCreate([{ name: "abc" }])).rejects.toBeInstanceOf(ValidationError)
    expect(await fetchAll("SELECT * FROM lc_strict")).toEqual([])
  })

  test("hooks run inside an outer transaction and roll back with it", async () => {
    await expect(
      transaction(async () => {
        await Article.create({ title: "Inner" })
        expect(await rows()).toEqual(["Inner"])
        throw new Error("outer fails")
      }),
    ).rejects.toThrow("outer fails")
    expect(await rows()).toEqual([])
    expect(calls).toEqual(["beforeInsert:Inner", "afterInsert:Inner"])

    // A failing hook inside an outer transaction rolls back only its own write (a savepoint).
    await transaction(async () => {
      await Article.create({ title: "One" })
      failing.add("afterInsert")
      await expect(Article.create({ title: "Two" })).rejects.toThrow("afterInsert failed")
      failing.clear()
      await Article.create({ title: "Three" })
    })
    expect(await rows()).toEqual(["One", "Three"])
  })

  test("hooks run for Effect API calls, in the fiber's transaction", async () => {
    const created = await Effect.runPromise(
      Effect.gen(function* () {
        const a = yield* Article.create({ title: "Effect One" })
        a.title = "Effect Two"
        yield* a.save()
        return a
      }),
    )
    expect(created.slug).toBe("effect-two")
    expect(calls).toEqual(["beforeInsert:Effect One", "afterInsert:Effect One", "beforeUpdate:Effect Two", "afterUpdate:Effect Two"])

    failing.add("afterInsert")
    const failed = await Effect.runPromiseExit(Ferro.transaction(Article.create({ title: "Rolled" })))
    expect(failed._tag).toBe("Failure")
    expect(await rows()).toEqual(["Effect Two"])
  })

  test("query-level update() and delete() run no per-instance hooks", async () => {
    await Article.bulkCreate([{ title: "Q1" }, { title: "Q2" }])
    calls.length = 0
    expect(await Article.where((a) => a.title.eq("Q1")).update({ views: 3 })).toBe(1)
    expect(await Article.where((a) => a.title.eq("Q2")).delete()).toBe(1)
    expect(calls).toEqual([])
    expect(await rows()).toEqual(["Q1"])
  })

  test("onUpdateNow: set on insert when not given, on save, on query update()", async () => {
    const before = new Date(Date.now() - 1)
    const p = await Plain.create({ name: "p" })
    expect(p.touchedAt.getTime()).toBeGreaterThanOrEqual(before.getTime())

    const given = new Date("2020-01-01T00:00:00Z")
    const q = await Plain.create({ name: "q", touchedAt: given })
    expect(q.touchedAt.toISOString()).toBe(given.toISOString())

    // save() of a changed row sets it to now.
    const beforeSave = new Date(Date.now() - 1)
    q.name = "q2"
    await q.save()
    expect(q.touchedAt.getTime()).toBeGreaterThanOrEqual(beforeSave.getTime())
    expect((await Plain.get(q.id)).touchedAt.getTime()).toBe(q.touchedAt.getTime())

    // Query update() adds the column to the SET.
    await Plain.where((x) => x.id.eq(q.id)).update({ touchedAt: given })
    expect((await Plain.get(q.id)).touchedAt.toISOString()).toBe(given.toISOString())
    const beforeUpdate = new Date(Date.now() - 1)
    await Plain.where((x) => x.id.eq(q.id)).update({ name: "q3" })
    const reloaded = await Plain.get(q.id)
    expect(reloaded.name).toBe("q3")
    expect(reloaded.touchedAt.getTime()).toBeGreaterThanOrEqual(beforeUpdate.getTime())

    // A save() with no change writes nothing, so the time stays.
    const stamp = reloaded.touchedAt.getTime()
    await reloaded.save()
    expect(reloaded.touchedAt.getTime()).toBe(stamp)

    // A model with hooks too.
    const a = await Article.create({ title: "t" })
    const beforeArticle = new Date(Date.now() - 1)
    a.views = 9
    await a.save()
    expect(a.updatedAt.getTime()).toBeGreaterThanOrEqual(beforeArticle.getTime())
  })
})
