/**
 * The benchmark schema for Drizzle on MySQL, mapped onto the tables Ferro's autoMigrate creates
 * (LONGTEXT, VARCHAR(255) where unique, DATETIME(6)), with relations for the relational query API.
 *
 * @module
 */
import { relations } from "drizzle-orm"
import { boolean, datetime, int, longtext, mysqlTable, varchar } from "drizzle-orm/mysql-core"

export const authors = mysqlTable("authors", {
  id: int("id").primaryKey().autoincrement(),
  name: longtext("name").notNull(),
  email: varchar("email", { length: 255 }).notNull().unique(),
})
export const posts = mysqlTable("posts", {
  id: int("id").primaryKey().autoincrement(),
  title: longtext("title").notNull(),
  body: longtext("body").notNull(),
  views: int("views").notNull().default(0),
  published: boolean("published").notNull().default(false),
  createdAt: datetime("created_at", { mode: "date", fsp: 6 }).notNull(),
  authorId: int("author_id")
    .notNull()
    .references(() => authors.id),
})
export const tags = mysqlTable("tags", {
  id: int("id").primaryKey().autoincrement(),
  name: varchar("name", { length: 255 }).notNull().unique(),
})
export const postsTags = mysqlTable("posts_tags", {
  postId: int("posts_id")
    .notNull()
    .references(() => posts.id),
  tagId: int("tags_id")
    .notNull()
    .references(() => tags.id),
})
export const upsertItems = mysqlTable("upsert_items", {
  id: int("id").primaryKey().autoincrement(),
  key: varchar("key", { length: 255 }).notNull().unique(),
  value: int("value").notNull(),
  label: longtext("label").notNull(),
})
export const streamRows = mysqlTable("stream_rows", {
  id: int("id").primaryKey().autoincrement(),
  n: int("n").notNull(),
  label: longtext("label").notNull(),
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
