/**
 * Query power (SPEC §2 "Query power"): partial selects, aggregates, grouping, column against
 * column, relation paths, some / every / none, relation counts, subqueries and `sql`
 * fragments, on every backend, also inside transactions and through the Effect API.
 */
import { Effect, Schema } from "effect"
import { beforeEach, expect, test } from "vitest"
import { getConnection } from "@ferro/core/internal"
import {
  Ferro,
  Model,
  type ModelClass,
  QueryError,
  ValidationError,
  connect,
  count,
  exists,
  field,
  not,
  sql,
  transaction,
} from "ferro-orm"
import { describeEachBackend } from "./support/backends.js"

class Author extends Model("qp_authors", {
  id: field.id(),
  name: field.text(),
  email: field.text({ unique: true }),
  bio: field.text({ nullable: true }),
  posts: field.backRef((): ModelClass<Post> => Post),
  profile: field.backRef((): ModelClass<Profile> => Profile, { one: true }),
}) {}

class Profile extends Model("qp_profiles", {
  id: field.id(),
  website: field.text(),
  author: field.foreignKey((): ModelClass<Author> => Author, { relatedName: "profile", unique: true }),
}) {}

class Post extends Model("qp_posts", {
  id: field.id(),
  title: field.text({ schema: Schema.String.check(Schema.isMinLength(1)) }),
  views: field.int({ default: 0 }),
  likes: field.int({ default: 0 }),
  score: field.float({ nullable: true }),
  price: field.decimal({ nullable: true }),
  big: field.bigint({ nullable: true }),
  published: field.bool({ default: false }),
  author: field.foreignKey((): ModelClass<Author> => Author, { relatedName: "posts", onDelete: "cascade" }),
  editor: field.foreignKey((): ModelClass<Author> => Author, { nullable: true }),
  tags: field.manyToMany((): ModelClass<Tag> => Tag, { relatedName: "posts" }),
}) {}

class Tag extends Model("qp_tags", {
  id: field.id(),
  name: field.text({ unique: true }),
  posts: field.backRef((): ModelClass<Post> => Post),
}) {}

const statements = (): number => getConnection().driver.statementCount

