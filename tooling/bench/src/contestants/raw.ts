/**
 * The floor: the drivers themselves with hand-written SQL. SQLite: better-sqlite3 prepared
 * statements read in array mode (`.raw()`), each row turned into a plain object with the same
 * JS types the ORMs produce (`Date`, `boolean`). PostgreSQL: `pool.query` with the same SQL;
 * pg's own type parsing produces the objects. Statements are counted here, one per call.
 *
 * MySQL: a mysql2 pool (promise API); each statement as measured fastest here (see
 * `openMysql`), rows as arrays (`rowsAsArray`) mapped to plain objects as on SQLite.
 *
 * Upsert: one `INSERT … ON CONFLICT (key) DO UPDATE SET value = excluded.value, label =
 * excluded.label` per 5,000 rows, in a transaction (MySQL: `ON DUPLICATE KEY UPDATE value =
 * VALUES(value), label = VALUES(label)`). Stream: better-sqlite3's `.iterate()` (array
 * rows) / a pg-cursor read `batchSize` rows at a time, each row made into a plain object (as
 * every other read here) and handed to the fold; one statement either way.
 *
 * @module
 */
import Database from "better-sqlite3"
import { createPool as createMysqlPool } from "mysql2"
import type mysql from "mysql2/promise"
import pg from "pg"
import Cursor from "pg-cursor"
import type { ChildConfig } from "../config.js"
import {
  type AggregateRow,
  INSERT_CHUNK,
  chunks,
  type OpenSession,
  type PageParams,
  type Session,
  hookCounter,
} from "../contestant.js"
import type { NewPost, PostRow, UpsertRow } from "../data.js"

const POST_COLUMNS = "id, title, body, views, published, created_at, author_id"

/** The grouped aggregate and the relation filter's two statements (the same SQL on both backends). */
const AGGREGATE_SQL = "SELECT author_id, COUNT(*), SUM(views) FROM posts GROUP BY author_id"
const POSTS_BY_AUTHOR_NAME = (param: string) =>
  `SELECT ${POST_COLUMNS.split(", ").map((c) => `p.${c}`).join(", ")} FROM posts p JOIN authors a ON a.id = p.author_id WHERE a.name = ${param}`
// The IN form, not a correlated EXISTS: SQLite drives it from the views index (0.05 ms against
// 20 ms per call over 10,000 authors), and raw is the floor: the fastest correct SQL.
const AUTHORS_WITH_POST_ABOVE = (param: string) =>
  `SELECT a.id, a.name, a.email FROM authors a WHERE a.id IN (SELECT p.author_id FROM posts p WHERE p.views > ${param})`

interface AuthorObject {
  id: number
  name: string
  email: string
  posts: Array<PostRow>
}

interface TagObject {
  id: number
  name: string
}

type PostWithTags = PostRow & { tags: Array<TagObject> }

const toPost = (r: ReadonlyArray<unknown>): PostRow => ({
  id: r[0] as number,
  title: r[1] as string,
  body: r[2] as string,
  views: r[3] as number,
  published: r[4] === 1,
  createdAt: new Date(r[5] as string),
  authorId: r[6] as number,
})

const insertSqlCache = new Map<string, string>()
/** The multi-row INSERT for `rows` rows; `numbered`: `$1, $2, …` (PostgreSQL) instead of `?`. */
const insertSql = (rows: number, numbered: boolean): string => {
  const key = `${rows}:${numbered}`
  let sql = insertSqlCache.get(key)
  if (sql === undefined) {
    const values: Array<string> = []
    for (let r = 0; r < rows; r++) {
      const p = Array.from({ length: 6 }, (_, c) => (numbered ? `$${r * 6 + c + 1}` : "?"))
      values.push(`(${p.join(", ")})`)
    }
    sql = `INSERT INTO posts (title, body, views, published, created_at, author_id) VALUES ${values.join(", ")}`
    insertSqlCache.set(key, sql)
  }
  return sql
}

