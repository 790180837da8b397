/** Types of `upsert()` and `bulkCreate(..., { onConflict })`: results follow the subclass, field names are checked. */
import { Effect } from "effect"
import { describe, expectTypeOf, test } from "vitest"
import { Model, type ModelClass, type Operation, field } from "ferro-orm"

class Writer extends Model("td_writers", {
  id: field.id(),
  email: field.text({ unique: true }),
  name: field.text(),
  books: field.backRef((): ModelClass<Book> => Book),
}) {}

class Book extends Model("td_books", {
  id: field.id(),
  isbn: field.text({ unique: true }),
  title: field.text(),
  writer: field.foreignKey((): ModelClass<Writer> => Writer, { relatedName: "books" }),
}) {}

describe("upsert types", () => {
  test("upsert returns the subclass, as a Promise and an Effect", () => {
    const op = Writer.upsert({ email: "a@x.io", name: "A" }, { on: ["email"], update: ["name"] })
    expectTypeOf(op).toEqualTypeOf<Operation<Writer>>()
    const program = Effect.gen(function* () {
      return yield* op
    })
    expectTypeOf<Effect.Success<typeof program>>().toEqualTypeOf<Writer>()
    expectTypeOf(Book.upsert({ isbn: "1", title: "t", writerId: 1 }, { on: ["isbn"], update: ["title", "writerId"] })).toEqualTypeOf<Operation<Book>>()
    expectTypeOf(Writer.using("x").upsert({ email: "a@x.io", name: "A" }, { on: ["email"] })).toEqualTypeOf<Operation<Writer>>()
  })

  test("on / update name fields; input is create input", () => {
    // @ts-expect-error: not a field
    Writer.upsert({ email: "a@x.io", name: "A" }, { on: ["mail"] })
    // @ts-expect-error: a back reference is not a stored field
    Writer.upsert({ email: "a@x.io", name: "A" }, { on: ["email"], update: ["books"] })
    // @ts-expect-error: name is required, as in create()
    Writer.upsert({ email: "a@x.io" }, { on: ["email"] })
    // @ts-expect-error: options are required
    Writer.upsert({ email: "a@x.io", name: "A" })
  })

  test("bulkCreate onConflict", () => {
    expectTypeOf(Writer.bulkCreate([{ email: "a@x.io", name: "A" }], { onConflict: "ignore" })).toEqualTypeOf<Operation<number>>()
    expectTypeOf(Writer.bulkCreate([{ email: "a@x.io", name: "A" }], { onConflict: { on: ["email"], update: ["name"] } })).toEqualTypeOf<Operation<number>>()
    // @ts-expect-error: not a mode
    Writer.bulkCreate([{ email: "a@x.io", name: "A" }], { onConflict: "merge" })
    // @ts-expect-error: not a field
    Writer.bulkCreate([{ email: "a@x.io", name: "A" }], { onConflict: { on: ["nope"] } })
  })
})