describeEachBackend("query power", (backend) => {
  /** An unconstrained decimal as read back: MySQL stores DECIMAL(65,30) and drops trailing zeros. */
  const dec = (v: string): string => (backend.dialect === "mysql" && v.includes(".") ? v.replace(/\.?0+$/, "") : v)
  let ada: Author, alan: Author, grace: Author
  let draft: Tag, news: Tag

  beforeEach(async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    ada = await Author.create({ name: "Ada", email: "ada@x.io" })
    alan = await Author.create({ name: "Alan", email: "alan@x.io", bio: "logic" })
    grace = await Author.create({ name: "Grace", email: "grace@x.io" })
    await Profile.create({ website: "ada.dev", author: ada })
    draft = await Tag.create({ name: "draft" })
    news = await Tag.create({ name: "news" })
    const p1 = await Post.create({ title: "Notes", views: 100, likes: 80, score: 1.5, price: "10.10", big: 9007199254740993n, author: ada, published: true })
    const p2 = await Post.create({ title: "Engine", views: 300, likes: 100, score: 2.5, price: "0.20", big: 1n, author: ada, editor: alan })
    const p3 = await Post.create({ title: "Machines", views: 50, likes: 40, score: null, price: "5.005", author: alan, published: true })
    await p1.tags.add(news)
    await p2.tags.add(draft, news)
    await p3.tags.add(news)
  })

  test("partial selects give plain typed objects, not instances", async () => {
    const rows = await Post.select((p) => ({ id: p.id, title: p.title, author: p.author.name })).orderBy((p) => p.id).all()
    expect(rows).toEqual([
      { id: 1, title: "Notes", author: "Ada" },
      { id: 2, title: "Engine", author: "Ada" },
      { id: 3, title: "Machines", author: "Alan" },
    ])
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype)
    // one value, and tuples
    expect(await Post.select((p) => p.title).orderBy((p) => p.title).all()).toEqual(["Engine", "Machines", "Notes"])
    expect(await Post.select((p) => [p.id, p.published] as const).orderBy((p) => p.id).first()).toEqual([1, true])
    // every type decodes as the column does for instances
    const typed = await Post.select((p) => ({ big: p.big, price: p.price, score: p.score })).where((p) => p.id.eq(1)).first()
    expect(typed).toEqual({ big: 9007199254740993n, price: dec("10.10"), score: 1.5 })
  })

  test("a nullable relation path is a LEFT JOIN and selects null", async () => {
    const rows = await Post.select((p) => ({ title: p.title, editor: p.editor.name })).orderBy((p) => p.id).all()
    expect(rows).toEqual([
      { title: "Notes", editor: null },
      { title: "Engine", editor: "Alan" },
      { title: "Machines", editor: null },
    ])
    expect(Post.select((p) => ({ e: p.editor.name })).toSQL().sql).toContain("LEFT JOIN")
    expect(Post.select((p) => ({ a: p.author.name })).toSQL().sql).not.toContain("LEFT JOIN")
  })

  test("aggregates as terminals, with their result types", async () => {
    expect(await Post.where((p) => p.published.eq(true)).sum((p) => p.views)).toBe(150)
    expect(await Post.select().sum((p) => p.big)).toBe(9007199254740994n)
    expect(await Post.select().sum((p) => p.price)).toMatch(/^15\.305/)
    expect(Number(await Post.select().avg((p) => p.views))).toBeCloseTo(150)
    expect(await Post.select().min((p) => p.views)).toBe(50)
    expect(await Post.select().max((p) => p.title)).toBe("Notes")
    expect(await Post.select().max((p) => p.price)).toBe(dec("10.10"))
    expect(await Post.select().min((p) => p.price)).toBe(dec("0.20"))
    // no rows: SQL gives NULL
    expect(await Post.where((p) => p.views.gt(10_000)).sum((p) => p.views)).toBeNull()
    expect(await Post.where((p) => p.views.gt(10_000)).max((p) => p.views)).toBeNull()
  })

  test("aggregates in a projection", async () => {
    const row = await Post.select((p) => ({ n: count(), top: p.views.max(), mean: p.views.avg() })).first()
    expect(row).toEqual({ n: 3, top: 300, mean: 150 })
  })

  test("groupBy / having / orderBy on an aggregate", async () => {
    const rows = await Post.select((p) => ({ authorId: p.authorId, posts: count(), views: p.views.sum() }))
      .groupBy((p) => p.authorId)
      .orderBy((p) => p.views.sum(), "desc")
      .all()
    expect(rows).toEqual([
      { authorId: ada.id, posts: 2, views: 400 },
      { authorId: alan.id, posts: 1, views: 50 },
    ])
    const prolific = await Post.select((p) => ({ authorId: p.authorId, posts: count() }))
      .groupBy((p) => [p.authorId])
      .having(() => count().gte(2))
      .all()
    expect(prolific).toEqual([{ authorId: ada.id, posts: 2 }])
    expect(
      await Post.select((p) => ({ authorId: p.authorId, posts: count() }))
        .groupBy((p) => p.authorId)
        .count(),
    ).toBe(2)
  })

  test("distinct", async () => {
    const rows = await Post.select((p) => ({ authorId: p.authorId })).distinct().orderBy((p) => p.authorId).all()
    expect(rows).toEqual([{ authorId: ada.id }, { authorId: alan.id }])
  })

  test("column against column, and arithmetic", async () => {
    const rows = await Post.where((p) => p.likes.gt(p.views.div(2))).orderBy((p) => p.id).all()
    expect(rows.map((p) => p.title)).toEqual(["Notes", "Machines"])
    expect((await Post.where((p) => p.likes.add(p.views).gte(400)).all()).map((p) => p.title)).toEqual(["Engine"])
    const ratio = await Post.select((p) => ({ id: p.id, total: p.views.add(p.likes) })).orderBy((p) => p.id).all()
    expect(ratio.map((r) => r.total)).toEqual([180, 400, 90])
    // integer division truncates on every backend, with a bound operand too
    expect(await Post.select((p) => [p.views.div(7), p.views.div(p.likes)]).orderBy((p) => p.id).all()).toEqual([
      [14, 1],
      [42, 3],
      [7, 1],
    ])
    await Post.where((p) => p.id.eq(1)).update({ views: (p) => p.views.div(3) })
    expect((await Post.get(1)).views).toBe(33)
  })

  test("forward relation paths in where and orderBy", async () => {
    const rows = await Post.where((p) => p.author.name.eq("Ada")).orderBy((p) => p.author.name).orderBy((p) => p.id).all()
    expect(rows.map((p) => p.title)).toEqual(["Notes", "Engine"])
    // instances from a joined query are the model's own instances
    expect(rows[0]).toBeInstanceOf(Post)
    expect(rows[0]!.views).toBe(100)
    const byEditor = await Post.where((p) => p.editor.name.isNull()).count()
    expect(byEditor).toBe(2)
    // two levels: a post whose author has a profile on ada.dev
    expect((await Post.where((p) => p.author.profile.website.eq("ada.dev")).all()).length).toBe(2)
    // update and delete through a path
    expect(await Post.where((p) => p.author.name.eq("Alan")).update({ views: 51 })).toBe(1)
    expect((await Post.get(3)).views).toBe(51)
  })

  test("some / every / none over back references and many-to-many, without duplicates", async () => {
    const some = await Author.where((a) => a.posts.some((p) => p.views.gt(60))).all()
    expect(some.map((a) => a.name)).toEqual(["Ada"])
    const any = await Author.where((a) => a.posts.some()).orderBy((a) => a.id).all()
    expect(any.map((a) => a.name)).toEqual(["Ada", "Alan"])
    const none = await Author.where((a) => a.posts.none()).all()
    expect(none.map((a) => a.name)).toEqual(["Grace"])
    // every: vacuously true for Grace
    const every = await Author.where((a) => a.posts.every((p) => p.views.gte(100))).orderBy((a) => a.id).all()
    expect(every.map((a) => a.name)).toEqual(["Ada", "Grace"])
    // many-to-many, both sides
    const notDraft = await Post.where((p) => p.tags.none((t) => t.name.eq("draft"))).orderBy((p) => p.id).all()
    expect(notDraft.map((p) => p.title)).toEqual(["Notes", "Machines"])
    const tagged = await Tag.where((t) => t.posts.some((p) => p.author.name.eq("Alan"))).all()
    expect(tagged.map((t) => t.name)).toEqual(["news"])
    // every post has the news tag
    expect(await Post.where((p) => p.tags.some((t) => t.name.eq("news"))).count()).toBe(3)
  })

  test("relation counts as expressions", async () => {
    const rows = await Author.select((a) => ({ name: a.name, posts: a.posts.count() })).orderBy((a) => a.id).all()
    expect(rows).toEqual([
      { name: "Ada", posts: 2 },
      { name: "Alan", posts: 1 },
      { name: "Grace", posts: 0 },
    ])
    expect((await Author.where((a) => a.posts.count().gte(2)).all()).map((a) => a.name)).toEqual(["Ada"])
    const byTags = await Post.select((p) => ({ id: p.id, tags: p.tags.count() })).orderBy((p) => p.tags.count(), "desc").orderBy((p) => p.id).all()
    expect(byTags).toEqual([{ id: 2, tags: 2 }, { id: 1, tags: 1 }, { id: 3, tags: 1 }])
  })

  test("subqueries: in(query) and correlated exists()", async () => {
    const rows = await Post.where((p) => p.authorId.in(Author.where((a) => a.name.like("A%")).select((a) => a.id))).count()
    expect(rows).toBe(3)
    expect(await Post.where((p) => p.authorId.notIn(Author.where((a) => a.name.eq("Ada")).select((a) => a.id))).count()).toBe(1)
    expect(await Author.where((a) => exists(Post.where((p) => p.authorId.eq(a.id)))).count()).toBe(2)
    expect(await Author.where((a) => not(exists(Post.where((p) => p.authorId.eq(a.id))))).count()).toBe(1)
    // self-correlation: authors with a namesake initial among other authors
    const shared = await Author.where((a) => exists(Author.where((b) => b.id.ne(a.id).and(b.bio.isNull())))).count()
    expect(shared).toBe(3)
  })

  test("sql fragments as expressions: columns quoted, values bound", async () => {
    const query = Post.where((p) => sql<boolean>`length(${p.title}) > ${5}`)
    expect(query.toSQL().parameterCount).toBe(1)
    expect((await query.orderBy((p) => p.id).all()).map((p) => p.title)).toEqual(["Engine", "Machines"])
    const lengths = await Post.select((p) => ({ n: sql<number>`length(${p.title})` })).orderBy((p) => p.id).all()
    expect(lengths.map((r) => Number(r.n))).toEqual([5, 6, 8])
    // mapWith() decodes a fragment's cell the same way on every backend
    const mapped = await Post.select((p) => sql`length(${p.title})`.mapWith(Number)).orderBy((p) => p.id).all()
    expect(mapped).toEqual([5, 6, 8])
  })

  test("orderBy any expression with nulls first / last", async () => {
    const last = await Post.select((p) => p.score).orderBy((p) => p.score, "asc", { nulls: "last" }).all()
    expect(last).toEqual([1.5, 2.5, null])
    const first = await Post.select((p) => p.score).orderBy((p) => p.score, { direction: "desc", nulls: "first" }).all()
    expect(first).toEqual([null, 2.5, 1.5])
  })

  test("a callback returning a JS boolean is refused before any SQL runs", async () => {
    const before = statements()
    // `&&` keeps only its right side: refused, naming the fix
    expect(() => Post.where((p) => p.views.gt(1) && p.likes.gt(2))).toThrow(/\.and\(\)/)
    // @ts-expect-error a JS boolean is not a predicate
    expect(() => Post.where((p) => p.views === p.likes)).toThrow(/JS boolean/)
    expect(() => Post.select((p) => ({ n: count() })).having(() => count().gte(1) && count().lte(3))).toThrow(QueryError)
    expect(statements()).toBe(before)
  })

  test("bad input is a typed error before any SQL: values, paths and foreign columns", async () => {
    const before = statements()
    expect(() => Post.where((p) => p.views.gt("x" as never))).toThrow(ValidationError)
    // @ts-expect-error not a relation or field
    expect(() => Post.where((p) => p.writer.name.eq("x"))).toThrow(QueryError)
    await expect(Post.select().sum((p) => p.title as never)).rejects.toThrow(QueryError)
    let outer: unknown
    Author.where((a) => (outer = a.name.eq("Ada")) as never)
    await expect(Post.where(outer as never).all()).rejects.toThrow(QueryError)
    const projected = Post.select((p) => ({ n: count() })) as unknown as { with(path: string): unknown }
    expect(() => projected.with("author")).toThrow(QueryError)
    expect(statements()).toBe(before)
  })

  test("inside transactions, with using(), and through the Effect API", async () => {
    await transaction(async () => {
      await Post.create({ title: "Tx", views: 7, author: grace })
      expect(await Author.where((a) => a.posts.some((p) => p.title.eq("Tx"))).count()).toBe(1)
      expect(await Post.select((p) => ({ n: count() })).where((p) => p.author.name.eq("Grace")).first()).toEqual({ n: 1 })
    })
    expect(await Post.using("default").select((p) => p.title).where((p) => p.author.name.eq("Grace")).all()).toEqual(["Tx"])
    const program = Ferro.transaction(
      Effect.gen(function* () {
        const rows = yield* Author.select((a) => ({ name: a.name, posts: a.posts.count() })).orderBy((a) => a.id).all()
        const total = yield* Post.select().sum((p) => p.views)
        return { rows, total }
      }),
    )
    const { rows, total } = await Effect.runPromise(program)
    expect(rows.map((r) => r.posts)).toEqual([2, 1, 1])
    expect(total).toBe(457)
  })
})
