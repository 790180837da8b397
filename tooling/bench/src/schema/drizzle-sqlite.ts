/**
 * The benchmark schema for Drizzle on SQLite, mapped onto the tables Ferro created: camelCase
 * properties on snake_case columns, relations for the relational query API
 * (`db.query.x.findMany({ with })`). Ferro stores SQLite datetimes as ISO-8601 text, so
 * `created_at` is a custom type that reads it into a `Date` (Drizzle's built-in SQLite
 * timestamp modes are integer epochs).
 *
 * @module
 */
import { relations } from "drizzle-orm"
import { customType, integer, sqliteTable, text } from "drizzle-orm/sqlite-core"

const isoDate = customType<{ data: Date; driverData: string }>({
  dataType: () => "text",
  fromDriver: (value) => new Date(value),
  toDriver: (value) => value.toISOString(),
})

export const authors = sqliteTable("authors", {
  id: integer("id").primaryKey(),
  name: text("name").notNull(),
  email: text("email").notNull().unique(),
})
export const posts = sqliteTable("posts", {
  id: integer("id").primaryKey(),
  title: text("title").notNull(),
  body: text("body").notNull(),
  views: integer("views").notNull().default(0),
  published: integer("published", { mode: "boolean" }).notNull().default(false),
  createdAt: isoDate("created_at").notNull(),
  authorId: integer("author_id")
    .notNull()
    .references(() => authors.id),
})
export const tags = sqliteTable("tags", {
  id: integer("id").primaryKey(),
  name: text("name").notNull().unique(),
})
export const postsTags = sqliteTable("posts_tags", {
  postId: integer("posts_id")
    .notNull()
    .references(() => posts.id),
  tagId: integer("tags_id")
    .notNull()
    .references(() => tags.id),
})
export const upsertItems = sqliteTable("upsert_items", {
  id: integer("id").primaryKey(),
  key: text("key").notNull().unique(),
  value: integer("value").notNull(),
  label: text("label").notNull(),
})
export const streamRows = sqliteTable("stream_rows", {
  id: integer("id").primaryKey(),
  n: integer("n").notNull(),
  label: text("label").notNull(),
})
export const authorsRelations = relations(authors, ({ many }) => ({ posts: many(posts) }))
export const postsRelations = relations(posts, ({ one, many }) => ({
  author: one(authors, { fields: [posts.authorId], references: [authors.id] }),
  postsTags: many(postsTags),
}))
export const tagsRelations = relations(tags, ({ many }) => ({ postsTags: many(postsTags) }))
export const postsTagsRelations = relations(postsTags, ({ one }) => ({
  post: one(posts, { fields: [postsTags.postId], references: [posts.id] }),
  tag: one(tags, { fields: [postsTags.tagId], references: [tags.id] }),
}))
