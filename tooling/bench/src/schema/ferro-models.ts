/**
 * The benchmark schema as Ferro models. Ferro's autoMigrate creates the tables from these
 * (authors, posts, tags and the join table posts_tags(posts_id, tags_id); upsert_items for the
 * upsert, stream_rows for the stream); every other contestant maps its own schema onto the same
 * tables and columns.
 *
 * @module
 */
import { Model, type ModelClass, field } from "ferro-orm"

export class Author extends Model("authors", {
  id: field.id(),
  name: field.text(),
  email: field.text({ unique: true }),
  posts: field.backRef((): ModelClass<Post> => Post),
}) {}

export class Post extends Model("posts", {
  id: field.id(),
  title: field.text(),
  body: field.text(),
  views: field.int({ default: 0, index: true }),
  published: field.bool({ default: false }),
  createdAt: field.datetime({ index: true }),
  author: field.foreignKey((): ModelClass<Author> => Author, { relatedName: "posts" }),
  tags: field.manyToMany((): ModelClass<Tag> => Tag, { relatedName: "posts" }),
}) {}

export class Tag extends Model("tags", {
  id: field.id(),
  name: field.text({ unique: true }),
  posts: field.backRef((): ModelClass<Post> => Post),
}) {}

/** The upsert's table: a unique `key`; `value` and `label` are merged on a conflict. */
export class UpsertItem extends Model("upsert_items", {
  id: field.id(),
  key: field.text({ unique: true }),
  value: field.int(),
  label: field.text(),
}) {}

/** The stream's table: narrow rows, filled by the database itself (see seed.ts). */
export class StreamRow extends Model("stream_rows", {
  id: field.id(),
  n: field.int(),
  label: field.text(),
}) {}
