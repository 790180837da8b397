/**
 * Bad input (SPEC §2 "Errors"): unknown fields, wrong types, bad limits, where callbacks that
 * do not return a predicate, values that cannot be bound. Each gets a typed Ferro error
 * before any SQL runs (the driver's statement counter does not move), and nothing is
 * half-written. Where the mistake is also a type error, `@ts-expect-error` asserts that too.
 */
import { Schema } from "effect"
import { beforeEach, expect, test } from "vitest"
import { getConnection } from "@ferro/core/internal"
import {
  FerroError,
  Model,
  QueryError,
  ValidationError,
  and,
  connect,
  execute,
  fetchAll,
  fetchOne,
  field,
  not,
  or,
  sql,
  type Predicate,
} from "ferro-orm"
import { describeEachBackend } from "./support/backends.js"

class Post extends Model("b_posts", {
  id: field.id(),
  title: field.text({ schema: Schema.String.check(Schema.isMinLength(1)) }),
  views: field.int({ default: 0 }),
  published: field.bool({ default: false }),
  createdAt: field.datetime({ defaultNow: true }),
  code: field.text({ maxLength: 5, nullable: true }),
  meta: field.json({ nullable: true }),
}) {}

class Other extends Model("b_others", {
  id: field.id(),
  name: field.text(),
}) {}

type ErrorClass = abstract new (...args: never[]) => Error

const statements = (): number => getConnection().driver.statementCount

/**
 * Runs `fn` (which may throw or reject), expects an `expected` error that is a FerroError,
 * and checks that no statement reached the database meanwhile. Returns the error.
 */
