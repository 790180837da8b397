/**
 * The benchmark schema for Drizzle on PostgreSQL, mapped onto the tables Ferro created, with
 * relations for the relational query API.
 *
 * @module
 */
import { relations } from "drizzle-orm"
import { boolean, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core"

export const authors = pgTable("authors", {
  id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
  name: text("name").notNull(),
  email: text("email").notNull().unique(),
})
export const posts = pgTable("posts", {
  id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
  title: text("title").notNull(),
  body: text("body").notNull(),
  views: integer("views").notNull().default(0),
  published: boolean("published").notNull().default(false),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
  authorId: integer("author_id")
    .notNull()
    .references(() => authors.id),
})
export const tags = pgTable("tags", {
  id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
  name: text("name").notNull().unique(),
})
export const postsTags = pgTable("posts_tags", {
  postId: integer("posts_id")
    .notNull()
    .references(() => posts.id),
  tagId: integer("tags_id")
    .notNull()
    .references(() => tags.id),
})
export const upsertItems = pgTable("upsert_items", {
  id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
  key: text("key").notNull().unique(),
  value: integer("value").notNull(),
  label: text("label").notNull(),
})
export const streamRows = pgTable("stream_rows", {
  id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
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
