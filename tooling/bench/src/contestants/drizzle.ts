/**
 * Drizzle ORM with its better-sqlite3, node-postgres and mysql2 drivers. Prepared statements wherever
 * Drizzle offers them (placeholders for ids, limits and offsets); eager loads through the
 * relational query API (`db.query.x.findMany({ with })`), the many-to-many through the join
 * table's relations. The grouped aggregate with `count()` and `sum().mapWith(Number)` (Drizzle's
 * `sum` is typed as a string, as PostgreSQL's numeric sum would be); the relation filter with an
 * `inArray` subquery on the author's name and an `exists` subquery on the posts. The upsert with
 * `insert().values(chunk).onConflictDoUpdate({ target: key, set: { value: sql\`excluded.value\`,
 * … } })`, 5,000 rows per statement, in a transaction (MySQL: `onDuplicateKeyUpdate({ set: { value:
 * sql\`values(value)\`, … } })`). Stream: on MySQL only, with `.iterator()` (Drizzle 0.45 has it
 * only on its MySQL and SingleStore drivers, not better-sqlite3, not node-postgres). Statements
 * are counted by Drizzle's logger hook.
 *
 * @module
 */
import Database from "better-sqlite3"
import { and, asc, count, desc, eq, exists, gt, inArray, lte, sql, sum } from "drizzle-orm"
import { type BetterSQLite3Database, drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3"
import { type MySql2Database, drizzle as drizzleMysql } from "drizzle-orm/mysql2"
import { type NodePgDatabase, drizzle as drizzlePg } from "drizzle-orm/node-postgres"
import mysql from "mysql2/promise"
import pg from "pg"
import type { ChildConfig } from "../config.js"
import { INSERT_CHUNK, chunks, type OpenSession, type Session, hookCounter } from "../contestant.js"
import type { NewPost } from "../data.js"

const NO_STREAM = "stream: – (Drizzle 0.45 has `.iterator()` only on its MySQL and SingleStore drivers)"

/** ON CONFLICT (key) DO UPDATE SET value = excluded.value, label = excluded.label (the same on both backends). */
const mergeSet = { value: sql`excluded.value`, label: sql`excluded.label` }
import * as mysqlSchema from "../schema/drizzle-mysql.js"
import * as pgSchema from "../schema/drizzle-pg.js"
import * as sqliteSchema from "../schema/drizzle-sqlite.js"

const openSqlite = (file: string): Session => {
  const client = new Database(file)
  client.pragma("foreign_keys = ON")
  const counter = hookCounter()
  const db: BetterSQLite3Database<typeof sqliteSchema> = drizzleSqlite({
    client,
    schema: sqliteSchema,
    logger: { logQuery: () => counter.hit() },
  })
  const { authors, posts, upsertItems } = sqliteSchema
  const byId = db.select().from(posts).where(eq(posts.id, sql.placeholder("id"))).prepare()
  const first = db.select().from(posts).orderBy(asc(posts.id)).limit(sql.placeholder("limit")).prepare()
  const page = db
    .select()
    .from(posts)
    .where(gt(posts.views, sql.placeholder("minViews")))
    .orderBy(desc(posts.createdAt))
    .limit(sql.placeholder("limit"))
    .offset(sql.placeholder("offset"))
    .prepare()
  const authorsWithPosts = db.query.authors
    .findMany({ orderBy: (a, { asc }) => [asc(a.id)], limit: sql.placeholder("limit"), with: { posts: true } })
    .prepare()
  const postsWithTags = db.query.posts
    .findMany({
      orderBy: (p, { asc }) => [asc(p.id)],
      limit: sql.placeholder("limit"),
      with: { postsTags: { with: { tag: true } } },
    })
    .prepare()
  const update = db
    .update(posts)
    .set({ views: sql`${posts.views} + 1` })
    .where(lte(posts.id, sql.placeholder("maxId")))
    .prepare()
  const aggregate = db
    .select({ authorId: posts.authorId, posts: count(), views: sum(posts.views).mapWith(Number) })
    .from(posts)
    .groupBy(posts.authorId)
    .prepare()
  const postsByAuthorName = db
    .select()
    .from(posts)
    .where(inArray(posts.authorId, db.select({ id: authors.id }).from(authors).where(eq(authors.name, sql.placeholder("name")))))
    .prepare()
  const authorsWithPostAbove = db
    .select()
    .from(authors)
    .where(
      exists(
        db
          .select({ one: sql`1` })
          .from(posts)
          .where(and(eq(posts.authorId, authors.id), gt(posts.views, sql.placeholder("minViews")))),
      ),
    )
    .prepare()

  return {
    notes: `better-sqlite3 driver, prepared statements, relational queries for eager loads; ${NO_STREAM}`,
    statements: counter,
    async pointLookup(ids) {
      let found = 0
      let last: unknown = null
      for (const id of ids) {
        const row = byId.get({ id })
        if (row !== undefined) {
          last = row
          found++
        }
      }
      return { count: found, value: last }
    },
    async readPosts(limit) {
      const rows = first.all({ limit })
      return { count: rows.length, value: rows }
    },
    async page({ minViews, limit, offset }) {
      const rows = page.all({ minViews, limit, offset })
      return { count: rows.length, value: rows }
    },
    async authorsWithPosts(limit) {
      const authors = authorsWithPosts.all({ limit })
      return { count: authors.reduce((n, a) => n + a.posts.length, 0), value: authors }
    },
    async postsWithTags(limit) {
      const rows = postsWithTags.all({ limit })
      return { count: rows.reduce((n, p) => n + p.postsTags.length, 0), value: rows }
    },
    async bulkInsert(rows: ReadonlyArray<NewPost>) {
      const inserted = db.transaction((tx) => {
        let n = 0
        for (const chunk of chunks(rows, INSERT_CHUNK)) n += tx.insert(posts).values(chunk).run().changes
        return n
      })
      return { count: inserted, value: null }
    },
    async batchUpdate(maxId) {
      return { count: update.run({ maxId }).changes, value: null }
    },
    async upsert(rows) {
      const written = db.transaction((tx) => {
        let n = 0
        for (const chunk of chunks(rows, INSERT_CHUNK)) {
          n += tx.insert(upsertItems).values(chunk).onConflictDoUpdate({ target: upsertItems.key, set: mergeSet }).run().changes
        }
        return n
      })
      return { count: written, value: null }
    },
    async aggregate() {
      return aggregate.all()
    },
    async relationFilter({ authorName, minViews }) {
      return { posts: postsByAuthorName.all({ name: authorName }), authors: authorsWithPostAbove.all({ minViews }) }
    },
    async close() {
      client.close()
    },
  }
}

const openPostgres = async (url: string, poolMax: number): Promise<Session> => {
  const pool = new pg.Pool({ connectionString: url, max: poolMax })
  pool.on("error", () => {})
  await Promise.all(Array.from({ length: poolMax }, () => pool.query("SELECT 1")))
  const counter = hookCounter()
  const db: NodePgDatabase<typeof pgSchema> = drizzlePg({
    client: pool,
    schema: pgSchema,
    logger: { logQuery: () => counter.hit() },
  })
  const { authors, posts, upsertItems } = pgSchema
  const byId = db.select().from(posts).where(eq(posts.id, sql.placeholder("id"))).prepare("post_by_id")
  const first = db.select().from(posts).orderBy(asc(posts.id)).limit(sql.placeholder("limit")).prepare("first_posts")
  const page = db
    .select()
    .from(posts)
    .where(gt(posts.views, sql.placeholder("minViews")))
    .orderBy(desc(posts.createdAt))
    .limit(sql.placeholder("limit"))
    .offset(sql.placeholder("offset"))
    .prepare("posts_page")
  const authorsWithPosts = db.query.authors
    .findMany({ orderBy: (a, { asc }) => [asc(a.id)], limit: sql.placeholder("limit"), with: { posts: true } })
    .prepare("authors_with_posts")
  const postsWithTags = db.query.posts
    .findMany({
      orderBy: (p, { asc }) => [asc(p.id)],
      limit: sql.placeholder("limit"),
      with: { postsTags: { with: { tag: true } } },
    })
    .prepare("posts_with_tags")
  const update = db
    .update(posts)
    .set({ views: sql`${posts.views} + 1` })
    .where(lte(posts.id, sql.placeholder("maxId")))
    .prepare("batch_update")
  const aggregate = db
    .select({ authorId: posts.authorId, posts: count(), views: sum(posts.views).mapWith(Number) })
    .from(posts)
    .groupBy(posts.authorId)
    .prepare("posts_per_author")
  const postsByAuthorName = db
    .select()
    .from(posts)
    .where(inArray(posts.authorId, db.select({ id: authors.id }).from(authors).where(eq(authors.name, sql.placeholder("name")))))
    .prepare("posts_by_author_name")
  const authorsWithPostAbove = db
    .select()
    .from(authors)
    .where(
      exists(
        db
          .select({ one: sql`1` })
          .from(posts)
          .where(and(eq(posts.authorId, authors.id), gt(posts.views, sql.placeholder("minViews")))),
      ),
    )
    .prepare("authors_with_post_above")

  return {
    notes: `node-postgres driver (pool max ${poolMax}), named prepared statements, relational queries for eager loads; ${NO_STREAM}`,
    statements: counter,
    async pointLookup(ids) {
      let found = 0
      let last: unknown = null
      for (const id of ids) {
        const rows = await byId.execute({ id })
        if (rows.length === 1) {
          last = rows[0]
          found++
        }
      }
      return { count: found, value: last }
    },
    async readPosts(limit) {
      const rows = await first.execute({ limit })
      return { count: rows.length, value: rows }
    },
    async page({ minViews, limit, offset }) {
      const rows = await page.execute({ minViews, limit, offset })
      return { count: rows.length, value: rows }
    },
    async authorsWithPosts(limit) {
      const authors = await authorsWithPosts.execute({ limit })
      return { count: authors.reduce((n, a) => n + a.posts.length, 0), value: authors }
    },
    async postsWithTags(limit) {
      const rows = await postsWithTags.execute({ limit })
      return { count: rows.reduce((n, p) => n + p.postsTags.length, 0), value: rows }
    },
    async bulkInsert(rows) {
      const inserted = await db.transaction(async (tx) => {
        let n = 0
        for (const chunk of chunks(rows, INSERT_CHUNK)) n += (await tx.insert(posts).values(chunk)).rowCount ?? 0
        return n
      })
      return { count: inserted, value: null }
    },
    async batchUpdate(maxId) {
      const result = await update.execute({ maxId })
      return { count: result.rowCount ?? 0, value: null }
    },
    async upsert(rows) {
      const written = await db.transaction(async (tx) => {
        let n = 0
        for (const chunk of chunks(rows, INSERT_CHUNK)) {
          n += (await tx.insert(upsertItems).values(chunk).onConflictDoUpdate({ target: upsertItems.key, set: mergeSet })).rowCount ?? 0
        }
        return n
      })
      return { count: written, value: null }
    },
    async aggregate() {
      return aggregate.execute()
    },
    async relationFilter({ authorName, minViews }) {
      const posts = await postsByAuthorName.execute({ name: authorName })
      const authors = await authorsWithPostAbove.execute({ minViews })
      return { posts, authors }
    },
    async close() {
      await pool.end()
    },
  }
}

const openMysql = async (url: string, poolMax: number): Promise<Session> => {
  const pool = mysql.createPool({ uri: url, connectionLimit: poolMax })
  await Promise.all(Array.from({ length: poolMax }, () => pool.query("SELECT 1")))
  const counter = hookCounter()
  const db: MySql2Database<typeof mysqlSchema> = drizzleMysql({
    client: pool,
    schema: mysqlSchema,
    // MariaDB has no LATERAL joins, which the "default" mode's relational queries use (MySQL 8
    // has them); "planetscale" builds them with correlated subqueries instead.
    mode: "planetscale",
    logger: { logQuery: () => counter.hit() },
  })
  const { authors, posts, upsertItems, streamRows } = mysqlSchema
  const byId = db.select().from(posts).where(eq(posts.id, sql.placeholder("id"))).prepare()
  const first = db.select().from(posts).orderBy(asc(posts.id)).limit(sql.placeholder("limit")).prepare()
  const page = db
    .select()
    .from(posts)
    .where(gt(posts.views, sql.placeholder("minViews")))
    .orderBy(desc(posts.createdAt))
    .limit(sql.placeholder("limit"))
    .offset(sql.placeholder("offset"))
    .prepare()
  const authorsWithPosts = db.query.authors
    .findMany({ orderBy: (a, { asc }) => [asc(a.id)], limit: sql.placeholder("limit"), with: { posts: true } })
    .prepare()
  const postsWithTags = db.query.posts
    .findMany({
      orderBy: (p, { asc }) => [asc(p.id)],
      limit: sql.placeholder("limit"),
      with: { postsTags: { with: { tag: true } } },
    })
    .prepare()
  const update = db
    .update(posts)
    .set({ views: sql`${posts.views} + 1` })
    .where(lte(posts.id, sql.placeholder("maxId")))
    .prepare()
  const aggregate = db
    .select({ authorId: posts.authorId, posts: count(), views: sum(posts.views).mapWith(Number) })
    .from(posts)
    .groupBy(posts.authorId)
    .prepare()
  const postsByAuthorName = db
    .select()
    .from(posts)
    .where(inArray(posts.authorId, db.select({ id: authors.id }).from(authors).where(eq(authors.name, sql.placeholder("name")))))
    .prepare()
  const authorsWithPostAbove = db
    .select()
    .from(authors)
    .where(
      exists(
        db
          .select({ one: sql`1` })
          .from(posts)
          .where(and(eq(posts.authorId, authors.id), gt(posts.views, sql.placeholder("minViews")))),
      ),
    )
    .prepare()
  /** ON DUPLICATE KEY UPDATE value = VALUES(value), label = VALUES(label): the row that conflicted. */
  const mergeValues = { value: sql`values(${upsertItems.value})`, label: sql`values(${upsertItems.label})` }

  return {
    notes: `mysql2 driver (pool max ${poolMax}), prepared queries, relational queries for eager loads (mode "planetscale": MariaDB has no LATERAL); stream: .iterator()`,
    statements: counter,
    async pointLookup(ids) {
      let found = 0
      let last: unknown = null
      for (const id of ids) {
        const rows = await byId.execute({ id })
        if (rows.length === 1) {
          last = rows[0]
          found++
        }
      }
      return { count: found, value: last }
    },
    async readPosts(limit) {
      const rows = await first.execute({ limit })
      return { count: rows.length, value: rows }
    },
    async page({ minViews, limit, offset }) {
      const rows = await page.execute({ minViews, limit, offset })
      return { count: rows.length, value: rows }
    },
    async authorsWithPosts(limit) {
      const rows = await authorsWithPosts.execute({ limit })
      return { count: rows.reduce((n, a) => n + a.posts.length, 0), value: rows }
    },
    async postsWithTags(limit) {
      const rows = await postsWithTags.execute({ limit })
      return { count: rows.reduce((n, p) => n + p.postsTags.length, 0), value: rows }
    },
    async bulkInsert(rows) {
      const inserted = await db.transaction(async (tx) => {
        let n = 0
        for (const chunk of chunks(rows, INSERT_CHUNK)) n += (await tx.insert(posts).values(chunk))[0].affectedRows
        return n
      })
      return { count: inserted, value: null }
    },
    async batchUpdate(maxId) {
      const [result] = await update.execute({ maxId })
      return { count: result.affectedRows, value: null }
    },
    async upsert(rows) {
      const written = await db.transaction(async (tx) => {
        let n = 0
        for (const chunk of chunks(rows, INSERT_CHUNK)) {
          n += (await tx.insert(upsertItems).values(chunk).onDuplicateKeyUpdate({ set: mergeValues }))[0].affectedRows
        }
        return n
      })
      return { count: written, value: null }
    },
    async stream(fold) {
      // Drizzle's logger is not called for .iterator(): the one statement is counted here.
      counter.hit()
      for await (const row of db.select().from(streamRows).orderBy(asc(streamRows.id)).iterator()) fold.add(row.id, row.n)
    },
    async aggregate() {
      return aggregate.execute()
    },
    async relationFilter({ authorName, minViews }) {
      const posts = await postsByAuthorName.execute({ name: authorName })
      const authors = await authorsWithPostAbove.execute({ minViews })
      return { posts, authors }
    },
    async close() {
      await pool.end()
    },
  }
}

const open: OpenSession = async (config: ChildConfig) =>
  config.backend === "sqlite"
    ? openSqlite(config.target)
    : config.backend === "mysql"
      ? openMysql(config.target, config.plan.poolMax)
      : openPostgres(config.target, config.plan.poolMax)

export default open
