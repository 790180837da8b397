/**
 * The inference query power relies on (SPEC §2 "Query power"): projection rows, aggregate
 * result types, relation-path column types, and compile errors for wrong paths and types.
 */
import { describe, expectTypeOf, test } from "vitest"
import { Model, type ModelClass, type Operation, type Predicate, count, exists, field, sql } from "ferro-orm"

class Author extends Model("td_authors", {
  id: field.id(),
  name: field.text(),
  bio: field.text({ nullable: true }),
  posts: field.backRef((): ModelClass<Post> => Post),
}) {}

class Post extends Model("td_posts", {
  id: field.id(),
  title: field.text(),
  views: field.int({ default: 0 }),
  likes: field.int({ default: 0 }),
  rating: field.float({ nullable: true }),
  big: field.bigint(),
  price: field.decimal(),
  createdAt: field.datetime({ defaultNow: true }),
  author: field.foreignKey((): ModelClass<Author> => Author, { relatedName: "posts" }),
  editor: field.foreignKey((): ModelClass<Author> => Author, { nullable: true }),
  tags: field.manyToMany((): ModelClass<Tag> => Tag, { relatedName: "posts" }),
}) {}

class Tag extends Model("td_tags", {
  id: field.id(),
  name: field.text(),
  posts: field.backRef((): ModelClass<Post> => Post),
}) {}

describe("projections", () => {
  test("a plain object of expressions gives typed plain rows, relation paths included", () => {
    const rows = Post.select((p) => ({ id: p.id, title: p.title, author: p.author.name })).all()
    expectTypeOf(rows).toEqualTypeOf<Operation<Array<{ id: number; title: string; author: string }>>>()
  })
  test("a nullable foreign key's path is nullable", () => {
    const row = Post.select((p) => ({ editor: p.editor.name, bio: p.author.bio })).first()
    expectTypeOf(row).toEqualTypeOf<Operation<{ editor: string | null; bio: string | null } | null>>()
  })
  test("one expression gives values; a tuple gives tuples", () => {
    expectTypeOf(Post.select((p) => p.createdAt).all()).toEqualTypeOf<Operation<Array<Date>>>()
    expectTypeOf(Post.select((p) => [p.id, p.big]).all()).toEqualTypeOf<Operation<Array<[number, bigint]>>>()
  })
  test("sql<T> fragments select as T", () => {
    expectTypeOf(Post.select((p) => ({ n: sql<number>`length(${p.title})` })).all()).toEqualTypeOf<Operation<Array<{ n: number }>>>()
  })
})

describe("aggregates", () => {
  test("terminals: sum of int -> number, of bigint -> bigint, of decimal -> string; avg, min, max", () => {
    expectTypeOf(Post.select().sum((p) => p.views)).toEqualTypeOf<Operation<number | null>>()
    expectTypeOf(Post.select().sum((p) => p.big)).toEqualTypeOf<Operation<bigint | null>>()
    expectTypeOf(Post.select().sum((p) => p.price)).toEqualTypeOf<Operation<string | null>>()
    expectTypeOf(Post.select().avg((p) => p.views)).toEqualTypeOf<Operation<number | null>>()
    expectTypeOf(Post.select().avg((p) => p.price)).toEqualTypeOf<Operation<string | null>>()
    expectTypeOf(Post.select().min((p) => p.createdAt)).toEqualTypeOf<Operation<Date | null>>()
    expectTypeOf(Post.select().max((p) => p.title)).toEqualTypeOf<Operation<string | null>>()
  })
  test("in projections, with count(), grouping and relation counts", () => {
    const grouped = Post.select((p) => ({ authorId: p.authorId, posts: count(), views: p.views.sum(), top: p.rating.max() }))
      .groupBy((p) => p.authorId)
      .having(() => count().gte(2))
      .all()
    expectTypeOf(grouped).toEqualTypeOf<Operation<Array<{ authorId: number; posts: number; views: number | null; top: number | null }>>>()
    expectTypeOf(Author.select((a) => ({ name: a.name, posts: a.posts.count() })).all()).toEqualTypeOf<
      Operation<Array<{ name: string; posts: number }>>
    >()
  })
})

describe("expressions", () => {
  test("column against column and arithmetic build predicates", () => {
    expectTypeOf(Post.where((p) => p.likes.gt(p.views.div(2)))).toMatchTypeOf<object>()
    expectTypeOf<ReturnType<typeof count>>().not.toBeAny()
  })
  test("some / every / none take the related model's columns", () => {
    Author.where((a) => a.posts.some((p) => p.views.gt(100)))
    Post.where((p) => p.tags.none((t) => t.name.eq("draft")))
    Post.where((p) => p.author.posts.every((q) => q.views.gte(0)))
    expectTypeOf(exists(Post.where((p) => p.authorId.eq(1)))).toEqualTypeOf<Predicate>()
  })
  test("in() takes a query selecting a value of the column's type", () => {
    Post.where((p) => p.authorId.in(Author.where((a) => a.name.like("A%")).select((a) => a.id)))
  })
})

describe("compile errors", () => {
  test("a wrong path, a wrong type, a wrong aggregate", () => {
    // @ts-expect-error no such relation
    Post.where((p) => p.writer.name.eq("x"))
    // @ts-expect-error no such column on the related model
    Post.where((p) => p.author.nickname.eq("x"))
    // @ts-expect-error a text column compared with a number
    Post.where((p) => p.author.name.eq(1))
    // @ts-expect-error an int column compared with a text column
    Post.where((p) => p.views.gt(p.title))
    // @ts-expect-error text has no sum()
    Post.select((p) => ({ s: p.title.sum() }))
    // @ts-expect-error in() with a query selecting text for an int column
    Post.where((p) => p.authorId.in(Author.select((a) => a.name)))
    // @ts-expect-error a to-many relation is not a column
    Author.where((a) => a.posts.eq(1))
    // @ts-expect-error a JS boolean is not a predicate
    Post.where((p) => p.views === p.likes)
  })
})
