/**
 * One contestant's process (`node --expose-gc child.mjs <config JSON>`). Opens the contestant,
 * then runs the samples the parent asks for, one at a time: gc and the contestant's own
 * per-sample reset outside the timed region, the call inside it.
 *
 * @module
 */
import { performance } from "node:perf_hooks"
import Database from "better-sqlite3"
import pg from "pg"
import type { ChildConfig, ContestantName } from "./config.js"
import type { OpenSession, Session } from "./contestant.js"
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
 * region: removing the rows a bulk-insert sample added (and counting them).
 */
interface Maintenance {
  removeInserted(afterId: number): Promise<number>
  close(): Promise<void>
}

const openMaintenance = async (config: ChildConfig): Promise<Maintenance> => {
  if (config.backend === "sqlite") {
    const db = new Database(config.target)
    db.pragma("busy_timeout = 5000")
    return {
      async removeInserted(afterId) {
        return db.prepare("DELETE FROM posts WHERE id > ?").run(afterId).changes
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
    async close() {
      await client.end()
    },
  }
}

/** JS heap plus memory outside it that V8 accounts for (ArrayBuffers: typed-array columns). */
const heldBytes = (): number => {
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.external
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
  await session.beforeSample?.()
  gc()
  const baseline = workload.memory ? heldBytes() : 0
  const counting = message.phase === "count" && session.statements !== null
  if (counting) session.statements!.start()
  const start = performance.now()
  const loaded = await call()
  const ms = performance.now() - start
  const statements = message.phase !== "count" ? undefined : counting ? session.statements!.stop() : null
  let memoryBytes: number | undefined
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
  return {
    type: "result",
    ms,
    count,
    ...(statements === undefined ? {} : { statements }),
    ...(memoryBytes === undefined ? {} : { memoryBytes }),
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
