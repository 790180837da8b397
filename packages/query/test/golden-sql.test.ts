/**
 * Golden SQL: every node kind of the operation tree compiled for each dialect, compared with
 * the committed text (`__snapshots__/golden-sql.test.ts.snap`). A change to the SQL Ferro
 * sends is a reviewed change to that file. Queries are built with the public builder and
 * compiled without a connection (the builder's subquery node is the same node a terminal runs).
 */
import { describe, expect, test } from "vitest"
import { field } from "@ferro/core"
import type { Dialect } from "@ferro/core"
import { mysqlDialect } from "@ferro/mysql/dialect"
import { postgresDialect } from "@ferro/pg/dialect"
import { sqliteDialect } from "@ferro/sqlite/dialect"
import { compilerFor } from "../src/compiler/index.js"
import { SUBQUERY } from "../src/expression-ref.js"
import type { SelectNode } from "../src/expression.js"
import { Model, type ModelClass, count, exists, not, sql } from "../src/index.js"

class Author extends Model("g_authors", {
  id: field.id(),
  name: field.text(),
  bio: field.text({ nullable: true }),
  posts: field.backRef((): ModelClass<Post> => Post),
  profile: field.backRef((): ModelClass<Profile> => Profile, { one: true }),
}) {}

class Profile extends Model("g_profiles", {
  id: field.id(),
  website: field.text(),
  author: field.foreignKey((): ModelClass<Author> => Author, { unique: true, relatedName: "profile" }),
}) {}

class Post extends Model("g_posts", {
  id: field.id(),
  title: field.text(),
  views: field.int({ default: 0 }),
  likes: field.int({ default: 0 }),
  price: field.decimal({ nullable: true }),
  createdAt: field.datetime({ defaultNow: true }),
  author: field.foreignKey((): ModelClass<Author> => Author, { relatedName: "posts" }),
  editor: field.foreignKey((): ModelClass<Author> => Author, { nullable: true }),
  tags: field.manyToMany((): ModelClass<Tag> => Tag, { relatedName: "posts" }),
}) {}

class Tag extends Model("g_tags", {
  id: field.id(),
  name: field.text({ unique: true }),
  posts: field.backRef((): ModelClass<Post> => Post),
}) {}

const node = (query: unknown): SelectNode => (query as { [SUBQUERY]: () => SelectNode })[SUBQUERY]()

/** Selects of every expression and condition kind, by name. */
const selects: ReadonlyArray<readonly [string, () => SelectNode]> = [
  ["compare / and / or / not", () => node(Post.where((p) => p.views.gte(100).and(p.title.ne("x").or(not(p.likes.lt(3)))))) ],
  ["like / ilike", () => node(Post.where((p) => p.title.like("Intro%").or(p.title.ilike("%sql%"))))],
  ["in / notIn / empty in", () => node(Post.where((p) => p.id.in([1, 2]).and(p.views.notIn([0])).and(p.likes.in([]))))],
  ["isNull / isNotNull / between", () => node(Post.where((p) => p.editorId.isNull().and(p.price.isNotNull()).and(p.views.between(1, 9))))],
  ["decimal comparison and order", () => node(Post.where((p) => p.price.gt("9.50")).orderBy((p) => p.price, "desc"))],
  ["order, limit, offset", () => node(Post.select().orderBy((p) => p.createdAt, "desc").limit(10).offset(20))],
  ["offset without limit", () => node(Post.select().offset(5))],
  ["nulls first / last", () => node(Post.select().orderBy((p) => p.editorId, "asc", { nulls: "last" }).orderBy((p) => p.price, { direction: "desc", nulls: "first" }))],
  ["column against column, arithmetic", () => node(Post.where((p) => p.likes.gt(p.views.div(2)).and(p.likes.add(p.views).lte(10))))],
  ["projection object", () => node(Post.select((p) => ({ id: p.id, title: p.title })))],
  ["projection value and tuple", () => node(Post.select((p) => [p.id, p.views.mul(2)]))],
  ["aggregates", () => node(Post.select((p) => ({ n: count(), s: p.views.sum(), a: p.views.avg(), lo: p.views.min(), hi: p.views.max(), c: p.editorId.count(), d: p.authorId.countDistinct() })))],
  ["decimal aggregates", () => node(Post.select((p) => ({ s: p.price.sum(), a: p.price.avg(), lo: p.price.min(), hi: p.price.max() })))],
  ["groupBy / having / order by aggregate", () => node(Post.select((p) => ({ authorId: p.authorId, n: count(), views: p.views.sum() })).groupBy((p) => p.authorId).having(() => count().gte(2)).orderBy((p) => p.views.sum(), "desc"))],
  ["distinct", () => node(Post.select((p) => ({ authorId: p.authorId })).distinct())],
  ["forward path (INNER JOIN)", () => node(Post.where((p) => p.author.name.eq("Ada")).orderBy((p) => p.author.name))],
  ["nullable path (LEFT JOIN) in select", () => node(Post.select((p) => ({ title: p.title, editor: p.editor.name })))],
  ["two-level path through a one-to-one back reference", () => node(Post.where((p) => p.author.profile.website.eq("ada.dev")))],
  ["some / none / every over a back reference", () => node(Author.where((a) => a.posts.some((p) => p.views.gt(100)).and(a.posts.none()).and(a.posts.every((p) => p.likes.gte(1)))))],
  ["some / none over many-to-many", () => node(Post.where((p) => p.tags.some((t) => t.name.eq("news")).and(p.tags.none((t) => t.name.eq("draft")))))],
  ["relation count as expression", () => node(Author.select((a) => ({ name: a.name, posts: a.posts.count((p) => p.views.gt(1)) })).orderBy((a) => a.posts.count(), "desc"))],
  ["many-to-many count", () => node(Post.where((p) => p.tags.count().gte(2)))],
  ["in(subquery)", () => node(Post.where((p) => p.authorId.in(Author.where((a) => a.name.like("A%")).select((a) => a.id))))],
  ["correlated exists", () => node(Author.where((a) => exists(Post.where((p) => p.authorId.eq(a.id)))))],
  ["self-correlated exists", () => node(Author.where((a) => exists(Author.where((b) => b.id.ne(a.id).and(b.name.eq(a.name))))))],
  ["sql fragment in where and select", () => node(Post.select((p) => ({ n: sql<number>`length(${p.title})` })).where((p) => sql<boolean>`${p.views} % ${2} = 0`))],
]

