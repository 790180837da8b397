import { Schema } from "effect"
import { Model, field, type ModelClass } from "ferro-orm"

const NonEmpty = Schema.String.check(Schema.isMinLength(1))

export class Author extends Model("authors", {
  id: field.id(),
  name: field.text({ schema: NonEmpty, index: true }),
  email: field.text({ unique: true, schema: NonEmpty }),
  publishedCount: field.int({ default: 0 }),
  posts: field.backRef((): ModelClass<Post> => Post),
}) {}

export class Post extends Model("posts", {
  id: field.id(),
  title: field.text({ schema: NonEmpty }),
  body: field.text({ default: "" }),
  published: field.bool({ default: false, index: true }),
  createdAt: field.datetime({ defaultNow: true }),
  // "restrict": deleting an author who still has posts is a ForeignKeyViolation (409).
  author: field.foreignKey((): ModelClass<Author> => Author, { relatedName: "posts", onDelete: "restrict" }),
  tags: field.manyToMany((): ModelClass<Tag> => Tag, { relatedName: "posts" }),
}) {}

export class Tag extends Model("tags", {
  id: field.id(),
  name: field.text({ unique: true, schema: NonEmpty }),
  posts: field.backRef((): ModelClass<Post> => Post),
}) {}
