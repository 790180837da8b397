/**
 * TypeORM with `EntitySchema`s, on its better-sqlite3, postgres and mysql (mysql2) drivers, used as its docs
 * show: repositories (`findOneBy`, `find` with `order`/`take`/`skip`/`where`) for reads,
 * `find({ relations })` for eager loads, the query builder for the bulk insert (chunked: SQLite
 * binds at most 32,766 parameters) and the batch update. The grouped aggregate and the relation
 * filter with the query builder: `select`/`addSelect("COUNT(*)")`/`groupBy` read with
 * `getRawMany()` (on PostgreSQL COUNT and SUM are bigint, which pg returns as strings: converted
 * with `Number()`), an inner join on the author's name and `whereExists` with a posts subquery,
 * read with `getMany()`. The upsert with `manager.upsert(UpsertItem, chunk, ["key"])` (5,000 rows
 * per call, in a transaction); the stream with the query builder's `stream()`, which TypeORM has
 * on PostgreSQL (through pg-query-stream) and MySQL (mysql2's row stream); it yields the driver's
 * raw rows, `r_id`, `r_n`, …, not entities: its SQLite drivers throw "Stream is not supported by sqlite driver", so no
 * stream there. Statements are counted by a custom logger (TypeORM calls `logQuery` for every
 * statement it sends).
 *
 * @module
 */
import { DataSource, type Logger, MoreThan } from "typeorm"
import type { ChildConfig } from "../config.js"
import {
  type AggregateRow,
  INSERT_CHUNK,
  chunks,
  type OpenSession,
  type Session,
  type StreamFold,
  hookCounter,
} from "../contestant.js"
import { type PostEntity, typeormSchemas } from "../schema/typeorm.js"

const countingLogger = (hit: () => void): Logger => ({
  logQuery: hit,
  logQueryError: () => {},
  logQuerySlow: () => {},
  logSchemaBuild: () => {},
  logMigration: () => {},
  log: () => {},
})

const open: OpenSession = async (config: ChildConfig): Promise<Session> => {
  const counter = hookCounter()
  const schemas = typeormSchemas(config.backend)
  const common = {
    entities: [schemas.Author, schemas.Post, schemas.Tag, schemas.UpsertItem, schemas.StreamRow],
    synchronize: false,
    logger: countingLogger(() => counter.hit()),
  }
  const dataSource =
    config.backend === "sqlite"
      ? new DataSource({ type: "better-sqlite3", database: config.target, ...common })
      : config.backend === "mysql"
        ? new DataSource({ type: "mysql", url: config.target, poolSize: config.plan.poolMax, ...common })
        : new DataSource({ type: "postgres", url: config.target, poolSize: config.plan.poolMax, ...common })
  await dataSource.initialize()
  if (config.backend !== "sqlite") {
    await Promise.all(Array.from({ length: config.plan.poolMax }, () => dataSource.query("SELECT 1")))
  }
  const posts = dataSource.getRepository(schemas.Post)
  const authors = dataSource.getRepository(schemas.Author)
  const streamRows = dataSource.getRepository(schemas.StreamRow)
  const sqlite = config.backend === "sqlite"

  return {
    notes: `EntitySchema, ${sqlite ? "better-sqlite3" : `${config.backend === "mysql" ? "mysql (mysql2)" : "postgres"} (pool max ${config.plan.poolMax})`} driver, repositories + find({ relations })${sqlite ? "; stream: – (TypeORM's SQLite drivers throw \"Stream is not supported by sqlite driver\")" : config.backend === "mysql" ? "; stream: query builder stream() over mysql2's row stream (raw rows)" : "; stream: query builder stream() over pg-query-stream (raw rows)"}`,
    statements: counter,
    async pointLookup(ids) {
      let found = 0
      let last: PostEntity | null = null
      for (const id of ids) {
        const post = await posts.findOneBy({ id })
        if (post !== null) {
          last = post
          found++
        }
      }
      return { count: found, value: last }
    },
    async readPosts(limit) {
      const rows = await posts.find({ order: { id: "ASC" }, take: limit })
      return { count: rows.length, value: rows }
    },
    async page({ minViews, limit, offset }) {
      const rows = await posts.find({
        where: { views: MoreThan(minViews) },
        order: { createdAt: "DESC" },
        take: limit,
        skip: offset,
      })
      return { count: rows.length, value: rows }
    },
    async authorsWithPosts(limit) {
      const rows = await authors.find({ relations: { posts: true }, order: { id: "ASC" }, take: limit })
      return { count: rows.reduce((n, a) => n + (a.posts?.length ?? 0), 0), value: rows }
    },
    async postsWithTags(limit) {
      const rows = await posts.find({ relations: { tags: true }, order: { id: "ASC" }, take: limit })
      return { count: rows.reduce((n, p) => n + (p.tags?.length ?? 0), 0), value: rows }
    },
    async bulkInsert(rows) {
      const inserted = await dataSource.transaction(async (manager) => {
        let n = 0
        for (const chunk of chunks(rows, INSERT_CHUNK)) {
          await manager.createQueryBuilder().insert().into(schemas.Post).values(chunk).updateEntity(false).execute()
          n += chunk.length
        }
        return n
      })
      return { count: inserted, value: null }
    },
    async batchUpdate(maxId) {
      const result = await dataSource
        .createQueryBuilder()
        .update(schemas.Post)
        .set({ views: () => "views + 1" })
        .where("id <= :maxId", { maxId })
        .execute()
      return { count: result.affected ?? 0, value: null }
    },
    async upsert(rows) {
      await dataSource.transaction(async (manager) => {
        for (const chunk of chunks(rows, INSERT_CHUNK)) {
          await manager.upsert(
            schemas.UpsertItem,
            chunk.map((r) => ({ key: r.key, value: r.value, label: r.label })),
            ["key"],
          )
        }
      })
      return { count: rows.length, value: null }
    },
    ...(sqlite
      ? {}
      : {
          async stream(fold: StreamFold) {
            // Raw rows named <alias>_<column>, as TypeORM's stream() gives them.
            const stream = await streamRows.createQueryBuilder("r").orderBy("r.id").stream()
            for await (const row of stream as AsyncIterable<{ r_id: number; r_n: number; r_label: string }>) fold.add(row.r_id, row.r_n)
          },
        }),
    async aggregate() {
      const rows = await posts
        .createQueryBuilder("post")
        .select("post.authorId", "authorId")
        .addSelect("COUNT(*)", "posts")
        .addSelect("SUM(post.views)", "views")
        .groupBy("post.authorId")
        .getRawMany<{ authorId: number; posts: number | string; views: number | string | null }>()
      // SQLite returns numbers; pg returns bigint as strings, mysql2 the DECIMAL sum as a string.
      return config.backend === "sqlite"
        ? (rows as Array<AggregateRow>)
        : rows.map((r): AggregateRow => ({ authorId: r.authorId, posts: Number(r.posts), views: r.views === null ? null : Number(r.views) }))
    },
    async relationFilter({ authorName, minViews }) {
      const byName = await posts
        .createQueryBuilder("post")
        .innerJoin("post.author", "author")
        .where("author.name = :name", { name: authorName })
        .getMany()
      const withPostAbove = await authors
        .createQueryBuilder("author")
        .whereExists(
          posts
            .createQueryBuilder("post")
            .select("1")
            .where("post.authorId = author.id")
            .andWhere("post.views > :minViews", { minViews }),
        )
        .getMany()
      return { posts: byName, authors: withPostAbove }
    },
    async close() {
      await dataSource.destroy()
    },
  }
}

export default open
