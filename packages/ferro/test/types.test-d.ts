import { Schema } from "effect"
import { describe, expectTypeOf, test } from "vitest"
import {
  type CreateInput,
  LazyRows,
  Model,
  type ModelClass,
  type Predicate,
  type Query,
  field,
  not,
  type Operation,
} from "ferro-orm"

class Author extends Model("t_authors", {
  id: field.id(),
  name: field.text(),
  email: field.text({ unique: true }),
  bio: field.text({ nullable: true }),
}) {
  get display(): string {
    return `${this.name} <${this.email}>`
  }
}

class Post extends Model("t_posts", {
  id: field.id(),
  title: field.text({ schema: Schema.String.check(Schema.isMinLength(1)) }),
  views: field.int({ default: 0, index: true }),
  published: field.bool({ default: false }),
  createdAt: field.datetime({ defaultNow: true }),
  big: field.bigint({ nullable: true }),
  status: field.enum(["draft", "live"]),
  meta: field.json({ schema: Schema.Struct({ tags: Schema.Array(Schema.String) }) }),
  code: field.uuid({ primaryKey: false }),
  plain: Schema.String,
}) {}

class Token extends Model("t_tokens", {
  key: field.uuid({ primaryKey: true }),
  label: field.text(),
}) {}

describe("model statics follow the subclass", () => {
  test("create returns Promise<Author>", () => {
    expectTypeOf(Author.create({ name: "a", email: "e" })).toEqualTypeOf<Operation<Author>>()
    expectTypeOf(Author.get(1)).toEqualTypeOf<Operation<Author>>()
    expectTypeOf(Author.getOrNone(1)).toEqualTypeOf<Operation<Author | null>>()
    expectTypeOf(Author.where((a) => a.id.eq(1)).all()).toEqualTypeOf<Operation<Array<Author>>>()
    expectTypeOf(Author.select().first()).toEqualTypeOf<Operation<Author | null>>()
    expectTypeOf(Author.getOrCreate({ email: "e" }, { name: "n" })).toEqualTypeOf<Operation<[Author, boolean]>>()
    expectTypeOf(Author.using("other").get(1)).toEqualTypeOf<Operation<Author>>()
    expectTypeOf(Author.select()).toEqualTypeOf<Query<Author, (typeof Author)["~fields"]>>()
  })

  test("subclass members survive", async () => {
    const author = await Author.get(1)
    expectTypeOf(author.display).toEqualTypeOf<string>()
    expectTypeOf(author.save()).toEqualTypeOf<Operation<Author>>()
    expectTypeOf(author.refresh()).toEqualTypeOf<Operation<Author>>()
    expectTypeOf(author.delete()).toEqualTypeOf<Operation<void>>()
  })

  test("a model class is assignable to ModelClass<T>, for relation thunks", () => {
    const thunk = (): ModelClass<Post> => Post
    expectTypeOf(thunk).returns.toMatchTypeOf<ModelClass<Post>>()
  })
})

describe("instance property types follow the fields", () => {
  test("property types", async () => {
    const post = await Post.get(1)
    expectTypeOf(post.id).toEqualTypeOf<number>()
    expectTypeOf(post.title).toEqualTypeOf<string>()
    expectTypeOf(post.views).toEqualTypeOf<number>()
    expectTypeOf(post.createdAt).toEqualTypeOf<Date>()
    expectTypeOf(post.big).toEqualTypeOf<bigint | null>()
    expectTypeOf(post.status).toEqualTypeOf<"draft" | "live">()
    expectTypeOf(post.meta).toEqualTypeOf<{ readonly tags: ReadonlyArray<string> }>()
    expectTypeOf(post.plain).toEqualTypeOf<string>()
    // instances are mutable: assign, then save()
    post.views = 3
    // @ts-expect-error views is a number
    post.views = "3"
  })
})