const upsertSqlCache = new Map<string, string>()
/** The multi-row upsert into `upsert_items` for `rows` rows (3 parameters a row). */
const upsertSql = (rows: number, numbered: boolean): string => {
  const key = `${rows}:${numbered}`
  let sql = upsertSqlCache.get(key)
  if (sql === undefined) {
    const values: Array<string> = []
    for (let r = 0; r < rows; r++) values.push(numbered ? `($${r * 3 + 1}, $${r * 3 + 2}, $${r * 3 + 3})` : "(?, ?, ?)")
    sql = `INSERT INTO upsert_items (key, value, label) VALUES ${values.join(", ")} ON CONFLICT (key) DO UPDATE SET value = excluded.value, label = excluded.label`
    upsertSqlCache.set(key, sql)
  }
  return sql
}

const upsertParams = (chunk: ReadonlyArray<UpsertRow>): Array<unknown> => {
  const params: Array<unknown> = []
  for (const r of chunk) params.push(r.key, r.value, r.label)
  return params
}

const STREAM_SQL = "SELECT id, n, label FROM stream_rows ORDER BY id"

interface StreamRowObject {
  id: number
  n: number
  label: string
}

const openSqlite = (file: string): Session => {
  const db = new Database(file)
  db.pragma("foreign_keys = ON")
  const counter = hookCounter()
  const cache = new Map<string, Database.Statement<Array<unknown>, unknown>>()
  /** Prepared once per SQL text. */
  const prepare = (sql: string) => {
    let statement = cache.get(sql)
    if (statement === undefined) {
      statement = db.prepare<Array<unknown>, unknown>(sql)
      cache.set(sql, statement)
    }
    return statement
  }
  const byId = prepare(`SELECT ${POST_COLUMNS} FROM posts WHERE id = ?`).raw(true)
  const firstPosts = prepare(`SELECT ${POST_COLUMNS} FROM posts ORDER BY id LIMIT ?`).raw(true)
  const page = prepare(
    `SELECT ${POST_COLUMNS} FROM posts WHERE views > ? ORDER BY created_at DESC LIMIT ? OFFSET ?`,
  ).raw(true)
  const firstAuthors = prepare("SELECT id, name, email FROM authors ORDER BY id LIMIT ?").raw(true)
  const update = prepare("UPDATE posts SET views = views + 1 WHERE id <= ?")
  const aggregate = prepare(AGGREGATE_SQL).raw(true)
  const postsByAuthorName = prepare(POSTS_BY_AUTHOR_NAME("?")).raw(true)
  const authorsWithPostAbove = prepare(AUTHORS_WITH_POST_ABOVE("?")).raw(true)
  const streamRows = prepare(STREAM_SQL).raw(true)
  const insert = (rows: number) => prepare(insertSql(rows, false))
  const all = (statement: Database.Statement<Array<unknown>, unknown>, ...params: Array<unknown>) => {
    counter.hit()
    return statement.all(...params) as Array<Array<unknown>>
  }
  const inList = (n: number) => Array.from({ length: n }, () => "?").join(", ")

  return {
    notes: "better-sqlite3 12 prepared statements, array rows mapped to plain objects",
    statements: counter,
    async pointLookup(ids) {
      let found = 0
      let last: PostRow | null = null
      for (const id of ids) {
        counter.hit()
        const row = byId.get(id) as Array<unknown> | undefined
        if (row !== undefined) {
          last = toPost(row)
          found++
        }
      }
      return { count: found, value: last }
    },
    async readPosts(limit) {
      const posts = all(firstPosts, limit).map(toPost)
      return { count: posts.length, value: posts }
    },
    async page({ minViews, limit, offset }: PageParams) {
      const posts = all(page, minViews, limit, offset).map(toPost)
      return { count: posts.length, value: posts }
    },
    async authorsWithPosts(n) {
      const authors: Array<AuthorObject> = all(firstAuthors, n).map((r) => ({
        id: r[0] as number,
        name: r[1] as string,
        email: r[2] as string,
        posts: [],
      }))
      const byAuthor = new Map(authors.map((a) => [a.id, a]))
      const rows = all(prepare(`SELECT ${POST_COLUMNS} FROM posts WHERE author_id IN (${inList(authors.length)})`).raw(true), ...byAuthor.keys())
      for (const r of rows) {
        const post = toPost(r)
        byAuthor.get(post.authorId)!.posts.push(post)
      }
      return { count: rows.length, value: authors }
    },
    async postsWithTags(n) {
      const posts: Array<PostWithTags> = all(firstPosts, n).map((r) => ({ ...toPost(r), tags: [] }))
      const byPost = new Map(posts.map((p) => [p.id, p]))
      const rows = all(
        prepare(
          `SELECT pt.posts_id, t.id, t.name FROM posts_tags pt JOIN tags t ON t.id = pt.tags_id WHERE pt.posts_id IN (${inList(posts.length)})`,
        ).raw(true),
        ...byPost.keys(),
      )
      for (const r of rows) byPost.get(r[0] as number)!.tags.push({ id: r[1] as number, name: r[2] as string })
      return { count: rows.length, value: posts }
    },
    async bulkInsert(rows: ReadonlyArray<NewPost>) {
      let inserted = 0
      counter.hit() // BEGIN
      db.transaction(() => {
        for (const chunk of chunks(rows, INSERT_CHUNK)) {
          const params: Array<unknown> = []
          for (const p of chunk) {
            params.push(p.title, p.body, p.views, p.published ? 1 : 0, p.createdAt.toISOString(), p.authorId)
          }
          counter.hit()
          inserted += insert(chunk.length).run(...params).changes
        }
      })()
      counter.hit() // COMMIT
      return { count: inserted, value: null }
    },
    async batchUpdate(maxId) {
      counter.hit()
      return { count: update.run(maxId).changes, value: null }
    },
    async upsert(rows) {
      let written = 0
      counter.hit() // BEGIN
      db.transaction(() => {
        for (const chunk of chunks(rows, INSERT_CHUNK)) {
          counter.hit()
          written += prepare(upsertSql(chunk.length, false)).run(...upsertParams(chunk)).changes
        }
      })()
      counter.hit() // COMMIT
      return { count: written, value: null }
    },
    async stream(fold) {
      counter.hit()
      for (const r of streamRows.iterate() as IterableIterator<Array<unknown>>) {
        const row: StreamRowObject = { id: r[0] as number, n: r[1] as number, label: r[2] as string }
        fold.add(row.id, row.n)
      }
    },
    async aggregate() {
      return all(aggregate).map((r): AggregateRow => ({ authorId: r[0] as number, posts: r[1] as number, views: r[2] as number }))
    },
    async relationFilter({ authorName, minViews }) {
      const posts = all(postsByAuthorName, authorName).map(toPost)
      const authors = all(authorsWithPostAbove, minViews).map((r) => ({ id: r[0] as number, name: r[1] as string, email: r[2] as string }))
      return { posts, authors }
    },
    async close() {
      db.close()
    },
  }
}

