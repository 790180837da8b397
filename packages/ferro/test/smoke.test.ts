import { Schema } from "effect"
import { afterEach, expect, test } from "vitest"
import { Model, field, connect, resetEngine, UniqueViolation, ModelDoesNotExist, fetchAll, sql } from "ferro-orm"

class Author extends Model("authors", {
  id: field.id(),
  name: field.text(),
  email: field.text({ unique: true }),
  bio: field.text({ nullable: true }),
}) {}

class Post extends Model("posts", {
  id: field.id(),
  title: field.text({ schema: Schema.String.pipe(Schema.minLength(1)) }),
  views: field.int({ default: 0, index: true }),
  published: field.bool({ default: false }),
  createdAt: field.datetime({ defaultNow: true }),
  big: field.bigint({ default: 0n }),
}) {}

afterEach(() => resetEngine())

test("smoke", async () => {
  await connect("sqlite::memory:", { autoMigrate: true })
  const a = await Author.create({ name: "Ada", email: "ada@x" })
  expect(a.id).toBe(1)
  expect(await Author.get(1)).toBe(a)
  await expect(Author.create({ id: 1, name: "B", email: "b" })).rejects.toBeInstanceOf(UniqueViolation)
  await expect(Author.get(99)).rejects.toBeInstanceOf(ModelDoesNotExist)
  const p = await Post.create({ title: "Intro", big: 2n ** 60n })
  p.views = 5
  await p.save()
  const found = await Post.where((c) => c.views.gte(5).and(c.title.like("In%"))).orderBy((c) => c.createdAt, "desc").all()
  expect(found).toEqual([p])
  expect(found[0]).toBe(p)
  expect(await Post.where((c) => c.views.lt(1)).count()).toBe(0)
  expect(await Post.select().exists()).toBe(true)
  expect(await Post.where((c) => c.published.eq(false)).update({ published: true, views: (c) => c.views.add(1) })).toBe(1)
  expect(p.published).toBe(true)
  expect(p.views).toBe(6)
  expect(await fetchAll(sql`SELECT big FROM posts WHERE id = ${p.id}`)).toEqual([{ big: 2n ** 60n }])
  expect((await Post.get(p.id)).big).toBe(2n ** 60n)
  expect(await Post.where((c) => c.views.gt(0)).delete()).toBe(1)
  expect(await Post.getOrNone(p.id)).toBe(null)
})
