/**
 * One contestant's process (`node --expose-gc child.mjs <config JSON>`). Opens the contestant,
 * then runs the samples the parent asks for, one at a time: gc and the contestant's own
 * per-sample reset outside the timed region, the call inside it.
 *
 * @module
 */
import { performance } from "node:perf_hooks"
import Database from "better-sqlite3"
import mysql from "mysql2/promise"
import pg from "pg"
import type { ChildConfig, ContestantName } from "./config.js"
import { type OpenSession, type Session, heldBytes } from "./contestant.js"
import { type UpsertRow, upsertExisting, upsertRows } from "./data.js"
import type { FromChild, SampleOutcome, ToChild } from "./protocol.js"
import { sampleCall, workloads } from "./workloads.js"

const loaders: Record<ContestantName, () => Promise<{ default: OpenSession }>> = {
  raw: () => import("./contestants/raw.js"),
  ferro: () => import("./contestants/ferro.js"),
  "ferro-native": () => import("./contestants/ferro-native.js"),
  "ferro-lazy": () => import("./contestants/ferro-lazy.js"),
  "ferro-nomap": () => import("./contestants/ferro-nomap.js"),
  "ferro-native-nomap": () => import("./contestants/ferro-native-nomap.js"),
  "ferro-session": () => import("./contestants/ferro-session.js"),
  "ferro-partial": () => import("./contestants/ferro-partial.js"),
  drizzle: () => import("./contestants/drizzle.js"),
  kysely: () => import("./contestants/kysely.js"),
  typeorm: () => import("./contestants/typeorm.js"),
  mikroorm: () => import("./contestants/mikroorm.js"),
  prisma: () => import("./contestants/prisma.js"),
}