const openPostgres = async (url: string, poolMax: number): Promise<Session> => {
  const pool = new pg.Pool({ connectionString: url, max: poolMax })
  pool.on("error", () => {})
  const counter = hookCounter()
  const query = async <R extends object>(text: string, values: Array<unknown>): Promise<Array<R>> => {
    counter.hit()
    return (await pool.query<R>(text, values)).rows
  }
  const POST_SELECT = `SELECT id, title, body, views, published, created_at AS "createdAt", author_id AS "authorId" FROM posts`
  // Open the pool's connections up front, as every contestant does, outside the timed region.
  await Promise.all(Array.from({ length: poolMax }, () => pool.query("SELECT 1")))

  return {
    notes: `pg pool.query, pool max ${poolMax}, rows as pg returns them`,
    statements: counter,
    async pointLookup(ids) {
      let found = 0
      let last: PostRow | null = null
      for (const id of ids) {
        const rows = await query<PostRow>(`${POST_SELECT} WHERE id = $1`, [id])
        if (rows.length === 1) {
          last = rows[0]!
          found++
        }
      }
      return { count: found, value: last }
    },
    async readPosts(limit) {
      const posts = await query<PostRow>(`${POST_SELECT} ORDER BY id LIMIT $1`, [limit])
      return { count: posts.length, value: posts }
    },
    async page({ minViews, limit, offset }) {
      const posts = await query<PostRow>(`${POST_SELECT} WHERE views > $1 ORDER BY created_at DESC LIMIT $2 OFFSET $3`, [
        minViews,
        limit,
        offset,
      ])
      return { count: posts.length, value: posts }
    },
    async authorsWithPosts(n) {
      const authors = await query<AuthorObject>("SELECT id, name, email FROM authors ORDER BY id LIMIT $1", [n])
      const byAuthor = new Map<number, AuthorObject>()
      for (const a of authors) {
        a.posts = []
        byAuthor.set(a.id, a)
      }
      const posts = await query<PostRow>(`${POST_SELECT} WHERE author_id = ANY($1)`, [[...byAuthor.keys()]])
      for (const p of posts) byAuthor.get(p.authorId)!.posts.push(p)
      return { count: posts.length, value: authors }
    },
    async postsWithTags(n) {
      const posts = await query<PostWithTags>(`${POST_SELECT} ORDER BY id LIMIT $1`, [n])
      const byPost = new Map<number, PostWithTags>()
      for (const p of posts) {
        p.tags = []
        byPost.set(p.id, p)
      }
      const rows = await query<{ postId: number; id: number; name: string }>(
        `SELECT pt.posts_id AS "postId", t.id, t.name FROM posts_tags pt JOIN tags t ON t.id = pt.tags_id WHERE pt.posts_id = ANY($1)`,
        [[...byPost.keys()]],
      )
      for (const r of rows) byPost.get(r.postId)!.tags.push({ id: r.id, name: r.name })
      return { count: rows.length, value: posts }
    },
    async bulkInsert(rows) {
      const client = await pool.connect()
      let inserted = 0
      try {
        counter.hit()
        await client.query("BEGIN")
        for (const chunk of chunks(rows, INSERT_CHUNK)) {
          const params: Array<unknown> = []
          for (const p of chunk) params.push(p.title, p.body, p.views, p.published, p.createdAt, p.authorId)
          counter.hit()
          inserted += (await client.query(insertSql(chunk.length, true), params)).rowCount ?? 0
        }
        counter.hit()
        await client.query("COMMIT")
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {})
        throw error
      } finally {
        client.release()
      }
      return { count: inserted, value: null }
    },
    async batchUpdate(maxId) {
      counter.hit()
      const result = await pool.query("UPDATE posts SET views = views + 1 WHERE id <= $1", [maxId])
      return { count: result.rowCount ?? 0, value: null }
    },
    async upsert(rows) {
      const client = await pool.connect()
      let written = 0
      try {
        counter.hit()
        await client.query("BEGIN")
        for (const chunk of chunks(rows, INSERT_CHUNK)) {
          counter.hit()
          written += (await client.query(upsertSql(chunk.length, true), upsertParams(chunk))).rowCount ?? 0
        }
        counter.hit()
        await client.query("COMMIT")
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {})
        throw error
      } finally {
        client.release()
      }
      return { count: written, value: null }
    },
    async stream(fold, batchSize) {
      // A portal read batchSize rows at a time (pg-cursor): only one batch is in memory.
      const client = await pool.connect()
      try {
        counter.hit()
        const cursor = client.query(new Cursor<StreamRowObject>(STREAM_SQL))
        try {
          for (;;) {
            const rows = await cursor.read(batchSize)
            if (rows.length === 0) break
            for (const row of rows) fold.add(row.id, row.n)
          }
        } finally {
          await cursor.close()
        }
      } finally {
        client.release()
      }
    },
    async aggregate() {
      // COUNT and SUM of an int are bigint in PostgreSQL: pg returns them as strings.
      const rows = await query<{ author_id: number; count: string; sum: string | null }>(AGGREGATE_SQL, [])
      return rows.map((r): AggregateRow => ({ authorId: r.author_id, posts: Number(r.count), views: r.sum === null ? null : Number(r.sum) }))
    },
    async relationFilter({ authorName, minViews }) {
      const posts = await query<PostRow>(
        `SELECT p.id, p.title, p.body, p.views, p.published, p.created_at AS "createdAt", p.author_id AS "authorId" FROM posts p JOIN authors a ON a.id = p.author_id WHERE a.name = $1`,
        [authorName],
      )
      const authors = await query<{ id: number; name: string; email: string }>(AUTHORS_WITH_POST_ABOVE("$1"), [minViews])
      return { posts, authors }
    },
    async close() {
      await pool.end()
    },
  }
}

