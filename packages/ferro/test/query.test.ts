/**
 * Queries (SPEC §2 "Queries"): the immutable builder, every predicate operator and how they
 * combine, ordering, paging, the terminals (all / first / count / exists), batch update and
 * delete, get / getOrNone. Runs once per backend on a fresh database.
 */
import { beforeEach, expect, test, vi } from "vitest"
import { getConnection } from "@ferro/core/internal"
import {
  Model,
  ModelDoesNotExist,
  type Predicate,
  and,
  connect,
  execute,
  fetchAll,
  fetchOne,
  field,
  not,
  or,
  sql,
} from "ferro-orm"
import { describeEachBackend } from "./support/backends.js"

class Post extends Model("q_posts", {
  id: field.id(),
  title: field.text(),
  views: field.int({ default: 0 }),
  published: field.bool({ default: false }),
  category: field.text({ nullable: true }),
  createdAt: field.datetime({ defaultNow: true }),
}) {}

/** A model with exact decimals (stored as text on SQLite). */
class Product extends Model("q_products", {
  id: field.id(),
  name: field.text(),
  price: field.decimal(),
}) {}

/** Only ever filled by bulkCreate(), so the identity map never holds one of its rows. */
class Score extends Model("q_scores", {
  id: field.id(),
  points: field.int(),
  tag: field.text({ nullable: true }),
}) {}

/** A model without a primary key (an append-only log). */
class LogLine extends Model("q_log_lines", {
  level: field.int(),
  message: field.text(),
}) {}

const SEED = [
  { title: "Intro to SQL", views: 10, published: true, category: "db", createdAt: new Date("2024-01-01T00:00:00.000Z") },
  { title: "intro to TypeScript", views: 50, published: false, category: "lang", createdAt: new Date("2024-02-01T00:00:00.000Z") },
  { title: "Advanced SQL", views: 100, published: true, category: "db", createdAt: new Date("2024-03-01T00:00:00.000Z") },
  { title: "Effect in practice", views: 100, published: true, category: null, createdAt: new Date("2024-04-01T00:00:00.000Z") },
  { title: "Zero", views: 0, published: false, category: null, createdAt: new Date("2024-05-01T00:00:00.000Z") },
] as const

/** Titles of a result, sorted, for order-independent comparisons. */
const titles = (posts: ReadonlyArray<Post>): Array<string> => posts.map((p) => p.title).sort()

/** Titles in the order the database returned them. */
const ordered = (posts: ReadonlyArray<Post>): Array<string> => posts.map((p) => p.title)

const statements = (): number => getConnection().driver.statementCount

