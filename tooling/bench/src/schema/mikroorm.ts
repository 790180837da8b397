/**
 * The benchmark schema for MikroORM as `EntitySchema`s (no decorators), mapped onto the tables
 * Ferro created. MikroORM's default naming strategy already maps `createdAt` to `created_at` and
 * the `author` relation to `author_id`; the many-to-many names Ferro's join table and columns.
 *
 * @module
 */
import { type Collection, EntitySchema } from "@mikro-orm/core"

export interface AuthorEntity {
  id: number
  name: string
  email: string
  posts: Collection<PostEntity>
}

export interface PostEntity {
  id: number
  title: string
  body: string
  views: number
  published: boolean
  createdAt: Date
  author: AuthorEntity
  tags: Collection<TagEntity>
}

export interface TagEntity {
  id: number
  name: string
}

export const AuthorSchema: EntitySchema<AuthorEntity> = new EntitySchema<AuthorEntity>({
  name: "Author",
  tableName: "authors",
  properties: {
    id: { type: "number", primary: true },
    name: { type: "string", columnType: "text" },
    email: { type: "string", columnType: "text", unique: true },
    posts: { kind: "1:m", entity: () => PostSchema, mappedBy: "author" },
  },
})

export const PostSchema: EntitySchema<PostEntity> = new EntitySchema<PostEntity>({
  name: "Post",
  tableName: "posts",
  properties: {
    id: { type: "number", primary: true },
    title: { type: "string", columnType: "text" },
    body: { type: "string", columnType: "text" },
    views: { type: "number", default: 0 },
    published: { type: "boolean", default: false },
    createdAt: { type: "Date", fieldName: "created_at" },
    author: { kind: "m:1", entity: () => AuthorSchema, fieldName: "author_id" },
    tags: {
      kind: "m:n",
      entity: () => TagSchema,
      owner: true,
      pivotTable: "posts_tags",
      joinColumn: "posts_id",
      inverseJoinColumn: "tags_id",
    },
  },
})

export const TagSchema: EntitySchema<TagEntity> = new EntitySchema<TagEntity>({
  name: "Tag",
  tableName: "tags",
  properties: {
    id: { type: "number", primary: true },
    name: { type: "string", columnType: "text", unique: true },
  },
})

export interface UpsertItemEntity {
  id: number
  key: string
  value: number
  label: string
}

export const UpsertItemSchema = new EntitySchema<UpsertItemEntity>({
  name: "UpsertItem",
  tableName: "upsert_items",
  properties: {
    id: { type: "number", primary: true },
    key: { type: "string", columnType: "text", unique: true },
    value: { type: "number" },
    label: { type: "string", columnType: "text" },
  },
})

export interface StreamRowEntity {
  id: number
  n: number
  label: string
}

export const StreamRowSchema = new EntitySchema<StreamRowEntity>({
  name: "StreamRow",
  tableName: "stream_rows",
  properties: {
    id: { type: "number", primary: true },
    n: { type: "number" },
    label: { type: "string", columnType: "text" },
  },
})
