/**
 * MikroORM 7 with `EntitySchema`s on its sqlite (better-sqlite3), postgresql and mysql (mysql2) drivers, used as its docs
 * show: a forked EntityManager (identity map cleared before every sample, outside the timed
 * region), `findOne`/`find` for reads, `populate` for eager loads (MikroORM's default load
 * strategy), `insertMany` for the bulk insert and `nativeUpdate` with a `raw()` expression for
 * the batch update. The grouped aggregate with its QueryBuilder (`select` with `raw()` aggregates,
 * `groupBy`, read as plain rows; on PostgreSQL COUNT and SUM are bigint, which pg returns as
 * strings, and on MySQL the SUM is DECIMAL, a string from mysql2: converted with `Number()`); the relation filter with `find` and a condition on the
 * author (`{ author: { name } }`, joined) and the collection operator `$some` on the posts (a
 * subquery, so no author comes back twice). The upsert with `em.upsertMany(UpsertItem, rows, {
 * onConflictFields: ["key"], onConflictAction: "merge", onConflictMergeFields: ["value", "label"] })`
 * in a transaction, split by MikroORM itself (its `batchSize`, default 300 rows per statement).
 * The stream with `em.stream(StreamRow, { orderBy: { id: "asc" }, chunkSize })` (MikroORM 7: entity
 * instances, not added to the identity map; `chunkSize` is honoured on PostgreSQL, a cursor, and
 * ignored on SQLite and MySQL, whose drivers stream row by row). Statements are counted with MikroORM's
 * query logger, switched on only for the counting run (its formatting would otherwise be timed).
 *
 * @module
 */
import { type SqlEntityManager, MikroORM as SqliteOrm } from "@mikro-orm/sqlite"
import { type EntityManager, type MikroORM, type Options, raw } from "@mikro-orm/core"
import { MikroORM as MysqlOrm } from "@mikro-orm/mysql"
import { MikroORM as PostgresOrm } from "@mikro-orm/postgresql"
import type { ChildConfig } from "../config.js"
import {
  type AggregateRow,
  INSERT_CHUNK,
  chunks,
  type OpenSession,
  type Session,
  type StatementCounter,
  hookCounter,
} from "../contestant.js"
import { AuthorSchema, type PostEntity, PostSchema, StreamRowSchema, TagSchema, UpsertItemSchema } from "../schema/mikroorm.js"

const open: OpenSession = async (config: ChildConfig): Promise<Session> => {
  const hits = hookCounter()
  const common: Partial<Options> = {
    entities: [AuthorSchema, PostSchema, TagSchema, UpsertItemSchema, StreamRowSchema],
    logger: () => hits.hit(),
    debug: false,
    allowGlobalContext: false,
  }
  const pool = { min: 0, max: config.plan.poolMax }
  const orm: MikroORM =
    config.backend === "sqlite"
      ? await SqliteOrm.init({ ...common, dbName: config.target })
      : config.backend === "mysql"
        ? await MysqlOrm.init({ ...common, clientUrl: config.target, pool })
        : await PostgresOrm.init({ ...common, clientUrl: config.target, pool })
  const em: EntityManager = orm.em.fork()
  // Both SQL drivers' EntityManagers have the QueryBuilder (@mikro-orm/knex).
  const sqlEm = em as SqlEntityManager
  if (config.backend !== "sqlite") {
    await Promise.all(Array.from({ length: config.plan.poolMax }, () => em.getConnection().execute("SELECT 1")))
  }
  // Through the configuration: MikroORM re-applies `debug` to its logger whenever an option is
  // set, which would undo a direct logger.setDebugMode().
  const statements: StatementCounter = {
    start() {
      orm.config.set("debug", ["query"])
      hits.start()
    },
    stop() {
      orm.config.set("debug", false)
      return hits.stop()
    },
  }

  return {
    notes: `EntitySchema, ${config.backend === "sqlite" ? "sqlite (better-sqlite3)" : `${config.backend === "mysql" ? "mysql (mysql2)" : "postgresql"} (pool max ${config.plan.poolMax})`} driver, forked EntityManager cleared before each sample; stream: em.stream() (entities, outside the identity map)`,
    statements,
    beforeSample() {
      em.clear()
    },
    async pointLookup(ids) {
      let found = 0
      let last: PostEntity | null = null
      for (const id of ids) {
        const post = await em.findOne(PostSchema, id)
        if (post !== null) {
          last = post
          found++
        }
      }
      return { count: found, value: last }
    },
    async readPosts(limit) {
      const rows = await em.find(PostSchema, {}, { orderBy: { id: "asc" }, limit })
      return { count: rows.length, value: rows }
    },
    async page({ minViews, limit, offset }) {
      const rows = await em.find(PostSchema, { views: { $gt: minViews } }, { orderBy: { createdAt: "desc" }, limit, offset })
      return { count: rows.length, value: rows }
    },
    async authorsWithPosts(limit) {
      const rows = await em.find(AuthorSchema, {}, { populate: ["posts"], orderBy: { id: "asc" }, limit })
      return { count: rows.reduce((n, a) => n + a.posts.length, 0), value: rows }
    },
    async postsWithTags(limit) {
      const rows = await em.find(PostSchema, {}, { populate: ["tags"], orderBy: { id: "asc" }, limit })
      return { count: rows.reduce((n, p) => n + p.tags.length, 0), value: rows }
    },
    async bulkInsert(rows) {
      const inserted = await em.transactional(async (tx) => {
        let n = 0
        for (const chunk of chunks(rows, INSERT_CHUNK)) {
          const ids = await tx.insertMany(
            PostSchema,
            chunk.map((p) => ({
              title: p.title,
              body: p.body,
              views: p.views,
              published: p.published,
              createdAt: p.createdAt,
              author: p.authorId,
            })),
          )
          n += ids.length
        }
        return n
      })
      return { count: inserted, value: null }
    },
    async batchUpdate(maxId) {
      const updated = await em.nativeUpdate(PostSchema, { id: { $lte: maxId } }, { views: raw("views + 1") })
      return { count: updated, value: null }
    },
    async upsert(rows) {
      const items = await em.transactional((tx) =>
        tx.upsertMany(
          UpsertItemSchema,
          rows.map((r) => ({ key: r.key, value: r.value, label: r.label })),
          { onConflictFields: ["key"], onConflictAction: "merge", onConflictMergeFields: ["value", "label"] },
        ),
      )
      return { count: items.length, value: null }
    },
    async aggregate() {
      const rows = await sqlEm
        .createQueryBuilder(PostSchema, "p")
        .select(["p.author as authorId", raw("count(*) as posts"), raw("sum(p.views) as views")])
        .groupBy("p.author")
        .execute<Array<{ authorId: number; posts: number | string; views: number | string | null }>>("all", false)
      // SQLite returns numbers; pg returns bigint as strings, mysql2 the DECIMAL sum as a string.
      return config.backend === "sqlite"
        ? (rows as Array<AggregateRow>)
        : rows.map((r): AggregateRow => ({ authorId: r.authorId, posts: Number(r.posts), views: r.views === null ? null : Number(r.views) }))
    },
    async relationFilter({ authorName, minViews }) {
      const posts = await em.find(PostSchema, { author: { name: authorName } })
      const authors = await em.find(AuthorSchema, { posts: { $some: { views: { $gt: minViews } } } })
      return { posts, authors }
    },
    async stream(fold, batchSize) {
      for await (const row of em.stream(StreamRowSchema, { orderBy: { id: "asc" }, chunkSize: batchSize })) fold.add(row.id, row.n)
    },
    async close() {
      await orm.close(true)
    },
  }
}

export default open