describe("create input: required vs optional follows defaults, nullable, autoincrement", () => {
  test("required and optional keys", () => {
    type Input = CreateInput<(typeof Author)["~fields"]>
    expectTypeOf<Input>().toEqualTypeOf<{
      readonly name: string
      readonly email: string
      readonly id?: number
      readonly bio?: string | null
    }>()
    type TokenInput = CreateInput<(typeof Token)["~fields"]>
    expectTypeOf<TokenInput>().toEqualTypeOf<{ readonly label: string; readonly key?: string }>()
  })

  test("missing required fields and wrong types are rejected", () => {
    // @ts-expect-error email is required
    void Author.create({ name: "a" })
    // @ts-expect-error name must be a string
    void Author.create({ name: 1, email: "e" })
    // @ts-expect-error unknown field
    void Author.create({ name: "a", email: "e", nickname: "x" })
    // defaults, nullable and autoincrement fields may be left out
    void Post.create({ title: "t", status: "draft", meta: { tags: [] }, code: "c", plain: "p" })
    // @ts-expect-error enum values are checked
    void Post.create({ title: "t", status: "gone", meta: { tags: [] }, code: "c", plain: "p" })
  })
})

describe("predicates are typed per column", () => {
  test("operators accept the column's type", () => {
    expectTypeOf(Post.where((p) => p.views.gte(100).and(p.title.like("Intro%")))).toEqualTypeOf<
      Query<Post, (typeof Post)["~fields"]>
    >()
    Post.where((p) => p.createdAt.gt(new Date()))
    Post.where((p) => p.createdAt.gt("2024-01-01T00:00:00Z"))
    Post.where((p) => p.big.eq(null))
    Post.where((p) => p.status.in(["draft"]))
    Post.where((p) => not(p.published.eq(true)))
    expectTypeOf(Post.where).parameter(0).not.toBeAny()
  })

  test("comparing a number column with a string is a type error", () => {
    // @ts-expect-error views is a number column
    Post.where((p) => p.views.eq("100"))
    // @ts-expect-error like() exists only on text columns
    Post.where((p) => p.views.like("1%"))
    // @ts-expect-error enum columns take their values only
    Post.where((p) => p.status.eq("other"))
    // @ts-expect-error unknown column
    Post.where((p) => p.nope.eq(1))
    // @ts-expect-error the callback must return a predicate, not a boolean
    Post.where((p) => p.views > 3)
  })

  test("updates are typed", () => {
    void Post.where((p) => p.views.lt(1)).update({ views: (p) => p.views.add(1), published: true })
    // @ts-expect-error views is a number
    void Post.where((p) => p.views.lt(1)).update({ views: "1" })
    expectTypeOf(Post.select().update({ published: true })).toEqualTypeOf<Operation<number>>()
    expectTypeOf(Post.select().delete()).toEqualTypeOf<Operation<number>>()
    expectTypeOf(Post.select().count()).toEqualTypeOf<Operation<number>>()
    expectTypeOf(Post.select().exists()).toEqualTypeOf<Operation<boolean>>()
  })

  test("a predicate is a Predicate", () => {
    Post.where((p) => {
      const predicate = p.views.eq(1)
      expectTypeOf(predicate).toEqualTypeOf<Predicate>()
      return predicate
    })
  })
})

describe("lazy results are typed from the model", () => {
  test("all({ lazy: true }) gives LazyRows whose views carry the column types", async () => {
    const rows = await Post.select().all({ lazy: true })
    expectTypeOf(rows).toExtend<LazyRows<Post, object>>()
    const row = rows.at(0)!
    expectTypeOf(row.views).toEqualTypeOf<number>()
    expectTypeOf(row.createdAt).toEqualTypeOf<Date>()
    expectTypeOf(row.big).toEqualTypeOf<bigint | null>()
    expectTypeOf(row.status).toEqualTypeOf<"draft" | "live">()
    expectTypeOf(row.materialize()).toEqualTypeOf<Post>()
    expectTypeOf(rows.materialize()).toEqualTypeOf<Array<Post>>()
    expectTypeOf(row.toJSON().title).toEqualTypeOf<string>()
    // Views are read-only and have no instance methods.
    // @ts-expect-error a view cannot be assigned to
    row.views = 1
    // @ts-expect-error a view is not an instance
    row.save()
    expectTypeOf(await Post.select().all({ lazy: false })).toExtend<Array<Post> | LazyRows<Post, object>>()
    expectTypeOf(Post.select().all()).toEqualTypeOf<Operation<Array<Post>>>()
  })
})
