/**
 * Seeding. Ferro's autoMigrate creates the schema from the Ferro models; the rows go in through
 * the raw driver (fast and the same for everyone). Then every contestant gets its own identical
 * copy: a copy of the SQLite file, or a PostgreSQL database created from the seeded one as a
 * template. Reads see identical data; writes cannot disturb another contestant.
 *
 * @module
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Database from "better-sqlite3"
import { connect, disconnect } from "ferro-orm"
import pg from "pg"
import type { ContestantName, Sizes } from "./config.js"
import { seedAuthors, seedPostTags, seedPosts, seedTags } from "./data.js"
// Registers the models, so autoMigrate creates their tables.
import "./schema/ferro-models.js"

/** Where each contestant runs, and how to clean up. */
export interface Seeded {
  readonly targets: ReadonlyMap<ContestantName, string>
  readonly cleanup: () => Promise<void>
  /** What can be undone synchronously when the run is interrupted (SQLite: the temp dir). */
  readonly cleanupNow?: () => void
}

const createSchema = async (url: string): Promise<void> => {
  await connect(url, { autoMigrate: true })
  await disconnect()
}

export const seedSqlite = async (sizes: Sizes, contestants: ReadonlyArray<ContestantName>): Promise<Seeded> => {
  const dir = mkdtempSync(join(tmpdir(), "ferro-bench-"))
  const seedFile = join(dir, "seed.db")
  await createSchema(`sqlite:${seedFile}`)
  const db = new Database(seedFile)
  try {
    db.pragma("journal_mode = WAL")
    const insertAuthor = db.prepare("INSERT INTO authors (id, name, email) VALUES (?, ?, ?)")
    const insertPost = db.prepare(
      "INSERT INTO posts (id, title, body, views, published, created_at, author_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    const insertTag = db.prepare("INSERT INTO tags (id, name) VALUES (?, ?)")
    const insertPostTag = db.prepare("INSERT INTO posts_tags (posts_id, tags_id) VALUES (?, ?)")
    db.transaction(() => {
      for (const a of seedAuthors(sizes)) insertAuthor.run(a.id, a.name, a.email)
      for (const p of seedPosts(sizes)) {
        insertPost.run(p.id, p.title, p.body, p.views, p.published ? 1 : 0, p.createdAt.toISOString(), p.authorId)
      }
      for (const t of seedTags(sizes)) insertTag.run(t.id, t.name)
      for (const [post, tag] of seedPostTags(sizes)) insertPostTag.run(post, tag)
    })()
    db.exec("ANALYZE")
    db.pragma("wal_checkpoint(TRUNCATE)")
  } finally {
    db.close()
  }
  const targets = new Map<ContestantName, string>()
  for (const name of contestants) {
    const file = join(dir, `${name}.db`)
    copyFileSync(seedFile, file)
    targets.set(name, file)
  }
  const remove = () => rmSync(dir, { recursive: true, force: true })
  return { targets, cleanup: async () => remove(), cleanupNow: remove }
}

const withDatabase = (url: string, database: string): string => {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

const dbName = (name: string): string => `ferro_bench_${name.replace(/[^a-z0-9]/g, "_")}`

/** Inserts rows with one `INSERT ... SELECT * FROM unnest(...)` per table chunk. */
const insertColumns = async (
  client: pg.Client,
  table: string,
  columns: ReadonlyArray<readonly [name: string, type: string]>,
  rows: ReadonlyArray<ReadonlyArray<unknown>>,
): Promise<void> => {
  const chunk = 50_000
  for (let start = 0; start < rows.length; start += chunk) {
    const slice = rows.slice(start, start + chunk)
    const arrays = columns.map((_, c) => slice.map((row) => row[c]))
    const list = columns.map(([name]) => name).join(", ")
    const unnest = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ")
    await client.query(`INSERT INTO ${table} (${list}) SELECT * FROM unnest(${unnest})`, arrays)
  }
}

export const seedPostgres = async (
  baseUrl: string,
  sizes: Sizes,
  contestants: ReadonlyArray<ContestantName>,
): Promise<Seeded> => {
  const admin = new pg.Client({ connectionString: baseUrl })
  await admin.connect()
  const seedDb = dbName("seed")
  const created: Array<string> = []
  const drop = async (): Promise<void> => {
    for (const name of [...created].reverse()) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    created.length = 0
  }
  try {
    for (const name of [seedDb, ...contestants.map(dbName)]) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.query(`CREATE DATABASE ${seedDb}`)
    created.push(seedDb)
    const seedUrl = withDatabase(baseUrl, seedDb)
    await createSchema(seedUrl)
    const client = new pg.Client({ connectionString: seedUrl })
    await client.connect()
    try {
      await client.query("BEGIN")
      await insertColumns(client, "authors", [["id", "int"], ["name", "text"], ["email", "text"]], seedAuthors(sizes).map((a) => [a.id, a.name, a.email]))
      await insertColumns(
        client,
        "posts",
        [["id", "int"], ["title", "text"], ["body", "text"], ["views", "int"], ["published", "bool"], ["created_at", "timestamptz"], ["author_id", "int"]],
        seedPosts(sizes).map((p) => [p.id, p.title, p.body, p.views, p.published, p.createdAt.toISOString(), p.authorId]),
      )
      await insertColumns(client, "tags", [["id", "int"], ["name", "text"]], seedTags(sizes).map((t) => [t.id, t.name]))
      await insertColumns(client, "posts_tags", [["posts_id", "int"], ["tags_id", "int"]], seedPostTags(sizes))
      // The ids were given explicitly: move the identity sequences past them.
      for (const table of ["authors", "posts", "tags"]) {
        await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT max(id) FROM ${table}))`)
      }
      await client.query("COMMIT")
      await client.query("VACUUM ANALYZE")
    } finally {
      await client.end()
    }
    const targets = new Map<ContestantName, string>()
    for (const name of contestants) {
      await admin.query(`CREATE DATABASE ${dbName(name)} TEMPLATE ${seedDb}`)
      created.push(dbName(name))
      targets.set(name, withDatabase(baseUrl, dbName(name)))
    }
    return {
      targets,
      cleanup: async () => {
        try {
          await drop()
        } finally {
          await admin.end()
        }
      },
    }
  } catch (error) {
    await drop().catch(() => {})
    await admin.end().catch(() => {})
    throw error
  }
}
