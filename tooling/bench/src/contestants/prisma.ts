/**
 * Prisma 7 with driver adapters (`@prisma/adapter-better-sqlite3`, `@prisma/adapter-pg`,
 * `@prisma/adapter-mariadb` for MySQL and MariaDB) and its query compiler: no engine binaries. The clients are generated from prisma/*.prisma at
 * build time (scripts/prisma-generate.mjs). Used as its docs show: `findUnique`, `findMany`
 * with `where`/`orderBy`/`take`/`skip`, `include` for eager loads (the many-to-many through an
 * explicit join model over Ferro's posts_tags), `createMany`, `updateMany` with `increment`,
 * `groupBy` with `_count` and `_sum` for the grouped aggregate (its `{ authorId, _count, _sum: {
 * views } }` mapped to plain rows), relation filters (`where: { author: { name } }` and
 * `where: { posts: { some: { views: { gt } } } }`) for the relation filter. Statements are
 * counted with Prisma's `query` log events.
 *
 * Upsert: Prisma has no bulk upsert (`createMany` has `skipDuplicates`, nothing that merges), so
 * it runs what its docs offer: one `upsertItem.upsert({ where: { key }, create, update })` per row,
 * all in one batch `$transaction([...], { timeout: 120_000 })` (its default 5 s timeout is too
 * short for 10,000 statements on PostgreSQL; Prisma turns each into a native `INSERT … ON CONFLICT …
 * DO UPDATE` when, as here, the `where` is the one unique field). Stream: – (Prisma has no
 * streaming or cursor API; `findMany` materialises every row).
 *
 * @module
 */
import type { ChildConfig } from "../config.js"
import {
  type AggregateRow,
  type OpenSession,
  type RelationFilterParams,
  type RelationFilterResult,
  type Session,
  hookCounter,
} from "../contestant.js"
import type { NewPost, UpsertRow } from "../data.js"

/** The part of a generated client the workloads use (both backends' clients have it). */
interface PrismaLike {
  post: {
    findUnique(args: { where: { id: number } }): PromiseLike<object | null>
    findMany(args: {
      where?: { views: { gt: number } }
      orderBy: { id: "asc" } | { createdAt: "desc" }
      take: number
      skip?: number
    }): PromiseLike<Array<object>>
    createMany(args: { data: Array<NewPost> }): PromiseLike<{ count: number }>
    updateMany(args: {
      where: { id: { lte: number } }
      data: { views: { increment: number } }
    }): PromiseLike<{ count: number }>
  }
  $disconnect(): Promise<void>
  $queryRawUnsafe(sql: string): PromiseLike<unknown>
}

/** The eager loads, grouping and relation filters, typed apart (their result types are the generated client's). */
interface PrismaEager {
  authorsWithPosts(limit: number): PromiseLike<Array<{ posts: Array<object> }>>
  postsWithTags(limit: number): PromiseLike<Array<{ postsTags: Array<object> }>>
  postsPerAuthor(): PromiseLike<Array<{ authorId: number; _count: number; _sum: { views: number | null } }>>
  postsByAuthorName(name: string): PromiseLike<RelationFilterResult["posts"]>
  authorsWithPostAbove(minViews: number): PromiseLike<RelationFilterResult["authors"]>
  /** One upsert per row in one batch transaction; resolves to the rows written. */
  upsertEach(rows: ReadonlyArray<UpsertRow>): PromiseLike<number>
}

/**
 * A batch `$transaction([...])` has Prisma's interactive-transaction timeout too (5 s by default),
 * which 10,000 upserts over pg exceed on a loaded machine ("A rollback cannot be executed on an
 * expired transaction"): raised, as Prisma's error message suggests.
 */
const UPSERT_TRANSACTION = { timeout: 120_000 }