/** MySQL's multi-row upsert: `key` is a reserved word; VALUES(col) is the row that conflicted (MariaDB and MySQL alike). */
const mysqlUpsertSql = (rows: number): string =>
  `INSERT INTO upsert_items (\`key\`, value, label) VALUES ${Array.from({ length: rows }, () => "(?, ?, ?)").join(", ")} ON DUPLICATE KEY UPDATE value = VALUES(value), label = VALUES(label)`

const mysqlPost = (r: ReadonlyArray<unknown>): PostRow => ({
  id: r[0] as number,
  title: r[1] as string,
  body: r[2] as string,
  views: r[3] as number,
  published: r[4] === 1,
  createdAt: r[5] as Date,
  authorId: r[6] as number,
})

/**
 * MySQL through a mysql2 pool. Measured here (MariaDB 10.11, 100,000 posts, two runs on a busy
 * 2-core machine): `query` (text protocol, parameters escaped client-side) was 10-25% faster than
 * `execute` (a server-side prepared statement, binary protocol, cached by mysql2 per SQL text) on
 * 2,000 point lookups and no slower on pages and 1,000-100,000-row reads, while a 5,000-row INSERT
 * (30,000 parameters) took about half the time with `execute` (59-74 ms against 109-124 ms with
 * `query` and placeholders, 95-155 ms with `query`'s nested-array `VALUES ?`). So reads use
 * `query`, the multi-row INSERTs (bulk insert, upsert) `execute`. Rows as arrays (`rowsAsArray`,
 * 10,000 rows in 7.5 ms against 11-12 ms as objects), mapped to plain objects with the same JS
 * types the ORMs produce (`boolean` from TINYINT(1)). `timezone: "Z"`: DATETIME holds UTC.
 */
