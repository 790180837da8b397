import { Schema } from "effect"
import { expect, expectTypeOf, test } from "vitest"
import { getConnection } from "@ferro/core/internal"
import { Model, type ModelClass, connect, field, type RelatedQuery, type Operation } from "ferro-orm"
import { describeEachBackend } from "./support/backends.js"

class Author extends Model("rs_authors", {
  id: field.id(),
  name: field.text(),
  email: field.text({ unique: true }),
  bio: field.text({ nullable: true }),
  posts: field.backRef((): ModelClass<Post> => Post),
  profile: field.backRef((): ModelClass<Profile> => Profile, { one: true }),
}) {}

class Profile extends Model("rs_profiles", {
  id: field.id(),
  author: field.foreignKey((): ModelClass<Author> => Author, { unique: true, relatedName: "profile" }),
  site: field.text(),
}) {}

class Post extends Model("rs_posts", {
  id: field.id(),
  title: field.text({ schema: Schema.String.check(Schema.isMinLength(1)) }),
  views: field.int({ default: 0, index: true }),
  published: field.bool({ default: false }),
  createdAt: field.datetime({ defaultNow: true }),
  author: field.foreignKey((): ModelClass<Author> => Author, { relatedName: "posts", onDelete: "cascade" }),
  tags: field.manyToMany((): ModelClass<Tag> => Tag, { relatedName: "posts" }),
}) {}

class Tag extends Model("rs_tags", {
  id: field.id(),
  name: field.text({ unique: true }),
  posts: field.backRef((): ModelClass<Post> => Post),
}) {}

class Node extends Model("rs_nodes", {
  id: field.id(),
  name: field.text(),
  parent: field.foreignKey((): ModelClass<Node> => Node, { nullable: true, relatedName: "children" }),
  children: field.backRef((): ModelClass<Node> => Node),
  follows: field.manyToMany((): ModelClass<Node> => Node),
}) {}

describeEachBackend("relations smoke", (backend) => {
  test("spec example works", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    const ada = await Author.create({ name: "Ada", email: "ada@x" })
    const p1 = await Post.create({ title: "One", author: ada })
    const p2 = await Post.create({ title: "Two", authorId: ada.id })
    expectTypeOf(p1.authorId).toEqualTypeOf<number>()
    expectTypeOf(p1.author).toEqualTypeOf<Operation<Author>>()
    expectTypeOf(ada.posts).toEqualTypeOf<RelatedQuery<Post>>()
    expectTypeOf(ada.profile).toEqualTypeOf<Operation<Profile | null>>()
    expect(await p1.author).toBe(ada)
    expect(await p2.author).toBe(ada)
    expect(await ada.posts.count()).toBe(2)
    expect((await ada.posts.where((p) => p.title.eq("Two")).all()).map((p) => p.id)).toEqual([p2.id])
    expect(await ada.profile).toBe(null)
    const prof = await Profile.create({ author: ada, site: "x.org" })
    expect(await ada.profile).toBe(prof)
    const t1 = await Tag.create({ name: "a" })
    const t2 = await Tag.create({ name: "b" })
    await p1.tags.add(t1, t2)
    await p1.tags.add(t1)
    await p2.tags.add(t2.id)
    expect(await p1.tags.count()).toBe(2)
    expect((await t2.posts.orderBy((p) => p.id).all()).map((p) => p.id)).toEqual([p1.id, p2.id])
    expect(await p1.tags.remove(t1)).toBe(1)
    expect(await p1.tags.count()).toBe(1)

    const driver = getConnection().driver
    const before = driver.statementCount
    const posts = await Post.select().with("author", "tags", "author.profile").orderBy((p) => p.id).all()
    expect(driver.statementCount - before).toBe(4)
    const mid = driver.statementCount
    expect(await posts[0]!.author).toBe(ada)
    expect((await posts[1]!.tags.all()).map((t) => t.name)).toEqual(["b"])
    expect(await (await posts[0]!.author).profile).toBe(prof)
    expect(driver.statementCount).toBe(mid)

    await ada.delete()
    expect(await Post.select().count()).toBe(0)
  })

  test("self-referential tree and follows", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    const root = await Node.create({ name: "root" })
    const a = await Node.create({ name: "a", parent: root })
    const b = await Node.create({ name: "b", parentId: root.id })
    expectTypeOf(a.parentId).toEqualTypeOf<number | null>()
    expect(await root.parent).toBe(null)
    expect(await a.parent).toBe(root)
    expect((await root.children.orderBy((n) => n.name).all()).map((n) => n.name)).toEqual(["a", "b"])
    await a.follows.add(b, root)
    expect((await a.follows.orderBy((n) => n.name).all()).map((n) => n.name)).toEqual(["b", "root"])
    expect(await b.follows.count()).toBe(0)
  })
})
