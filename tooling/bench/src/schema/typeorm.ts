/**
 * The benchmark schema for TypeORM as `EntitySchema`s (no decorators), mapped onto the tables
 * Ferro created: camelCase properties on snake_case columns, the many-to-many through Ferro's
 * join table `posts_tags(posts_id, tags_id)`.
 *
 * @module
 */
import { EntitySchema } from "typeorm"
import type { Backend } from "../config.js"

export interface AuthorEntity {
  id: number
  name: string
  email: string
  posts?: Array<PostEntity>
}

export interface PostEntity {
  id: number
  title: string
  body: string
  views: number
  published: boolean
  createdAt: Date
  authorId: number
  author?: AuthorEntity
  tags?: Array<TagEntity>
}

export interface TagEntity {
  id: number
  name: string
}

export interface UpsertItemEntity {
  id: number
  key: string
  value: number
  label: string
}

export interface StreamRowEntity {
  id: number
  n: number
  label: string
}

export interface TypeormSchemas {
  readonly Author: EntitySchema<AuthorEntity>
  readonly Post: EntitySchema<PostEntity>
  readonly Tag: EntitySchema<TagEntity>
  readonly UpsertItem: EntitySchema<UpsertItemEntity>
  readonly StreamRow: EntitySchema<StreamRowEntity>
}

/** Column types differ per backend: Ferro stores datetimes as ISO text on SQLite, timestamptz on PostgreSQL, DATETIME(6) on MySQL. */
export const typeormSchemas = (backend: Backend): TypeormSchemas => {
  const Author = new EntitySchema<AuthorEntity>({
    name: "Author",
    tableName: "authors",
    columns: {
      id: { type: "integer", primary: true, generated: true },
      name: { type: "text" },
      email: { type: "text", unique: true },
    },
    relations: {
      posts: { type: "one-to-many", target: "Post", inverseSide: "author" },
    },
  })
  const Post = new EntitySchema<PostEntity>({
    name: "Post",
    tableName: "posts",
    columns: {
      id: { type: "integer", primary: true, generated: true },
      title: { type: "text" },
      body: { type: "text" },
      views: { type: "integer", default: 0 },
      published: { type: "boolean", default: false },
      createdAt:
        backend === "postgres"
          ? { name: "created_at", type: "timestamptz" }
          : { name: "created_at", type: "datetime", ...(backend === "mysql" ? { precision: 6 } : {}) },
      authorId: { name: "author_id", type: "integer" },
    },
    relations: {
      author: { type: "many-to-one", target: "Author", joinColumn: { name: "author_id" }, inverseSide: "posts" },
      tags: {
        type: "many-to-many",
        target: "Tag",
        joinTable: {
          name: "posts_tags",
          joinColumn: { name: "posts_id", referencedColumnName: "id" },
          inverseJoinColumn: { name: "tags_id", referencedColumnName: "id" },
        },
      },
    },
  })
  const Tag = new EntitySchema<TagEntity>({
    name: "Tag",
    tableName: "tags",
    columns: {
      id: { type: "integer", primary: true, generated: true },
      name: { type: "text", unique: true },
    },
  })
  const UpsertItem = new EntitySchema<UpsertItemEntity>({
    name: "UpsertItem",
    tableName: "upsert_items",
    columns: {
      id: { type: "integer", primary: true, generated: true },
      key: { type: "text", unique: true },
      value: { type: "integer" },
      label: { type: "text" },
    },
  })
  const StreamRow = new EntitySchema<StreamRowEntity>({
    name: "StreamRow",
    tableName: "stream_rows",
    columns: {
      id: { type: "integer", primary: true, generated: true },
      n: { type: "integer" },
      label: { type: "text" },
    },
  })
  return { Author, Post, Tag, UpsertItem, StreamRow }
}
