/**
 * The example's Ferro models: a small blog. Importing this module registers them, which is
 * all `schema.ts` needs (`modelsMetadata()` then lists them, join tables included).
 */
import { Model, type ModelClass, field } from "ferro-orm"

export class Author extends Model("authors", {
  id: field.id(),
  name: field.text({ maxLength: 120 }),
  email: field.text({ unique: true }),
  bio: field.text({ nullable: true }),
  posts: field.backRef((): ModelClass<Post> => Post),
}) {}

export class Post extends Model(
  "posts",
  {
    id: field.id(),
    title: field.text(),
    status: field.enum(["draft", "published", "archived"], { default: "draft" }),
    views: field.int({ default: 0, index: true }),
    rating: field.decimal({ precision: 3, scale: 1, nullable: true }),
    createdAt: field.datetime({ defaultNow: true }),
    author: field.foreignKey((): ModelClass<Author> => Author, { relatedName: "posts", onDelete: "cascade" }),
    tags: field.manyToMany((): ModelClass<Tag> => Tag, { relatedName: "posts" }),
    comments: field.backRef((): ModelClass<Comment> => Comment),
  },
  { compositeIndexes: [["authorId", "createdAt"]] },
) {}

export class Tag extends Model("tags", {
  id: field.id(),
  name: field.text({ unique: true }),
  posts: field.backRef((): ModelClass<Post> => Post),
}) {}

export class Comment extends Model("comments", {
  id: field.id(),
  body: field.text(),
  post: field.foreignKey((): ModelClass<Post> => Post, { relatedName: "comments", onDelete: "cascade" }),
  parent: field.foreignKey((): ModelClass<Comment> => Comment, { onDelete: "set null", relatedName: "replies" }),
  replies: field.backRef((): ModelClass<Comment> => Comment),
}) {}
