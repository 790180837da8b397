/**
 * Authors and posts, as in the SPEC's sample: a post belongs to an author (a foreign key,
 * `onDelete: "restrict"`), and an author counts their published posts.
 */
import { Schema } from "effect"
import { Model, field, type ModelClass } from "ferro-orm"

const NonEmpty = Schema.String.check(Schema.isMinLength(1))

export class Author extends Model("authors", {
  id: field.id(),
  name: field.text({ schema: NonEmpty, index: true }),
  email: field.text({ unique: true, schema: NonEmpty }),
  /** Bumped by `POST /posts/:id/publish` in the same transaction as the post. */
  publishedCount: field.int({ default: 0 }),
  posts: field.backRef((): ModelClass<Post> => Post),
}) {}

export class Post extends Model("posts", {
  id: field.id(),
  title: field.text({ schema: NonEmpty, maxLength: 200 }),
  body: field.text({ default: "" }),
  views: field.int({ default: 0 }),
  published: field.bool({ default: false, index: true }),
  // "restrict": deleting an author who still has posts is a ForeignKeyViolation (409).
  author: field.foreignKey((): ModelClass<Author> => Author, { relatedName: "posts", onDelete: "restrict" }),
}) {}