const send = (message: FromChild): Promise<void> =>
  new Promise((resolve, reject) => process.send!(message, undefined, undefined, (error) => (error ? reject(error) : resolve())))

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect === undefined) throw new Error("run the child with node --expose-gc")
  collect()
  collect()
}

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}`.split("\n").slice(0, 4).join(" | ") : String(error)

/**
 * The contestant's own database, opened with the raw driver for bookkeeping outside the timed
 * region: removing the rows a bulk-insert sample added (and counting them), putting
 * `upsert_items` back to its rows before an upsert sample and reading it back after.
 */
interface Maintenance {
  removeInserted(afterId: number): Promise<number>
  /** Empties `upsert_items`, inserts `rows` and returns the id each key got. */
  resetUpsert(rows: ReadonlyArray<UpsertRow>): Promise<ReadonlyMap<string, number>>
  /** Every row of `upsert_items`. */
  upsertItems(): Promise<Array<{ id: number; key: string; value: number; label: string }>>
  close(): Promise<void>
}

/** `rows` as one multi-row INSERT into `upsert_items` per 5,000 rows (`numbered`: `$n` placeholders). */
const upsertSeedStatements = (rows: ReadonlyArray<UpsertRow>, numbered: boolean): Array<[string, Array<unknown>]> => {
  const out: Array<[string, Array<unknown>]> = []
  for (let start = 0; start < rows.length; start += 5_000) {
    const slice = rows.slice(start, start + 5_000)
    const values = slice.map((_, r) => (numbered ? `($${r * 3 + 1}, $${r * 3 + 2}, $${r * 3 + 3})` : "(?, ?, ?)"))
    out.push([`INSERT INTO upsert_items (key, value, label) VALUES ${values.join(", ")}`, slice.flatMap((r) => [r.key, r.value, r.label])])
  }
  return out
}

/**
 * After an upsert sample: every key written is there once with the merged `value` and `label`,
 * the keys that were there before kept their ids (merged, not deleted and re-inserted), and
 * nothing else is in the table. Returns the rows the table holds; throws on the first difference.
 */
const checkUpsert = async (
  maintenance: Maintenance,
  written: ReadonlyArray<UpsertRow>,
  idsBefore: ReadonlyMap<string, number>,
): Promise<number> => {
  const rows = await maintenance.upsertItems()
  const byKey = new Map(rows.map((r) => [r.key, r]))
  if (byKey.size !== rows.length) throw new Error(`upsert: ${rows.length - byKey.size} keys appear twice in upsert_items`)
  for (const want of written) {
    const got = byKey.get(want.key)
    if (got === undefined) throw new Error(`upsert: key ${want.key} missing`)
    if (got.value !== want.value || got.label !== want.label) {
      throw new Error(`upsert: key ${want.key}: value ${got.value}, label '${got.label}'; expected ${want.value}, '${want.label}'`)
    }
    const before = idsBefore.get(want.key)
    if (before !== undefined && got.id !== before) throw new Error(`upsert: key ${want.key} had id ${before}, now ${got.id} (replaced, not merged)`)
  }
  const expected = new Set([...idsBefore.keys(), ...written.map((r) => r.key)]).size
  if (rows.length !== expected) throw new Error(`upsert: upsert_items holds ${rows.length} rows, expected ${expected}`)
  return rows.length
}

const openMysqlMaintenance = async (url: string): Promise<Maintenance> => {
  const connection = await mysql.createConnection({ uri: url, timezone: "Z" })
  type Item = { id: number; key: string; value: number; label: string }
  return {
    async removeInserted(afterId) {
      const [result] = await connection.query<mysql.ResultSetHeader>("DELETE FROM posts WHERE id > ?", [afterId])
      return result.affectedRows
    },
    async resetUpsert(rows) {
      // TRUNCATE, not DELETE (as on PostgreSQL): no purged rows piling up over the samples.
      await connection.query("TRUNCATE upsert_items")
      await connection.beginTransaction()
      try {
        for (const [sql, params] of upsertSeedStatements(rows, false)) await connection.query(sql.replace("(key,", "(`key`,"), params)
        await connection.commit()
      } catch (error) {
        await connection.rollback().catch(() => {})
        throw error
      }
      const [ids] = await connection.query<Array<mysql.RowDataPacket>>("SELECT `key`, id FROM upsert_items")
      return new Map(ids.map((r) => [r.key as string, r.id as number]))
    },
    async upsertItems() {
      const [items] = await connection.query<Array<mysql.RowDataPacket>>("SELECT id, `key`, value, label FROM upsert_items")
      return items as Array<Item>
    },
    async close() {
      await connection.end()
    },
  }
}

const openMaintenance = async (config: ChildConfig): Promise<Maintenance> => {
  if (config.backend === "mysql") return openMysqlMaintenance(config.target)
  if (config.backend === "sqlite") {
    const db = new Database(config.target)
    db.pragma("busy_timeout = 5000")
    return {
      async removeInserted(afterId) {
        return db.prepare("DELETE FROM posts WHERE id > ?").run(afterId).changes
      },
      async resetUpsert(rows) {
        db.transaction(() => {
          db.prepare("DELETE FROM upsert_items").run()
          for (const [sql, params] of upsertSeedStatements(rows, false)) db.prepare(sql).run(...params)
        })()
        const ids = db.prepare("SELECT key, id FROM upsert_items").raw(true).all() as Array<[string, number]>
        return new Map(ids)
      },
      async upsertItems() {
        return db.prepare("SELECT id, key, value, label FROM upsert_items").all() as Array<{ id: number; key: string; value: number; label: string }>
      },
      async close() {
        db.close()
      },
    }
  }
  const client = new pg.Client({ connectionString: config.target })
  await client.connect()
  return {
    async removeInserted(afterId) {
      return (await client.query("DELETE FROM posts WHERE id > $1", [afterId])).rowCount ?? 0
    },
    async resetUpsert(rows) {
      // TRUNCATE, not DELETE: no dead rows and index entries piling up over the samples.
      await client.query("BEGIN")
      try {
        await client.query("TRUNCATE upsert_items")
        for (const [sql, params] of upsertSeedStatements(rows, true)) await client.query(sql, params)
        await client.query("COMMIT")
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {})
        throw error
      }
      const ids = await client.query<{ key: string; id: number }>("SELECT key, id FROM upsert_items")
      return new Map(ids.rows.map((r) => [r.key, r.id]))
    },
    async upsertItems() {
      return (await client.query<{ id: number; key: string; value: number; label: string }>("SELECT id, key, value, label FROM upsert_items")).rows
    },
    async close() {
      await client.end()
    },
  }
}

/** Holds the last result until the next sample, so nothing is collected inside a timed region. */
let sink: unknown = null

const runSample = async (
  config: ChildConfig,
  session: Session,
  maintenance: Maintenance,
  message: Extract<ToChild, { type: "run" }>,
): Promise<SampleOutcome> => {
  const workload = workloads(config.plan).find((w) => w.id === message.workload)!
  const call = sampleCall(session, workload.id, config.plan.sizes, message.sample)
  if (call === null) return { type: "unsupported" }
  sink = null
  const upsertIds = workload.id === "upsert" ? await maintenance.resetUpsert(upsertExisting(config.plan.sizes)) : null
  await session.beforeSample?.()
  gc()
  const baseline = workload.memory ? heldBytes() : 0
  const counting = message.phase === "count" && session.statements !== null
  if (counting) session.statements!.start()
  const start = performance.now()
  const loaded = await call()
  const ms = performance.now() - start
  const statements = message.phase !== "count" ? undefined : counting ? session.statements!.stop() : null
  let memoryBytes: number | undefined = loaded.peakBytes
  if (workload.memory) {
    gc()
    memoryBytes = heldBytes() - baseline
  }
  sink = loaded.value
  // Walking eager-loaded children must not query: counted on the counting run, so a relation
  // that was not really eager-loaded shows up instead of hiding outside the timed region.
  const walking = counting && typeof loaded.count === "function"
  if (walking) session.statements!.start()
  let count = typeof loaded.count === "function" ? await loaded.count() : loaded.count
  const lateStatements = walking ? session.statements!.stop() : 0
  if (workload.id === "bulk-insert") {
    // What reached the database, as the database counts it; then back to the seeded rows.
    count = await maintenance.removeInserted(config.plan.sizes.posts)
  }
  if (upsertIds !== null) {
    // What the table holds afterwards, as the database has it, checked row by row.
    count = await checkUpsert(maintenance, upsertRows(config.plan.sizes), upsertIds)
  }
  return {
    type: "result",
    ms,
    count,
    ...(statements === undefined ? {} : { statements }),
    ...(memoryBytes === undefined ? {} : { memoryBytes }),
    ...(loaded.livePeakBytes === undefined ? {} : { liveMemoryBytes: loaded.livePeakBytes }),
    ...(lateStatements > 0 ? { lateStatements } : {}),
  }
}

const main = async (): Promise<void> => {
  const config = JSON.parse(process.argv[2] ?? "") as ChildConfig
  let session: Session
  let maintenance: Maintenance
  try {
    const open = (await loaders[config.contestant]()).default
    session = await open(config)
    maintenance = await openMaintenance(config)
  } catch (error) {
    await send({ type: "unavailable", reason: describe(error) })
    process.exit(0)
  }
  await send({ type: "ready", notes: session.notes })
  // One message at a time: the parent waits for each answer before sending the next.
  let queue = Promise.resolve()
  process.on("message", (message: ToChild) => {
    queue = queue.then(async () => {
      if (message.type === "close") {
        await session.close().catch(() => {})
        await maintenance.close().catch(() => {})
        await send({ type: "closed" })
        process.exit(0)
      }
      let outcome: SampleOutcome
      try {
        outcome = await runSample(config, session, maintenance, message)
      } catch (error) {
        outcome = { type: "failed", error: describe(error) }
        if (message.workload === "bulk-insert") await maintenance.removeInserted(config.plan.sizes.posts).catch(() => 0)
      }
      await send(outcome)
    })
  })
}

await main()