const dialects: ReadonlyArray<readonly [string, Dialect]> = [
  ["sqlite", sqliteDialect],
  ["postgres", postgresDialect],
  ["mysql", mysqlDialect],
]

describe.each(dialects)("golden SQL: %s", (_name, dialect) => {
  const compiler = compilerFor(dialect)
  test.each(selects)("select: %s", (_name, build) => {
    const n = build()
    const statement = compiler.select(n)
    expect({ sql: statement.sql, params: statement.params.length }).toMatchSnapshot()
  })
  test("count and exists", () => {
    const n = node(Post.where((p) => p.author.name.eq("Ada")))
    expect([compiler.count(n).sql, compiler.exists(n).sql, compiler.count({ ...n, limit: 5 }).sql]).toMatchSnapshot()
    const grouped = node(Post.select((p) => ({ a: p.authorId })).groupBy((p) => p.authorId))
    expect([compiler.count(grouped).sql, compiler.exists(grouped).sql]).toMatchSnapshot()
  })
  test("update and delete: plain, computed, through a relation path, paged", () => {
    const plain = node(Post.where((p) => p.views.lt(1)))
    const pk = Post.metadata.columns.find((c) => c.primaryKey)!
    const views = Post.metadata.columns.find((c) => c.property === "views")!
    const computed = node(Post.select()).source!
    const target = { ...plain, primaryKey: pk, returning: [] }
    expect(
      compiler.update({ ...target, set: [[views, { kind: "computed", expr: { kind: "arith", op: "+", left: { kind: "column", source: computed, column: views }, right: { kind: "param", value: 1, column: views } } }]] }).sql,
    ).toMatchSnapshot()
    const joined = node(Post.where((p) => p.author.name.eq("Ada")))
    expect(compiler.update({ ...joined, primaryKey: pk, returning: [], set: [[views, 5]] }).sql).toMatchSnapshot()
    expect(compiler.delete({ ...joined, primaryKey: pk, returning: [] }).sql).toMatchSnapshot()
    expect(compiler.delete({ ...plain, primaryKey: pk, returning: [], limit: 3 }).sql).toMatchSnapshot()
    const correlated = node(Author.where((a) => a.posts.none()))
    const authorPk = Author.metadata.columns.find((c) => c.primaryKey)!
    expect(compiler.delete({ ...correlated, primaryKey: authorPk, returning: [] }).sql).toMatchSnapshot()
  })
  test("insert with returning", () => {
    const columns = Post.metadata.columns.filter((c) => c.property === "title" || c.property === "views")
    expect(compiler.insert({ table: "g_posts", columns, rows: [["a", 1], ["b", 2]], returning: dialect.returning ? Post.metadata.columns.filter((c) => c.primaryKey) : [] }).sql).toMatchSnapshot()
  })
  test("upsert: the conflict clause (DO UPDATE, DO NOTHING on a target, DO NOTHING on any unique)", () => {
    const col = (property: string) => Post.metadata.columns.find((c) => c.property === property)!
    const tagName = Tag.metadata.columns.find((c) => c.property === "name")!
    const tagId = Tag.metadata.columns.find((c) => c.property === "id")!
    const columns = [col("title"), col("views"), col("authorId")]
    const rows = [["a", 1, 7], ["b", 2, 7]]
    // Without RETURNING (MySQL) the query layer reads written rows back by key instead.
    const returning = dialect.returning ? Post.metadata.columns : []
    expect(
      compiler.insert({ table: "g_posts", columns, rows: rows.slice(0, 1), returning, onConflict: { target: [col("title"), col("authorId")], update: [col("views")] } }).sql,
    ).toMatchSnapshot()
    expect(
      compiler.insert({ table: "g_tags", columns: [tagName], rows: [["news"]], returning: dialect.returning ? [tagId, tagName] : [], onConflict: { target: [tagName], update: [] } }).sql,
    ).toMatchSnapshot()
    expect(compiler.insert({ table: "g_posts", columns, rows, returning: [], onConflict: { target: null, update: [] } }).sql).toMatchSnapshot()
    expect(
      compiler.insert({ table: "g_posts", columns, rows, returning: [], onConflict: { target: [col("id")], update: [col("title"), col("views")] } }).sql,
    ).toMatchSnapshot()
  })
})
