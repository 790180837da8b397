/**
 * Kysely with its SqliteDialect (better-sqlite3), PostgresDialect (pg pool) and MysqlDialect
 * (mysql2 pool). Rows come back as the driver returns them (snake_case keys; on SQLite
 * `published` is 0/1 and `created_at` ISO text, on MySQL `published` is 0/1: Kysely does not
 * convert values). Eager loads use the `jsonArrayFrom` helpers the Kysely docs recommend (one
 * statement; on SQLite and MySQL with `ParseJSONResultsPlugin` on those queries: MariaDB's JSON is
 * text to the driver). The grouped aggregate with `eb.fn.countAll()` / `eb.fn.sum()` (on PostgreSQL both are
 * bigint, which pg returns as strings, and on MySQL the SUM is DECIMAL, a string from mysql2:
 * converted with `Number()`); the relation filter with an
 * inner join on the author's name and an `exists` subquery on the posts. Kysely has no
 * prepared-statement API: each call compiles its query. The upsert with
 * `insertInto().values(chunk).onConflict((oc) => oc.column("key").doUpdateSet(…excluded…))`
 * (MySQL: `onDuplicateKeyUpdate` with `VALUES(col)`), 5,000 rows per statement, in a transaction; the stream with `.stream(batchSize)` (SQLite: better-sqlite3's
 * `iterate()`; PostgreSQL: pg-cursor, given to the dialect as `cursor`, the setup Kysely's docs
 * name; MySQL: mysql2's row stream). Statements are counted by Kysely's `log` hook.
 *
 * @module
 */
import Database from "better-sqlite3"
import {
  type Generated,
  type Insertable,
  Kysely,
  type LogEvent,
  type RawBuilder,
  MysqlDialect,
  ParseJSONResultsPlugin,
  PostgresDialect,
  SqliteDialect,
  sql,
} from "kysely"
import { jsonArrayFrom as pgJsonArrayFrom } from "kysely/helpers/postgres"
import { jsonArrayFrom as sqliteJsonArrayFrom } from "kysely/helpers/sqlite"
import { createPool as createMysqlPool } from "mysql2"
import pg from "pg"
import Cursor from "pg-cursor"
import type { ChildConfig } from "../config.js"
import { type AggregateRow, INSERT_CHUNK, chunks, type OpenSession, type Session, hookCounter } from "../contestant.js"
import type { NewPost } from "../data.js"

/** The tables as the database stores them (SQLite types | PostgreSQL and MySQL types). */
interface DB {
  authors: { id: Generated<number>; name: string; email: string }
  posts: {
    id: Generated<number>
    title: string
    body: string
    views: number
    published: number | boolean
    created_at: string | Date
    author_id: number
  }
  tags: { id: Generated<number>; name: string }
  posts_tags: { posts_id: number; tags_id: number }
  upsert_items: { id: Generated<number>; key: string; value: number; label: string }
  stream_rows: { id: Generated<number>; n: number; label: string }
}

/** A post inside a JSON aggregate (eager loads): the text of the JSON, parsed. */
interface PostJson {
  id: number
  title: string
  body: string
  views: number
  published: number
  created_at: string
  author_id: number
}

const POST_COLUMNS = [
  "posts.id",
  "posts.title",
  "posts.body",
  "posts.views",
  "posts.published",
  "posts.created_at",
  "posts.author_id",
] as const

/**
 * MariaDB: `coalesce(json_arrayagg(json_object('col', table.col, …)), '[]')`, to be selected by a
 * correlated subquery. Kysely's MySQL `jsonArrayFrom` does not run on MariaDB: it aggregates over a
 * derived table that refers to the outer row (MariaDB cannot correlate a derived table, "Unknown
 * column") and ends in `CAST(… AS JSON)` (MariaDB's JSON is text). ParseJSONResultsPlugin parses
 * the text.
 */
const mariadbJsonArray = <O>(columns: ReadonlyArray<string>): RawBuilder<Array<O>> =>
  sql<Array<O>>`coalesce(json_arrayagg(json_object(${sql.join(
    columns.map((c) => sql`${sql.lit(c.slice(c.indexOf(".") + 1))}, ${sql.ref(c)}`),
  )})), '[]')`