describeEachBackend("queries", (backend) => {
  // Held for the whole test so every seeded row has a live instance.
  let seeded: Array<Post> = []

  beforeEach(async () => {
    await connect((await backend.freshUrl()), { autoMigrate: true })
    seeded = []
    for (const data of SEED) seeded.push(await Post.create(data))
  })

  test("comparison operators eq ne gt gte lt lte select exactly the matching rows", async () => {
    expect(titles(await Post.where((p) => p.views.eq(100)).all())).toEqual(["Advanced SQL", "Effect in practice"])
    expect(titles(await Post.where((p) => p.views.ne(100)).all())).toEqual(["Intro to SQL", "Zero", "intro to TypeScript"])
    expect(titles(await Post.where((p) => p.views.gt(50)).all())).toEqual(["Advanced SQL", "Effect in practice"])
    expect(titles(await Post.where((p) => p.views.gte(50)).all())).toEqual([
      "Advanced SQL",
      "Effect in practice",
      "intro to TypeScript",
    ])
    expect(titles(await Post.where((p) => p.views.lt(10)).all())).toEqual(["Zero"])
    expect(titles(await Post.where((p) => p.views.lte(10)).all())).toEqual(["Intro to SQL", "Zero"])
    expect(titles(await Post.where((p) => p.title.eq("Zero")).all())).toEqual(["Zero"])
    expect(titles(await Post.where((p) => p.published.eq(false)).all())).toEqual(["Zero", "intro to TypeScript"])
  })

  test("datetime columns compare against Dates and ISO strings", async () => {
    const fromDate = await Post.where((p) => p.createdAt.gte(new Date("2024-03-01T00:00:00.000Z"))).all()
    expect(titles(fromDate)).toEqual(["Advanced SQL", "Effect in practice", "Zero"])
    const fromString = await Post.where((p) => p.createdAt.lt("2024-02-15T00:00:00Z")).all()
    expect(titles(fromString)).toEqual(["Intro to SQL", "intro to TypeScript"])
  })

  test("like is case-sensitive and honours % and _ wildcards", async () => {
    expect(titles(await Post.where((p) => p.title.like("Intro%")).all())).toEqual(["Intro to SQL"])
    expect(titles(await Post.where((p) => p.title.like("intro%")).all())).toEqual(["intro to TypeScript"])
    expect(titles(await Post.where((p) => p.title.like("%SQL")).all())).toEqual(["Advanced SQL", "Intro to SQL"])
    expect(titles(await Post.where((p) => p.title.like("Z_r_")).all())).toEqual(["Zero"])
    expect(await Post.where((p) => p.title.like("zero")).count()).toBe(0)
  })

  test("ilike is case-insensitive", async () => {
    expect(titles(await Post.where((p) => p.title.ilike("INTRO%")).all())).toEqual(["Intro to SQL", "intro to TypeScript"])
    expect(titles(await Post.where((p) => p.title.ilike("%sql")).all())).toEqual(["Advanced SQL", "Intro to SQL"])
    expect(titles(await Post.where((p) => p.title.ilike("zero")).all())).toEqual(["Zero"])
  })

  test("ilike folds the case of non-ASCII letters too (É matches é)", async () => {
    await Post.create({ title: "École normale" })
    await Post.create({ title: "ÜBER ALLES" })
    expect(titles(await Post.where((p) => p.title.ilike("école%")).all())).toEqual(["École normale"])
    expect(titles(await Post.where((p) => p.title.ilike("über%")).all())).toEqual(["ÜBER ALLES"])
  })

  test("in / notIn, with an empty in([]) matching nothing and an empty notIn([]) matching everything", async () => {
    expect(titles(await Post.where((p) => p.views.in([0, 100])).all())).toEqual(["Advanced SQL", "Effect in practice", "Zero"])
    expect(titles(await Post.where((p) => p.views.notIn([0, 100])).all())).toEqual(["Intro to SQL", "intro to TypeScript"])
    expect(titles(await Post.where((p) => p.category.in(["lang"])).all())).toEqual(["intro to TypeScript"])

    const before = statements()
    expect(await Post.where((p) => p.views.in([])).all()).toEqual([])
    expect(await Post.where((p) => p.views.in([])).count()).toBe(0)
    expect(await Post.where((p) => p.views.in([])).exists()).toBe(false)
    expect(await Post.where((p) => p.category.notIn([])).count()).toBe(SEED.length)
    // Still ordinary queries (one statement each), not errors.
    expect(statements() - before).toBe(4)
    // An empty in() combines like any predicate.
    expect(titles(await Post.where((p) => p.views.in([]).or(p.title.eq("Zero"))).all())).toEqual(["Zero"])
    expect(await Post.where((p) => not(p.views.in([]))).count()).toBe(SEED.length)
  })

  test("isNull / isNotNull, and eq(null) / ne(null) as their spellings", async () => {
    expect(titles(await Post.where((p) => p.category.isNull()).all())).toEqual(["Effect in practice", "Zero"])
    expect(titles(await Post.where((p) => p.category.isNotNull()).all())).toEqual([
      "Advanced SQL",
      "Intro to SQL",
      "intro to TypeScript",
    ])
    expect(titles(await Post.where((p) => p.category.eq(null)).all())).toEqual(["Effect in practice", "Zero"])
    expect(await Post.where((p) => p.category.ne(null)).count()).toBe(3)
  })

  test("between is inclusive at both ends", async () => {
    expect(titles(await Post.where((p) => p.views.between(10, 100)).all())).toEqual([
      "Advanced SQL",
      "Effect in practice",
      "Intro to SQL",
      "intro to TypeScript",
    ])
    expect(titles(await Post.where((p) => p.views.between(11, 99)).all())).toEqual(["intro to TypeScript"])
    expect(await Post.where((p) => p.views.between(100, 10)).count()).toBe(0)
    const q1 = await Post.where((p) => p.createdAt.between("2024-02-01T00:00:00Z", new Date("2024-03-01T00:00:00Z"))).all()
    expect(titles(q1)).toEqual(["Advanced SQL", "intro to TypeScript"])
  })

  test(".and() / .or() / not() combine, nest and keep their grouping", async () => {
    const published100 = await Post.where((p) => p.views.eq(100).and(p.category.eq("db"))).all()
    expect(titles(published100)).toEqual(["Advanced SQL"])

    const either = await Post.where((p) => p.views.eq(0).or(p.category.eq("lang"))).all()
    expect(titles(either)).toEqual(["Zero", "intro to TypeScript"])

    expect(titles(await Post.where((p) => not(p.published.eq(true))).all())).toEqual(["Zero", "intro to TypeScript"])

    // (views >= 50 AND published) OR category IS NULL  vs  views >= 50 AND (published OR category IS NULL)
    const a = await Post.where((p) => p.views.gte(50).and(p.published.eq(true)).or(p.category.isNull())).all()
    expect(titles(a)).toEqual(["Advanced SQL", "Effect in practice", "Zero"])
    const b = await Post.where((p) => p.views.gte(50).and(p.published.eq(true).or(p.category.isNull()))).all()
    expect(titles(b)).toEqual(["Advanced SQL", "Effect in practice"])

    // Variadic forms and the exported and()/or() helpers.
    expect(await Post.where((p) => p.views.gte(0).and(p.published.eq(true), p.category.eq("db"))).count()).toBe(2)
    expect(await Post.where((p) => or(p.title.eq("Zero"), p.title.eq("Advanced SQL"), p.views.eq(50))).count()).toBe(3)
    expect(await Post.where((p) => and(p.views.gt(0), not(p.category.isNull()))).count()).toBe(3)
    expect(await Post.where((p) => not(p.views.eq(0).or(p.views.eq(100)))).count()).toBe(2)
  })

  test("chained where() calls AND together; a predicate value works as well as a callback", async () => {
    const chained = await Post.where((p) => p.published.eq(true)).where((p) => p.views.gte(50)).all()
    expect(titles(chained)).toEqual(["Advanced SQL", "Effect in practice"])
    const three = Post.where((p) => p.published.eq(true))
      .where((p) => p.views.gte(50))
      .where((p) => p.category.isNotNull())
    expect(titles(await three.all())).toEqual(["Advanced SQL"])
    expect(await three.count()).toBe(1)
    let predicate: Predicate | undefined
    Post.where((p) => (predicate = p.views.eq(0)))
    expect(titles(await Post.select().where(predicate!).all())).toEqual(["Zero"])
  })

  test("the builder is immutable: deriving a query never changes the one it came from", async () => {
    const published = Post.where((p) => p.published.eq(true))
    const popular = published.where((p) => p.views.gte(100))
    const ordered1 = published.orderBy((p) => p.views, "desc")
    const limited = published.limit(1)
    const skipped = published.offset(2)

    expect(titles(await popular.all())).toEqual(["Advanced SQL", "Effect in practice"])
    expect(await limited.count()).toBe(1)
    expect(await skipped.count()).toBe(1)
    const byViews = await ordered1.all()
    expect(byViews.map((p) => p.views)).toEqual([100, 100, 10])

    // The original is still "published", with no filter, limit or offset added.
    expect(titles(await published.all())).toEqual(["Advanced SQL", "Effect in practice", "Intro to SQL"])
    expect(await published.count()).toBe(3)
    expect(published).not.toBe(popular)
    expect(published.toSQL()).toEqual(Post.where((p) => p.published.eq(true)).toSQL())

    // The same base query can be reused for unrelated refinements.
    const base = Post.select()
    expect(await base.where((p) => p.views.eq(0)).count()).toBe(1)
    expect(await base.where((p) => p.views.eq(100)).count()).toBe(2)
    expect(await base.count()).toBe(SEED.length)
  })

  test("orderBy sorts by several keys, each ascending or descending", async () => {
    const byViewsDescTitleAsc = await Post.select()
      .orderBy((p) => p.views, "desc")
      .orderBy((p) => p.title)
      .all()
    expect(ordered(byViewsDescTitleAsc)).toEqual([
      "Advanced SQL",
      "Effect in practice",
      "intro to TypeScript",
      "Intro to SQL",
      "Zero",
    ])
    const byViewsDescTitleDesc = await Post.select()
      .orderBy((p) => p.views, "desc")
      .orderBy((p) => p.title, "desc")
      .all()
    expect(ordered(byViewsDescTitleDesc).slice(0, 2)).toEqual(["Effect in practice", "Advanced SQL"])
    const byPublishedThenCreated = await Post.select()
      .orderBy((p) => p.published, "asc")
      .orderBy((p) => p.createdAt, "desc")
      .all()
    expect(ordered(byPublishedThenCreated)).toEqual([
      "Zero",
      "intro to TypeScript",
      "Effect in practice",
      "Advanced SQL",
      "Intro to SQL",
    ])
    // Ordering combines with a filter.
    const filtered = await Post.where((p) => p.published.eq(true)).orderBy((p) => p.createdAt, "asc").all()
    expect(ordered(filtered)).toEqual(["Intro to SQL", "Advanced SQL", "Effect in practice"])
  })

  test("limit / offset page through an ordered result", async () => {
    const byId = Post.select().orderBy((p) => p.id)
    const page = async (n: number) => ordered(await byId.limit(2).offset(n * 2).all())
    expect(await page(0)).toEqual(["Intro to SQL", "intro to TypeScript"])
    expect(await page(1)).toEqual(["Advanced SQL", "Effect in practice"])
    expect(await page(2)).toEqual(["Zero"])
    expect(await page(3)).toEqual([])
    // offset alone skips, limit alone caps
    expect(ordered(await byId.offset(3).all())).toEqual(["Effect in practice", "Zero"])
    expect(ordered(await byId.limit(1).all())).toEqual(["Intro to SQL"])
    // the last call wins
    expect(ordered(await byId.limit(1).limit(3).all())).toHaveLength(3)
  })

  test("limit(0) means no rows for every terminal", async () => {
    const none = Post.select().orderBy((p) => p.id).limit(0)
    expect(await none.all()).toEqual([])
    expect(await none.count()).toBe(0)
    expect(await none.first()).toBeNull()
    expect(await none.exists()).toBe(false)
  })

  test("first() returns the first row in order, or null", async () => {
    const top = await Post.select().orderBy((p) => p.views, "desc").orderBy((p) => p.title, "desc").first()
    expect(top?.title).toBe("Effect in practice")
    expect(top).toBe(seeded[3])
    const second = await Post.select().orderBy((p) => p.id).offset(1).first()
    expect(second?.title).toBe("intro to TypeScript")
    expect(await Post.where((p) => p.views.gt(1000)).first()).toBeNull()
  })

  test("count() counts the matching rows and respects limit / offset", async () => {
    expect(await Post.select().count()).toBe(5)
    expect(await Post.where((p) => p.published.eq(true)).count()).toBe(3)
    expect(await Post.where((p) => p.views.gt(1000)).count()).toBe(0)
    expect(await Post.select().limit(2).count()).toBe(2)
    expect(await Post.select().offset(4).count()).toBe(1)
    expect(await Post.select().offset(10).count()).toBe(0)
  })

  test("all() returns model instances, the same objects the identity map holds", async () => {
    const all = await Post.select().orderBy((p) => p.id).all()
    expect(all).toHaveLength(5)
    expect(all[0]).toBeInstanceOf(Post)
    expect(all[0]).toBe(seeded[0])
    expect(all[0]!.createdAt).toEqual(new Date("2024-01-01T00:00:00.000Z"))
    expect(all[0]!.published).toBe(true)
    expect(all[4]!.category).toBeNull()
  })

  test("exists() answers with one statement that stops at the first row instead of counting", async () => {
    const driver = getConnection().driver
    const rows = vi.spyOn(driver, "rows")
    const before = statements()
    expect(await Post.where((p) => p.published.eq(true)).exists()).toBe(true)
    expect(statements() - before).toBe(1)
    expect(rows).toHaveBeenCalledTimes(1)
    const sql = rows.mock.calls[0]![0].sql
    expect(sql).not.toMatch(/count\s*\(/i)
    expect(sql).toMatch(/\bLIMIT\b|\bEXISTS\b/i)
    rows.mockRestore()

    expect(await Post.where((p) => p.views.gt(1000)).exists()).toBe(false)
    expect(await Post.select().exists()).toBe(true)
    expect(await Post.select().offset(4).exists()).toBe(true)
    expect(await Post.select().offset(5).exists()).toBe(false)
    await Post.select().delete()
    expect(await Post.select().exists()).toBe(false)
  })

  test("toSQL() shows the compiled statement and how many parameters it binds", () => {
    const { sql, parameterCount } = Post.where((p) => p.views.gte(100).and(p.title.like("Intro%")))
      .orderBy((p) => p.createdAt, "desc")
      .limit(10)
      .offset(20)
      .toSQL()
    expect(sql).toMatch(/^SELECT .* FROM "q_posts" WHERE .*"views" >= .*"title" LIKE .* ORDER BY "created_at" DESC LIMIT 10 OFFSET 20$/)
    // Values are bound; limit and offset (validated integers) are literals.
    expect(parameterCount).toBe(2)
    expect(sql).not.toContain("Intro%")
  })

  test("update() sets values on every matching row and returns the number of rows updated", async () => {
    expect(await Post.where((p) => p.published.eq(false)).update({ published: true, category: "draft" })).toBe(2)
    const rows = await fetchAll("SELECT title, published, category FROM q_posts WHERE category = 'draft' ORDER BY id")
    expect(rows.map((r) => r.title)).toEqual(["intro to TypeScript", "Zero"])
    // Raw SQL reads the stored representation: 0/1 on SQLite, a boolean on PostgreSQL.
    // Raw SQL reads booleans as the database stores them: 1 on SQLite and MySQL (tinyint(1)).
    const stored = backend.dialect === "postgres" ? true : 1
    expect(rows.map((r) => r.published)).toEqual([stored, stored])
    // Rows that did not match are untouched.
    expect(await fetchOne(sql`SELECT category FROM q_posts WHERE id = ${seeded[0]!.id}`)).toEqual({ category: "db" })
    expect(await Post.where((p) => p.views.gt(1000)).update({ views: 1 })).toBe(0)
    // Held instances see the new values.
    expect(seeded[4]!.published).toBe(true)
    expect(seeded[4]!.category).toBe("draft")
  })

  test("update() with an atomic expression is computed per row by the database", async () => {
    expect(await Post.select().update({ views: (p) => p.views.add(1) })).toBe(5)
    const views = await fetchAll<{ views: number }>("SELECT views FROM q_posts ORDER BY id")
    expect(views.map((r) => r.views)).toEqual([11, 51, 101, 101, 1])
    await Post.where((p) => p.views.gt(100)).update({ views: (p) => p.views.mul(2) })
    await Post.where((p) => p.views.eq(1)).update({ views: (p) => p.views.sub(1), title: "Zero again" })
    const after = await fetchAll<{ views: number; title: string }>("SELECT views, title FROM q_posts ORDER BY id")
    expect(after.map((r) => r.views)).toEqual([11, 51, 202, 202, 0])
    expect(after[4]!.title).toBe("Zero again")
    expect(seeded[2]!.views).toBe(202)
  })

  test("update() with orderBy + limit touches only the first N rows (instances held)", async () => {
    const n = await Post.select().orderBy((p) => p.createdAt, "desc").limit(2).update({ category: "latest" })
    expect(n).toBe(2)
    const rows = await fetchAll<{ title: string }>("SELECT title FROM q_posts WHERE category = 'latest' ORDER BY id")
    expect(rows.map((r) => r.title)).toEqual(["Effect in practice", "Zero"])
    expect(await Post.select().orderBy((p) => p.id).offset(1).limit(1).update({ views: 7 })).toBe(1)
    expect(await fetchOne(sql`SELECT views FROM q_posts WHERE id = ${seeded[1]!.id}`)).toEqual({ views: 7 })
  })

  test("update() and delete() with a limit touch only N rows when no instance is held", async () => {
    expect(await Score.bulkCreate(Array.from({ length: 10 }, (_, i) => ({ points: i })))).toBe(10)
    expect(await Score.select().orderBy((s) => s.points, "desc").limit(3).update({ tag: "top" })).toBe(3)
    const top = await fetchAll<{ points: number }>("SELECT points FROM q_scores WHERE tag = 'top' ORDER BY points")
    expect(top.map((r) => r.points)).toEqual([7, 8, 9])
    expect(await Score.select().orderBy((s) => s.points).offset(1).limit(4).delete()).toBe(4)
    const left = await fetchAll<{ points: number }>("SELECT points FROM q_scores ORDER BY points")
    expect(left.map((r) => r.points)).toEqual([0, 5, 6, 7, 8, 9])
  })

  test("delete() removes the matching rows and returns how many it removed", async () => {
    expect(await Post.where((p) => p.category.isNull()).delete()).toBe(2)
    expect(await Post.select().count()).toBe(3)
    expect(await Post.where((p) => p.category.isNull()).count()).toBe(0)
    expect(await Post.where((p) => p.views.gt(1000)).delete()).toBe(0)
    expect(await Post.select().orderBy((p) => p.views, "desc").limit(1).delete()).toBe(1)
    expect(titles(await Post.select().all())).toEqual(["Intro to SQL", "intro to TypeScript"])
    expect(await Post.select().delete()).toBe(2)
    expect(await fetchAll("SELECT * FROM q_posts")).toEqual([])
  })

  test("update() / delete() with a limit on a model without a primary key still touch only N rows", async () => {
    expect(
      await LogLine.bulkCreate([
        { level: 1, message: "a" },
        { level: 1, message: "b" },
        { level: 1, message: "c" },
      ]),
    ).toBe(3)
    // Either honour the limit or refuse the query; never change every matching row.
    const updated = await LogLine.where((l) => l.level.eq(1))
      .limit(1)
      .update({ level: 2 })
      .catch((error: unknown) => error)
    if (typeof updated === "number") expect(updated).toBe(1)
    expect(await fetchAll("SELECT * FROM q_log_lines WHERE level = 2")).toHaveLength(typeof updated === "number" ? 1 : 0)
    const deleted = await LogLine.select()
      .limit(1)
      .delete()
      .catch((error: unknown) => error)
    if (typeof deleted === "number") expect(deleted).toBe(1)
    expect(await fetchAll("SELECT * FROM q_log_lines")).toHaveLength(typeof deleted === "number" ? 2 : 3)
  })

  test("decimal columns compare and sort by numeric value", async () => {
    for (const [name, price] of [
      ["nine fifty", "9.50"],
      ["ten", "10.00"],
      ["hundred", "100.25"],
      ["two", "2"],
    ] as const) {
      await Product.create({ name, price })
    }
    const pricier = await Product.where((p) => p.price.gt("9.60")).all()
    expect(pricier.map((p) => p.name).sort()).toEqual(["hundred", "ten"])
    expect(await Product.where((p) => p.price.between("5", "50")).count()).toBe(2)
    const sorted = await Product.select().orderBy((p) => p.price).all()
    // An unconstrained decimal is exact everywhere; MySQL stores it as DECIMAL(65,30), so it
    // comes back without the trailing zeros it was written with.
    expect(sorted.map((p) => p.price)).toEqual(backend.dialect === "mysql" ? ["2", "9.5", "10", "100.25"] : ["2", "9.50", "10.00", "100.25"])
  })

  test("get() returns the instance; a missing key throws ModelDoesNotExist with .model and .pk", async () => {
    const post = await Post.get(seeded[2]!.id)
    expect(post).toBe(seeded[2])
    expect(post.title).toBe("Advanced SQL")

    const error = await Post.get(999).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ModelDoesNotExist)
    expect((error as ModelDoesNotExist).model).toBe("Post")
    expect((error as ModelDoesNotExist).pk).toBe(999)
    expect((error as ModelDoesNotExist)._tag).toBe("ModelDoesNotExist")

    expect(await Post.getOrNone(seeded[0]!.id)).toBe(seeded[0])
    expect(await Post.getOrNone(999)).toBeNull()

    // A row deleted behind Ferro's back is not found either.
    await execute(sql`DELETE FROM q_posts WHERE id = ${seeded[4]!.id}`)
    await expect(Post.get(seeded[4]!.id)).rejects.toBeInstanceOf(ModelDoesNotExist)
  })
})
