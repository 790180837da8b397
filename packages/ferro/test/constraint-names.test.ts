/**
 * Constraint errors name the model and the fields, as Prisma's P2002 names its target, on every
 * backend (SQLite foreign keys included, which name no table or column), and never the values.
 */
import { beforeEach, expect, test } from "vitest"
import {
  ForeignKeyViolation,
  Model,
  type ModelClass,
  NotNullViolation,
  UniqueViolation,
  connect,
  execute,
  field,
} from "ferro-orm"
import { describeEachBackend } from "./support/backends.js"

class Author extends Model("cn_authors", {
  id: field.id(),
  name: field.text(),
  email: field.text({ unique: true }),
  posts: field.backRef((): ModelClass<Post> => Post),
}) {}

class Post extends Model("cn_posts", {
  id: field.id(),
  slug: field.text(),
  lang: field.text(),
  author: field.foreignKey((): ModelClass<Author> => Author, { relatedName: "posts", onDelete: "restrict" }),
}, { compositeUniques: [["slug", "lang"]] }) {}

const caught = async (run: () => Promise<unknown>): Promise<Error> => {
  try {
    await run()
  } catch (error) {
    return error as Error
  }
  throw new Error("expected a failure")
}

describeEachBackend("constraint errors name model and fields", (backend) => {
  let ada: Author
  beforeEach(async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    ada = await Author.create({ name: "Ada", email: "ada@secret.example" })
    await Post.create({ slug: "hello", lang: "en", author: ada })
  })

  test("unique: one field and a composite", async () => {
    const one = await caught(() => Author.create({ name: "Ada 2", email: "ada@secret.example" }))
    expect(one).toBeInstanceOf(UniqueViolation)
    expect(one).toMatchObject({ model: "Author", fields: ["email"] })
    expect(one.message).toMatch(/^Unique constraint failed on Author \(email\)/)
    const two = await caught(() => Post.create({ slug: "hello", lang: "en", author: ada }))
    expect(two).toMatchObject({ model: "Post", fields: ["slug", "lang"] })
    for (const error of [one, two]) expect(`${error.message} ${JSON.stringify(error)} ${String(error)}`).not.toContain("ada@secret")
  })

  test("foreign key: a missing target names the relation; a referenced row names the model", async () => {
    const missing = await caught(() => Post.create({ slug: "x", lang: "en", authorId: 424242 }))
    expect(missing).toBeInstanceOf(ForeignKeyViolation)
    expect(missing).toMatchObject({ model: "Post", fields: ["author"] })
    expect(missing.message).toMatch(/Foreign key constraint failed on Post \(author\)/)
    expect(missing.message).not.toContain("424242")
    const referenced = await caught(() => ada.delete())
    expect(referenced).toBeInstanceOf(ForeignKeyViolation)
    expect(referenced.message).toMatch(/still reference/)
    expect(["Author", "Post"]).toContain((referenced as ForeignKeyViolation).model)
  })

  test("not null through raw SQL names the field", async () => {
    const error = await caught(() => execute(backend.dialect === "sqlite" ? "INSERT INTO cn_authors (name, email) VALUES (NULL, 'b@x')" : "INSERT INTO cn_authors (name, email) VALUES (NULL, 'b@x')"))
    expect(error).toBeInstanceOf(NotNullViolation)
    expect(error).toMatchObject({ model: "Author", fields: ["name"] })
  })
})