const open: OpenSession = async (config: ChildConfig): Promise<Session> => {
  const counter = hookCounter()
  const log = (event: LogEvent): void => {
    if (event.level === "query") counter.hit()
  }
  const sqlite = config.backend === "sqlite"
  const mysql = config.backend === "mysql"
  let pool: pg.Pool | null = null
  let dialect: SqliteDialect | PostgresDialect | MysqlDialect
  if (sqlite) {
    const database = new Database(config.target)
    database.pragma("foreign_keys = ON")
    dialect = new SqliteDialect({ database })
  } else if (mysql) {
    // Kysely's MysqlDialect takes mysql2's callback-style pool.
    const mysqlPool = createMysqlPool({ uri: config.target, connectionLimit: config.plan.poolMax })
    await Promise.all(
      Array.from(
        { length: config.plan.poolMax },
        () => new Promise<void>((resolve, reject) => mysqlPool.query("SELECT 1", (error) => (error ? reject(error) : resolve()))),
      ),
    )
    dialect = new MysqlDialect({ pool: mysqlPool })
  } else {
    pool = new pg.Pool({ connectionString: config.target, max: config.plan.poolMax })
    pool.on("error", () => {})
    const warm = pool
    await Promise.all(Array.from({ length: config.plan.poolMax }, () => warm.query("SELECT 1")))
    dialect = new PostgresDialect({ pool, cursor: Cursor })
  }
  const db = new Kysely<DB>({ dialect, log })
  const jsonArrayFrom = sqlite ? sqliteJsonArrayFrom : pgJsonArrayFrom
  const parseJson = new ParseJSONResultsPlugin()
  const toRow: (p: NewPost) => Insertable<DB["posts"]> = sqlite
    ? (p: NewPost) => ({
        title: p.title,
        body: p.body,
        views: p.views,
        published: p.published ? 1 : 0,
        created_at: p.createdAt.toISOString(),
        author_id: p.authorId,
      })
    : (p: NewPost) => ({
        title: p.title,
        body: p.body,
        views: p.views,
        published: p.published,
        created_at: p.createdAt,
        author_id: p.authorId,
      })

  return {
    notes: sqlite
      ? "SqliteDialect (better-sqlite3), rows as the driver returns them, jsonArrayFrom + ParseJSONResultsPlugin for eager loads"
      : mysql
        ? `MysqlDialect (mysql2 pool max ${config.plan.poolMax}), rows as the driver returns them, jsonArrayFrom + ParseJSONResultsPlugin for eager loads; stream: mysql2's row stream`
        : `PostgresDialect (pool max ${config.plan.poolMax}, pg-cursor for streams), jsonArrayFrom for eager loads`,
    statements: counter,
    async pointLookup(ids) {
      let found = 0
      let last: unknown = null
      for (const id of ids) {
        const row = await db.selectFrom("posts").selectAll().where("id", "=", id).executeTakeFirst()
        if (row !== undefined) {
          last = row
          found++
        }
      }
      return { count: found, value: last }
    },
    async readPosts(limit) {
      const rows = await db.selectFrom("posts").selectAll().orderBy("id").limit(limit).execute()
      return { count: rows.length, value: rows }
    },
    async page({ minViews, limit, offset }) {
      const rows = await db
        .selectFrom("posts")
        .selectAll()
        .where("views", ">", minViews)
        .orderBy("created_at", "desc")
        .limit(limit)
        .offset(offset)
        .execute()
      return { count: rows.length, value: rows }
    },
    async authorsWithPosts(limit) {
      const authors = await db
        .withPlugin(parseJson)
        .selectFrom("authors")
        .selectAll("authors")
        .select((eb) => [
          // Explicit columns: Kysely's SQLite helper cannot take selectAll() (json_object needs names).
          mysql
            ? eb
                .selectFrom("posts")
                .select(mariadbJsonArray<PostJson>(POST_COLUMNS).as("posts"))
                .whereRef("posts.author_id", "=", "authors.id")
                .$castTo<{ posts: Array<PostJson> }>()
                .as("posts")
            : jsonArrayFrom(eb.selectFrom("posts").select(POST_COLUMNS).whereRef("posts.author_id", "=", "authors.id")).as("posts"),
        ])
        .orderBy("authors.id")
        .limit(limit)
        .execute()
      return { count: authors.reduce((n, a) => n + (a.posts ?? []).length, 0), value: authors }
    },
    async postsWithTags(limit) {
      const posts = await db
        .withPlugin(parseJson)
        .selectFrom("posts")
        .selectAll("posts")
        .select((eb) => [
          mysql
            ? eb
                .selectFrom("posts_tags")
                .innerJoin("tags", "tags.id", "posts_tags.tags_id")
                .select(mariadbJsonArray<{ id: number; name: string }>(["tags.id", "tags.name"]).as("tags"))
                .whereRef("posts_tags.posts_id", "=", "posts.id")
                .$castTo<{ tags: Array<{ id: number; name: string }> }>()
                .as("tags")
            : jsonArrayFrom(
                eb
                  .selectFrom("posts_tags")
                  .innerJoin("tags", "tags.id", "posts_tags.tags_id")
                  .select(["tags.id", "tags.name"])
                  .whereRef("posts_tags.posts_id", "=", "posts.id"),
              ).as("tags"),
        ])
        .orderBy("posts.id")
        .limit(limit)
        .execute()
      return { count: posts.reduce((n, p) => n + (p.tags ?? []).length, 0), value: posts }
    },
    async bulkInsert(rows) {
      const inserted = await db.transaction().execute(async (trx) => {
        let n = 0
        for (const chunk of chunks(rows, INSERT_CHUNK)) {
          const result = await trx.insertInto("posts").values(chunk.map(toRow)).executeTakeFirst()
          n += Number(result.numInsertedOrUpdatedRows ?? 0n)
        }
        return n
      })
      return { count: inserted, value: null }
    },
    async batchUpdate(maxId) {
      const result = await db
        .updateTable("posts")
        .set((eb) => ({ views: eb("views", "+", 1) }))
        .where("id", "<=", maxId)
        .executeTakeFirst()
      return { count: Number(result.numUpdatedRows), value: null }
    },
    async upsert(rows) {
      const written = await db.transaction().execute(async (trx) => {
        let n = 0
        for (const chunk of chunks(rows, INSERT_CHUNK)) {
          const values = trx.insertInto("upsert_items").values(chunk.map((r) => ({ key: r.key, value: r.value, label: r.label })))
          const result = await (mysql
            ? values.onDuplicateKeyUpdate({ value: sql<number>`values(${sql.ref("value")})`, label: sql<string>`values(${sql.ref("label")})` })
            : values.onConflict((oc) => oc.column("key").doUpdateSet((eb) => ({ value: eb.ref("excluded.value"), label: eb.ref("excluded.label") })))
          ).executeTakeFirst()
          n += Number(result.numInsertedOrUpdatedRows ?? 0n)
        }
        return n
      })
      return { count: written, value: null }
    },
    async stream(fold, batchSize) {
      for await (const row of db.selectFrom("stream_rows").selectAll().orderBy("id").stream(batchSize)) fold.add(row.id, row.n)
    },
    async aggregate() {
      const rows = await db
        .selectFrom("posts")
        .select(["author_id as authorId", (eb) => eb.fn.countAll().as("posts"), (eb) => eb.fn.sum("views").as("views")])
        .groupBy("author_id")
        .execute()
      // SQLite returns numbers; pg returns bigint as strings, mysql2 DECIMAL sums as strings (Kysely converts nothing).
      return sqlite
        ? (rows as Array<AggregateRow>)
        : rows.map((r): AggregateRow => ({ authorId: r.authorId, posts: Number(r.posts), views: r.views === null ? null : Number(r.views) }))
    },
    async relationFilter({ authorName, minViews }) {
      const posts = await db
        .selectFrom("posts")
        .innerJoin("authors", "authors.id", "posts.author_id")
        .select(POST_COLUMNS)
        .where("authors.name", "=", authorName)
        .execute()
      const authors = await db
        .selectFrom("authors")
        .selectAll()
        .where((eb) =>
          eb.exists(
            eb.selectFrom("posts").select("posts.id").whereRef("posts.author_id", "=", "authors.id").where("posts.views", ">", minViews),
          ),
        )
        .execute()
      return { posts, authors }
    },
    async close() {
      await db.destroy()
    },
  }
}

export default open