const failsBeforeSql = async <E extends ErrorClass>(expected: E, fn: () => unknown): Promise<InstanceType<E>> => {
  const before = statements()
  let caught: unknown = undefined
  try {
    await fn()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(expected)
  expect(caught).toBeInstanceOf(FerroError)
  expect(statements()).toBe(before)
  return caught as InstanceType<E>
}

const paths = (error: ValidationError): Array<string> => error.issues.map((i) => i.path)
const rowCount = async (): Promise<number> => Number((await fetchOne<{ n: number }>("SELECT COUNT(*) AS n FROM b_posts"))!.n)
const snapshot = () => fetchAll("SELECT * FROM b_posts ORDER BY id")

describeEachBackend("bad input", (backend) => {
  let first: Post

  beforeEach(async () => {
    await connect((await backend.freshUrl()), { autoMigrate: true })
    first = await Post.create({ title: "First", views: 3, createdAt: new Date("2024-01-01T00:00:00Z") })
    await Post.create({ title: "Second", views: 7, createdAt: new Date("2024-02-01T00:00:00Z") })
  })

  test("create() with an unknown field is a ValidationError naming it", async () => {
    const error = await failsBeforeSql(ValidationError, () =>
      // @ts-expect-error -- 'bogus' is not a field of Post
      Post.create({ title: "x", bogus: 1 }),
    )
    expect(paths(error)).toContain("bogus")
    expect(error.model).toBe("Post")
    expect(await rowCount()).toBe(2)
  })

  test("create() with wrong types names every failing field, and never echoes the values", async () => {
    const error = await failsBeforeSql(ValidationError, () =>
      Post.create({
        // @ts-expect-error -- title is a string
        title: 12345,
        // @ts-expect-error -- views is a number
        views: "secret-value",
        // @ts-expect-error -- published is a boolean
        published: "yes",
      }),
    )
    expect(paths(error).sort()).toEqual(["published", "title", "views"])
    expect(error.message).not.toContain("secret-value")
    expect(error.message).not.toContain("12345")
    // @ts-expect-error -- title is required
    await failsBeforeSql(ValidationError, () => Post.create({ views: 1 }))
    await failsBeforeSql(ValidationError, () => Post.create({ title: "x", views: 1.5 }))
    await failsBeforeSql(ValidationError, () => Post.create({ title: "x", views: 2 ** 40 }))
    await failsBeforeSql(ValidationError, () => Post.create({ title: "x", views: Number.NaN }))
    await failsBeforeSql(ValidationError, () => Post.create({ title: "x", createdAt: new Date("not a date") }))
    // @ts-expect-error -- not an object of field values
    await failsBeforeSql(ValidationError, () => Post.create("title"))
    expect(await rowCount()).toBe(2)
  })

  test("create() runs each field's own validation (schema, maxLength)", async () => {
    const empty = await failsBeforeSql(ValidationError, () => Post.create({ title: "" }))
    expect(paths(empty)).toEqual(["title"])
    const long = await failsBeforeSql(ValidationError, () => Post.create({ title: "ok", code: "too long" }))
    expect(new Set(paths(long))).toEqual(new Set(["code"]))
    expect(await rowCount()).toBe(2)
  })

  test("save() of an instance holding a wrong value fails before SQL and leaves the row alone", async () => {
    // @ts-expect-error -- views is a number
    first.views = "many"
    await failsBeforeSql(ValidationError, () => first.save())
    first.views = 4
    first.title = ""
    await failsBeforeSql(ValidationError, () => first.save())
    expect(await fetchOne(sql`SELECT title, views FROM b_posts WHERE id = ${first.id}`)).toEqual({ title: "First", views: 3 })
    const draft = new Post({ title: "draft" })
    draft.title = ""
    await failsBeforeSql(ValidationError, () => draft.save())
    expect(await rowCount()).toBe(2)
  })

  test("where() on an unknown field is a QueryError that lists the model's fields", async () => {
    const error = await failsBeforeSql(QueryError, () =>
      // @ts-expect-error -- 'bogus' is not a field of Post
      Post.where((p) => p.bogus.eq(1)),
    )
    expect(error.message).toContain("bogus")
    expect(error.message).toContain("views")
    await failsBeforeSql(QueryError, () =>
      // @ts-expect-error -- 'bogus' is not a field of Post
      Post.select().orderBy((p) => p.bogus),
    )
  })

  test("where() values of the wrong type are ValidationErrors", async () => {
    // @ts-expect-error -- views compares with numbers
    await failsBeforeSql(ValidationError, () => Post.where((p) => p.views.eq("3")).all())
    // @ts-expect-error -- title compares with strings
    await failsBeforeSql(ValidationError, () => Post.where((p) => p.title.eq(3)).all())
    // @ts-expect-error -- published compares with booleans
    await failsBeforeSql(ValidationError, () => Post.where((p) => p.published.eq(1)).all())
    await failsBeforeSql(ValidationError, () => Post.where((p) => p.createdAt.gt("not a date")).all())
    await failsBeforeSql(ValidationError, () => Post.where((p) => p.views.gt(1.5)).all())
    // @ts-expect-error -- members must be numbers
    await failsBeforeSql(ValidationError, () => Post.where((p) => p.views.in([1, "2"])).all())
    // @ts-expect-error -- null is not a member value (use isNull())
    await failsBeforeSql(ValidationError, () => Post.where((p) => p.views.in([null])).all())
    // @ts-expect-error -- between takes numbers here
    await failsBeforeSql(ValidationError, () => Post.where((p) => p.views.between("1", 5)).all())
    // @ts-expect-error -- in() takes an array
    await failsBeforeSql(QueryError, () => Post.where((p) => p.views.in(3)).all())
    // a non-nullable column compared with null is just IS NULL: no rows, no error
    expect(await Post.where((p) => p.views.eq(null as unknown as number)).count()).toBe(0)
  })

  test("a where() callback that returns a boolean (p.views > 3) is a QueryError that says how to fix it", async () => {
    const error = await failsBeforeSql(QueryError, () =>
      // @ts-expect-error -- JS operators on columns do not build predicates
      Post.where((p) => p.views > 3),
    )
    expect(error.message).toMatch(/predicate/)
    expect(error.message).toMatch(/\.eq\(\)|column methods/)
    // @ts-expect-error -- forgot to return the predicate
    await failsBeforeSql(QueryError, () => Post.where((p) => void p.views.gt(3)))
    // @ts-expect-error -- a column is not a predicate
    await failsBeforeSql(QueryError, () => Post.where((p) => p.published))
    // @ts-expect-error -- an async callback returns a promise, not a predicate
    await failsBeforeSql(QueryError, () => Post.where(async (p) => p.views.gt(3)))
    // @ts-expect-error -- not a callback or predicate
    await failsBeforeSql(QueryError, () => Post.where(true))
    // @ts-expect-error -- not a callback or predicate
    await failsBeforeSql(QueryError, () => Post.select().where({ views: 3 }))
  })

  test("and() / or() / not() reject what is not a predicate", async () => {
    // @ts-expect-error -- a boolean is not a predicate
    await failsBeforeSql(QueryError, () => Post.where((p) => p.views.gt(1).and(p.views < 3)))
    // @ts-expect-error -- a boolean is not a predicate
    await failsBeforeSql(QueryError, () => Post.where((p) => p.views.gt(1).or(true)))
    // @ts-expect-error -- a boolean is not a predicate
    await failsBeforeSql(QueryError, () => Post.where(() => not(false)))
    // @ts-expect-error -- a column is not a predicate
    await failsBeforeSql(QueryError, () => Post.where((p) => and(p.views.gt(1), p.title)))
    // @ts-expect-error -- undefined is not a predicate
    await failsBeforeSql(QueryError, () => Post.where((p) => or(p.views.gt(1), undefined)))
  })

  test("limit() / offset() reject negative, fractional and non-numeric values", async () => {
    await failsBeforeSql(QueryError, () => Post.select().limit(-1))
    await failsBeforeSql(QueryError, () => Post.select().offset(-5))
    await failsBeforeSql(QueryError, () => Post.select().limit(1.5))
    await failsBeforeSql(QueryError, () => Post.select().limit(Number.NaN))
    await failsBeforeSql(QueryError, () => Post.select().limit(Number.POSITIVE_INFINITY))
    // @ts-expect-error -- limit takes a number
    await failsBeforeSql(QueryError, () => Post.select().limit("10"))
    // the query a failed call was made on is still usable
    const q = Post.select()
    expect(() => q.limit(-1)).toThrow(QueryError)
    expect(await q.count()).toBe(2)
  })

  test("orderBy() rejects what is not a column of the model, and unknown directions", async () => {
    // @ts-expect-error -- a string is not a column
    await failsBeforeSql(QueryError, () => Post.select().orderBy((p) => "views"))
    // @ts-expect-error -- orderBy takes a callback
    await failsBeforeSql(QueryError, () => Post.select().orderBy("views"))
    // @ts-expect-error -- direction is "asc" or "desc"
    await failsBeforeSql(QueryError, () => Post.select().orderBy((p) => p.views, "down"))
    let foreign: unknown
    Other.where((o) => {
      foreign = o.name
      return o.name.eq("x")
    })
    await failsBeforeSql(QueryError, () => Post.select().orderBy(() => foreign as never))
  })

  test("like / ilike need a text column and a string pattern", async () => {
    // @ts-expect-error -- numeric columns have no like()
    await failsBeforeSql(QueryError, () => Post.where((p) => p.views.like("1%")))
    // @ts-expect-error -- numeric columns have no ilike()
    await failsBeforeSql(QueryError, () => Post.where((p) => p.views.ilike("1%")))
    // @ts-expect-error -- the pattern is a string
    await failsBeforeSql(ValidationError, () => Post.where((p) => p.title.like(5)))
  })

  test("update() with unknown fields, wrong types or null for a required field changes nothing", async () => {
    const before = await snapshot()
    // @ts-expect-error -- 'bogus' is not a field of Post
    const unknown = await failsBeforeSql(ValidationError, () => Post.select().update({ bogus: 1 }))
    expect(paths(unknown)).toEqual(["bogus"])
    // @ts-expect-error -- views is a number
    await failsBeforeSql(ValidationError, () => Post.select().update({ views: "3" }))
    // @ts-expect-error -- title is not nullable
    await failsBeforeSql(ValidationError, () => Post.select().update({ title: null }))
    // One good and one bad value: nothing at all is written.
    // @ts-expect-error -- published is a boolean
    const mixed = await failsBeforeSql(ValidationError, () => Post.select().update({ views: 100, published: "yes" }))
    expect(paths(mixed)).toEqual(["published"])
    await failsBeforeSql(QueryError, () => Post.select().update({}))
    // @ts-expect-error -- update() takes an object
    await failsBeforeSql(ValidationError, () => Post.select().update(null))
    expect(await snapshot()).toEqual(before)
    expect(first.views).toBe(3)
  })

  test("update() runs each field's own validation too (schema, maxLength)", async () => {
    const before = await snapshot()
    const empty = await failsBeforeSql(ValidationError, () => Post.select().update({ title: "" }))
    expect(paths(empty)).toEqual(["title"])
    await failsBeforeSql(ValidationError, () => Post.select().update({ code: "far too long" }))
    expect(await snapshot()).toEqual(before)
  })

  test("update() expression callbacks must return an update expression over a numeric column", async () => {
    const before = await snapshot()
    // @ts-expect-error -- the callback must return an expression, not a number
    await failsBeforeSql(QueryError, () => Post.select().update({ views: (p) => 5 }))
    // @ts-expect-error -- a predicate is not an update expression
    await failsBeforeSql(QueryError, () => Post.select().update({ views: (p) => p.views.gt(1) }))
    // @ts-expect-error -- text columns have no arithmetic
    await failsBeforeSql(QueryError, () => Post.select().update({ title: (p) => p.title.add(1) }))
    await failsBeforeSql(ValidationError, () => Post.select().update({ views: (p) => p.views.add(0.5) }))
    // @ts-expect-error -- the operand is a number
    await failsBeforeSql(ValidationError, () => Post.select().update({ views: (p) => p.views.add("1") }))
    expect(await snapshot()).toEqual(before)
  })

  test("get() / getOrNone() with a key of the wrong type fail before SQL", async () => {
    const error = await failsBeforeSql(ValidationError, () => Post.get("1"))
    expect(paths(error)).toEqual(["id"])
    await failsBeforeSql(ValidationError, () => Post.getOrNone(1.5))
    await failsBeforeSql(ValidationError, () => Post.get(null as unknown as number))
    await failsBeforeSql(ValidationError, () => Post.get(undefined as unknown as number))
  })

  test("an empty in([]) matches nothing: update and delete through it touch no row", async () => {
    const before = await snapshot()
    expect(await Post.where((p) => p.id.in([])).all()).toEqual([])
    expect(await Post.where((p) => p.id.in([])).update({ views: 0 })).toBe(0)
    expect(await Post.where((p) => p.id.in([])).delete()).toBe(0)
    expect(await Post.where((p) => p.id.in([]).and(p.views.gt(0))).delete()).toBe(0)
    expect(await snapshot()).toEqual(before)
  })

  test("bulkCreate() validates every item first: one bad item, no SQL and no rows", async () => {
    const items = [
      { title: "ok 1" },
      { title: "ok 2" },
      { title: "bad", views: "many" as unknown as number },
      { title: "" },
    ]
    const error = await failsBeforeSql(ValidationError, () => Post.bulkCreate(items))
    expect(paths(error)).toContain("[2].views")
    expect(await rowCount()).toBe(2)
    // @ts-expect-error -- bulkCreate takes an array
    await failsBeforeSql(ValidationError, () => Post.bulkCreate({ title: "x" }))
    // an instance of another model is not a Post
    const other = new Other({ name: "x" })
    await failsBeforeSql(ValidationError, () => Post.bulkCreate([{ title: "ok" }, other as unknown as Post]))
    // @ts-expect-error -- unknown field in an item
    await failsBeforeSql(ValidationError, () => Post.bulkCreate([{ title: "ok", bogus: true }]))
    expect(await rowCount()).toBe(2)
  })

  test("bulkCreate() checks again what changed after an item was built: an edited instance, a subclass field initialiser", async () => {
    const rows = await rowCount()
    const edited = new Post({ title: "ok" })
    ;(edited as unknown as Record<string, unknown>).views = "many"
    const error = await failsBeforeSql(ValidationError, () => Post.bulkCreate([{ title: "fine" }, edited]))
    expect(paths(error)).toEqual(["[1].views"])
    // The initialiser runs after the constructor validated the input: its value is checked too.
    class Loud extends Post {
      override title = 42 as unknown as string
    }
    const loud = await failsBeforeSql(ValidationError, () => Loud.bulkCreate([{ title: "quiet" }]))
    expect(paths(loud)).toEqual(["[0].title"])
    expect(await rowCount()).toBe(rows)
  })

  test("getOrCreate() / updateOrCreate() reject bad lookups before SQL", async () => {
    await failsBeforeSql(ValidationError, () => Post.getOrCreate({}))
    // @ts-expect-error -- 'bogus' is not a field of Post
    await failsBeforeSql(FerroError, () => Post.getOrCreate({ bogus: 1 }))
    // @ts-expect-error -- views is a number
    await failsBeforeSql(ValidationError, () => Post.updateOrCreate({ views: "3" }, { title: "x" }))
    // A new row from lookup + defaults is validated like create().
    await expect(Post.getOrCreate({ title: "new" }, { views: 1.5 })).rejects.toBeInstanceOf(ValidationError)
    expect(await rowCount()).toBe(2)
  })

  test("updateOrCreate() with an invalid default for an existing row leaves the instance and row unchanged", async () => {
    // @ts-expect-error -- views is a number
    await expect(Post.updateOrCreate({ id: first.id }, { views: "many", title: "renamed" })).rejects.toBeInstanceOf(ValidationError)
    expect(await fetchOne(sql`SELECT title, views FROM b_posts WHERE id = ${first.id}`)).toEqual({ title: "First", views: 3 })
    // The identity map hands everyone this object: it must not carry the rejected values.
    const held = await Post.get(first.id)
    expect(held.views).toBe(3)
    expect(held.title).toBe("First")
  })

  test("updateOrCreate() with an unknown default field is a ValidationError whether or not the row exists", async () => {
    // Row absent: rejected as create() would.
    // @ts-expect-error -- 'bogus' is not a field of Post
    await expect(Post.updateOrCreate({ title: "absent" }, { bogus: 1 })).rejects.toBeInstanceOf(ValidationError)
    // Row present: must not be silently ignored (nor stuck onto the instance).
    // @ts-expect-error -- 'bogus' is not a field of Post
    await expect(Post.updateOrCreate({ id: first.id }, { bogus: 1 })).rejects.toBeInstanceOf(ValidationError)
    expect("bogus" in first).toBe(false)
  })

  test("JSON values that cannot be stored (BigInt, cycles, functions, symbols) are ValidationErrors before SQL", async () => {
    const cyclic: Record<string, unknown> = { name: "loop" }
    cyclic.self = cyclic
    const unstorable: ReadonlyArray<readonly [string, unknown]> = [
      ["bigint", { n: 1n }],
      ["cycle", cyclic],
      ["function", () => 1],
      ["symbol", Symbol("s")],
    ]
    for (const [label, value] of unstorable) {
      const created = await failsBeforeSql(ValidationError, () => Post.create({ title: label, meta: value }))
      expect(paths(created)).toEqual(["meta"])
      await failsBeforeSql(ValidationError, () => Post.bulkCreate([{ title: "ok" }, { title: label, meta: value }]))
      await failsBeforeSql(ValidationError, () => Post.where((p) => p.id.eq(first.id)).update({ meta: value }))
    }
    expect(await rowCount()).toBe(2)
    expect(await fetchOne(sql`SELECT meta FROM b_posts WHERE id = ${first.id}`)).toEqual({ meta: null })
  })

  test("raw SQL parameters that cannot be bound are QueryErrors before SQL", async () => {
    // The string form takes the backend's own placeholder; the statements are otherwise valid.
    const p1 = backend.dialect === "sqlite" ? "?" : "$1"
    const undef = await failsBeforeSql(QueryError, () => execute(`UPDATE b_posts SET views = ${p1}`, [undefined]))
    expect(undef.message).toMatch(/parameter 1/)
    await failsBeforeSql(QueryError, () => execute(`UPDATE b_posts SET views = ${p1}`, [Symbol("x")]))
    await failsBeforeSql(QueryError, () => fetchAll(`SELECT * FROM b_posts WHERE views = ${p1}`, [() => 1]))
    await failsBeforeSql(QueryError, () => fetchAll(sql`SELECT * FROM b_posts WHERE views = ${undefined}`))
    await failsBeforeSql(QueryError, () => execute(`UPDATE b_posts SET views = ${p1}`, [new Date("nope")]))
    await failsBeforeSql(QueryError, () => execute("   "))
    expect(await fetchAll<{ views: number }>("SELECT views FROM b_posts ORDER BY id")).toEqual([{ views: 3 }, { views: 7 }])
  })

  test("a predicate built from another model's columns cannot filter this model", async () => {
    // Other and Post both have an "id" column: using Other's predicate on Post must not
    // silently filter Post's rows (orderBy() already refuses another model's column).
    let foreign: Predicate | undefined
    Other.where((o) => (foreign = o.id.eq(first.id)))
    await failsBeforeSql(QueryError, () => Post.where(foreign!).all())
  })
})