const openClient = async (config: ChildConfig, onQuery: () => void): Promise<PrismaLike & PrismaEager> => {
  const log = [{ level: "query" as const, emit: "event" as const }]
  if (config.backend === "sqlite") {
    const { PrismaClient } = await import("../../generated/prisma/sqlite/client.js")
    const { PrismaBetterSqlite3 } = await import("@prisma/adapter-better-sqlite3")
    const client = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${config.target}` }), log })
    client.$on("query", onQuery)
    return {
      post: client.post,
      $disconnect: () => client.$disconnect(),
      $queryRawUnsafe: (sql) => client.$queryRawUnsafe(sql),
      authorsWithPosts: (limit) => client.author.findMany({ orderBy: { id: "asc" }, take: limit, include: { posts: true } }),
      postsWithTags: (limit) =>
        client.post.findMany({ orderBy: { id: "asc" }, take: limit, include: { postsTags: { include: { tag: true } } } }),
      postsPerAuthor: () => {
        // Not inferred against the interface's return type: Prisma's groupBy generics would take it as the argument's.
        const groups = client.post.groupBy({ by: ["authorId"], _count: true, _sum: { views: true } })
        return groups
      },
      postsByAuthorName: (name) => client.post.findMany({ where: { author: { name } } }),
      authorsWithPostAbove: (minViews) => client.author.findMany({ where: { posts: { some: { views: { gt: minViews } } } } }),
      upsertEach: async (rows) =>
        (
          await client.$transaction(
            rows.map((r) =>
              client.upsertItem.upsert({
                where: { key: r.key },
                create: { key: r.key, value: r.value, label: r.label },
                update: { value: r.value, label: r.label },
              }),
            ),
            UPSERT_TRANSACTION,
          )
        ).length,
    }
  }
  if (config.backend === "mysql") {
    const { PrismaClient } = await import("../../generated/prisma/mysql/client.js")
    const { PrismaMariaDb } = await import("@prisma/adapter-mariadb")
    const url = new URL(config.target)
    const adapter = new PrismaMariaDb({
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: url.pathname.slice(1),
      connectionLimit: config.plan.poolMax,
    })
    const client = new PrismaClient({ adapter, log })
    client.$on("query", onQuery)
    return {
      post: client.post,
      $disconnect: () => client.$disconnect(),
      $queryRawUnsafe: (sql) => client.$queryRawUnsafe(sql),
      authorsWithPosts: (limit) => client.author.findMany({ orderBy: { id: "asc" }, take: limit, include: { posts: true } }),
      postsWithTags: (limit) =>
        client.post.findMany({ orderBy: { id: "asc" }, take: limit, include: { postsTags: { include: { tag: true } } } }),
      postsPerAuthor: () => {
        const groups = client.post.groupBy({ by: ["authorId"], _count: true, _sum: { views: true } })
        return groups
      },
      postsByAuthorName: (name) => client.post.findMany({ where: { author: { name } } }),
      authorsWithPostAbove: (minViews) => client.author.findMany({ where: { posts: { some: { views: { gt: minViews } } } } }),
      upsertEach: async (rows) =>
        (
          await client.$transaction(
            rows.map((r) =>
              client.upsertItem.upsert({
                where: { key: r.key },
                create: { key: r.key, value: r.value, label: r.label },
                update: { value: r.value, label: r.label },
              }),
            ),
            UPSERT_TRANSACTION,
          )
        ).length,
    }
  }
  const { PrismaClient } = await import("../../generated/prisma/postgres/client.js")
  const { PrismaPg } = await import("@prisma/adapter-pg")
  const client = new PrismaClient({
    adapter: new PrismaPg({ connectionString: config.target, max: config.plan.poolMax }),
    log,
  })
  client.$on("query", onQuery)
  return {
    post: client.post,
    $disconnect: () => client.$disconnect(),
    $queryRawUnsafe: (sql) => client.$queryRawUnsafe(sql),
    authorsWithPosts: (limit) => client.author.findMany({ orderBy: { id: "asc" }, take: limit, include: { posts: true } }),
    postsWithTags: (limit) =>
      client.post.findMany({ orderBy: { id: "asc" }, take: limit, include: { postsTags: { include: { tag: true } } } }),
    postsPerAuthor: () => {
      const groups = client.post.groupBy({ by: ["authorId"], _count: true, _sum: { views: true } })
      return groups
    },
    postsByAuthorName: (name) => client.post.findMany({ where: { author: { name } } }),
    authorsWithPostAbove: (minViews) => client.author.findMany({ where: { posts: { some: { views: { gt: minViews } } } } }),
    upsertEach: async (rows) =>
      (
        await client.$transaction(
          rows.map((r) =>
            client.upsertItem.upsert({
              where: { key: r.key },
              create: { key: r.key, value: r.value, label: r.label },
              update: { value: r.value, label: r.label },
            }),
          ),
          UPSERT_TRANSACTION,
        )
      ).length,
  }
}

const open: OpenSession = async (config: ChildConfig): Promise<Session> => {
  const counter = hookCounter()
  const prisma = await openClient(config, () => counter.hit())
  if (config.backend !== "sqlite") {
    await Promise.all(Array.from({ length: config.plan.poolMax }, () => prisma.$queryRawUnsafe("SELECT 1")))
  }

  return {
    notes: `Prisma 7 client on ${config.backend === "sqlite" ? "@prisma/adapter-better-sqlite3" : `${config.backend === "mysql" ? "@prisma/adapter-mariadb" : "@prisma/adapter-pg"} (pool max ${config.plan.poolMax})`}, query compiler (no engine binaries), include for eager loads, upsert: one upsert() per row in a batch $transaction (no bulk upsert); stream: – (Prisma has no streaming or cursor API)`,
    statements: counter,
    async pointLookup(ids) {
      let found = 0
      let last: object | null = null
      for (const id of ids) {
        const post = await prisma.post.findUnique({ where: { id } })
        if (post !== null) {
          last = post
          found++
        }
      }
      return { count: found, value: last }
    },
    async readPosts(limit) {
      const rows = await prisma.post.findMany({ orderBy: { id: "asc" }, take: limit })
      return { count: rows.length, value: rows }
    },
    async page({ minViews, limit, offset }) {
      const rows = await prisma.post.findMany({
        where: { views: { gt: minViews } },
        orderBy: { createdAt: "desc" },
        take: limit,
        skip: offset,
      })
      return { count: rows.length, value: rows }
    },
    async authorsWithPosts(limit) {
      const rows = await prisma.authorsWithPosts(limit)
      return { count: rows.reduce((n, a) => n + a.posts.length, 0), value: rows }
    },
    async postsWithTags(limit) {
      const rows = await prisma.postsWithTags(limit)
      return { count: rows.reduce((n, p) => n + p.postsTags.length, 0), value: rows }
    },
    async bulkInsert(rows) {
      const result = await prisma.post.createMany({ data: [...rows] })
      return { count: result.count, value: null }
    },
    async batchUpdate(maxId) {
      const result = await prisma.post.updateMany({ where: { id: { lte: maxId } }, data: { views: { increment: 1 } } })
      return { count: result.count, value: null }
    },
    async upsert(rows) {
      return { count: await prisma.upsertEach(rows), value: null }
    },
    async aggregate() {
      const groups = await prisma.postsPerAuthor()
      return groups.map((g): AggregateRow => ({ authorId: g.authorId, posts: g._count, views: g._sum.views }))
    },
    async relationFilter({ authorName, minViews }: RelationFilterParams) {
      const posts = await prisma.postsByAuthorName(authorName)
      const authors = await prisma.authorsWithPostAbove(minViews)
      return { posts, authors }
    },
    async close() {
      await prisma.$disconnect()
    },
  }
}

export default open