const openMysql = async (url: string, poolMax: number): Promise<Session> => {
  // The callback pool for the row stream, its promise wrapper for everything else (one pool).
  const core = createMysqlPool({ uri: url, connectionLimit: poolMax, timezone: "Z", rowsAsArray: true })
  const pool = core.promise()
  const counter = hookCounter()
  const rows = async (sql: string, values: Array<unknown>): Promise<Array<Array<unknown>>> => {
    counter.hit()
    const [result] = await pool.query<Array<Array<unknown>> & mysql.RowDataPacket[]>(sql, values)
    return result
  }
  const POST_SELECT = `SELECT ${POST_COLUMNS} FROM posts`
  await Promise.all(Array.from({ length: poolMax }, () => pool.query("SELECT 1")))
  const inList = (n: number) => Array.from({ length: n }, () => "?").join(", ")
  /** A multi-row write in one transaction on one connection: BEGIN, the statements, COMMIT. */
  const transaction = async (statements: Array<[string, Array<mysql.ExecuteValues>]>): Promise<number> => {
    const connection = await pool.getConnection()
    let affected = 0
    try {
      counter.hit()
      await connection.beginTransaction()
      for (const [sql, values] of statements) {
        counter.hit()
        const [result] = await connection.execute<mysql.ResultSetHeader>(sql, values)
        affected += result.affectedRows
      }
      counter.hit()
      await connection.commit()
    } catch (error) {
      await connection.rollback().catch(() => {})
      throw error
    } finally {
      connection.release()
    }
    return affected
  }

  return {
    notes: `mysql2 pool (max ${poolMax}): query() for reads, execute() (prepared) for multi-row writes, array rows mapped to plain objects; stream: query().stream()`,
    statements: counter,
    async pointLookup(ids) {
      let found = 0
      let last: PostRow | null = null
      for (const id of ids) {
        const result = await rows(`${POST_SELECT} WHERE id = ?`, [id])
        if (result.length === 1) {
          last = mysqlPost(result[0]!)
          found++
        }
      }
      return { count: found, value: last }
    },
    async readPosts(limit) {
      const posts = (await rows(`${POST_SELECT} ORDER BY id LIMIT ?`, [limit])).map(mysqlPost)
      return { count: posts.length, value: posts }
    },
    async page({ minViews, limit, offset }) {
      const posts = (await rows(`${POST_SELECT} WHERE views > ? ORDER BY created_at DESC LIMIT ? OFFSET ?`, [minViews, limit, offset])).map(mysqlPost)
      return { count: posts.length, value: posts }
    },
    async authorsWithPosts(n) {
      const authors: Array<AuthorObject> = (await rows("SELECT id, name, email FROM authors ORDER BY id LIMIT ?", [n])).map((r) => ({
        id: r[0] as number,
        name: r[1] as string,
        email: r[2] as string,
        posts: [],
      }))
      const byAuthor = new Map(authors.map((a) => [a.id, a]))
      const posts = await rows(`${POST_SELECT} WHERE author_id IN (${inList(authors.length)})`, [...byAuthor.keys()])
      for (const r of posts) {
        const post = mysqlPost(r)
        byAuthor.get(post.authorId)!.posts.push(post)
      }
      return { count: posts.length, value: authors }
    },
    async postsWithTags(n) {
      const posts: Array<PostWithTags> = (await rows(`${POST_SELECT} ORDER BY id LIMIT ?`, [n])).map((r) => ({ ...mysqlPost(r), tags: [] }))
      const byPost = new Map(posts.map((p) => [p.id, p]))
      const links = await rows(
        `SELECT pt.posts_id, t.id, t.name FROM posts_tags pt JOIN tags t ON t.id = pt.tags_id WHERE pt.posts_id IN (${inList(posts.length)})`,
        [...byPost.keys()],
      )
      for (const r of links) byPost.get(r[0] as number)!.tags.push({ id: r[1] as number, name: r[2] as string })
      return { count: links.length, value: posts }
    },
    async bulkInsert(posts) {
      const statements = chunks(posts, INSERT_CHUNK).map((chunk): [string, Array<mysql.ExecuteValues>] => {
        const params: Array<mysql.ExecuteValues> = []
        for (const p of chunk) params.push(p.title, p.body, p.views, p.published, p.createdAt, p.authorId)
        return [insertSql(chunk.length, false), params]
      })
      return { count: await transaction(statements), value: null }
    },
    async batchUpdate(maxId) {
      counter.hit()
      const [result] = await pool.query<mysql.ResultSetHeader>("UPDATE posts SET views = views + 1 WHERE id <= ?", [maxId])
      return { count: result.affectedRows, value: null }
    },
    async upsert(items) {
      const statements = chunks(items, INSERT_CHUNK).map((chunk): [string, Array<mysql.ExecuteValues>] => [
        mysqlUpsertSql(chunk.length),
        upsertParams(chunk) as Array<mysql.ExecuteValues>,
      ])
      // affectedRows counts a merged row twice (MySQL's convention); the runner checks the table itself.
      return { count: await transaction(statements), value: null }
    },
    async stream(fold) {
      // mysql2 streams the result set row by row (MySQL has no cursor fetch size on a plain query).
      counter.hit()
      for await (const r of core.query(STREAM_SQL).stream() as AsyncIterable<Array<unknown>>) {
        const row: StreamRowObject = { id: r[0] as number, n: r[1] as number, label: r[2] as string }
        fold.add(row.id, row.n)
      }
    },
    async aggregate() {
      // COUNT(*) is BIGINT (mysql2: a number); SUM of an INT is DECIMAL, which mysql2 returns as a string.
      const result = await rows(AGGREGATE_SQL, [])
      return result.map((r): AggregateRow => ({ authorId: r[0] as number, posts: Number(r[1]), views: r[2] === null ? null : Number(r[2]) }))
    },
    async relationFilter({ authorName, minViews }) {
      const posts = (await rows(POSTS_BY_AUTHOR_NAME("?"), [authorName])).map(mysqlPost)
      const authors = (await rows(AUTHORS_WITH_POST_ABOVE("?"), [minViews])).map((r) => ({ id: r[0] as number, name: r[1] as string, email: r[2] as string }))
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
