/**
 * `npm run bench [-- --quick] [--backend sqlite|postgres|mysql] [--only <contestant>] [--workloads <id>]`: seeds each
 * backend, runs every workload for every contestant side by side, prints the tables and writes
 * results/<backend>.json and results/README.md.
 *
 * @module
 */
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import Database from "better-sqlite3"
import mysql from "mysql2/promise"
import pg from "pg"
import { type Backend, type Options, UsageError, contestantsFor, parseOptions } from "./config.js"
import { type BackendReport, printReport, resultsDir, writeJson, writeMarkdown } from "./report.js"
import { killChildren, runBackend } from "./runner.js"
import { type Seeded, seedMysql, seedPostgres, seedSqlite } from "./seed.js"
import { machine, repoRoot, versions } from "./system.js"

interface PostgresServer {
  readonly url: string
  readonly pid: number
  stop(): void
}

const isServer = (value: unknown): value is PostgresServer =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as { url?: unknown }).url === "string" &&
  typeof (value as { stop?: unknown }).stop === "function"

/** Starts one of the repo's throwaway servers: `startPostgres()` (tooling/testing/postgres.mjs) or `startMariadb()` (mariadb.mjs). */
const startServer = async (file: "postgres.mjs" | "mariadb.mjs", name: "startPostgres" | "startMariadb"): Promise<PostgresServer> => {
  const module: unknown = await import(pathToFileURL(join(repoRoot, "tooling", "testing", file)).href)
  const start = (module as Record<string, unknown>)[name]
  if (typeof start !== "function") throw new Error(`tooling/testing/${file} has no ${name}()`)
  const server: unknown = await start()
  if (!isServer(server)) throw new Error(`${name}() returned no { url, stop }`)
  return server
}

const redact = (url: string): string => url.replace(/\/\/([^:@/]+):[^@/]+@/, "//$1:<redacted>@")

/** Things to undo when the process ends, however it ends. */
const cleanups: Array<() => void> = []
const onSignal = (): void => {
  killChildren()
  for (const cleanup of cleanups.splice(0).reverse()) cleanup()
  process.exit(130)
}
// An error (say, in seeding) ends the process without the finally blocks' cleanup: stop the
// servers and remove the temp files anyway (every cleanup is synchronous).
process.on("exit", () => {
  killChildren()
  for (const cleanup of cleanups.splice(0).reverse()) cleanup()
})
process.on("SIGINT", onSignal)
process.on("SIGTERM", onSignal)

const sqliteVersion = (): string => {
  const db = new Database(":memory:")
  try {
    return `SQLite ${db.prepare("SELECT sqlite_version()").pluck().get() as string}`
  } finally {
    db.close()
  }
}

const postgresVersion = async (url: string): Promise<string> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return `PostgreSQL ${(await client.query<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version}`
  } finally {
    await client.end()
  }
}

const mysqlVersion = async (url: string): Promise<string> => {
  const connection = await mysql.createConnection(url)
  try {
    const [rows] = await connection.query<Array<mysql.RowDataPacket>>("SELECT VERSION() AS version")
    const version = String(rows[0]!.version)
    return `${version.toLowerCase().includes("mariadb") ? "MariaDB" : "MySQL"} ${version}`
  } finally {
    await connection.end()
  }
}

/** A server backend's URL: the given one, or a throwaway server stopped at the end. */
const serverUrl = async (backend: "postgres" | "mysql"): Promise<{ url: string; stop: (() => void) | null }> => {
  const [variable, title, file, name] =
    backend === "postgres"
      ? (["FERRO_BENCH_POSTGRES_URL", "PostgreSQL", "postgres.mjs", "startPostgres"] as const)
      : (["FERRO_BENCH_MYSQL_URL", "MariaDB", "mariadb.mjs", "startMariadb"] as const)
  const given = process.env[variable]
  if (given !== undefined && given !== "") {
    console.log(`  ${title} from ${variable}: ${redact(given)}`)
    return { url: given, stop: null }
  }
  const server = await startServer(file, name)
  const stop = () => server.stop()
  cleanups.push(stop)
  console.log(`  throwaway ${title} on ${redact(server.url)} (pid ${server.pid})`)
  return { url: server.url, stop }
}

const runOne = async (backend: Backend, options: Options): Promise<BackendReport | null> => {
  const started = Date.now()
  const contestants = contestantsFor(backend, options.only)
  const log = (line: string) => console.log(line)
  let seeded: Seeded
  let server: string
  let stopServer: (() => void) | null = null
  // stream_rows is filled only when the stream workload runs.
  const streamRows = options.workloads.length === 0 || options.workloads.includes("stream") ? options.plan.sizes.streamRows : 0
  const streamNote = streamRows > 0 ? ` and ${streamRows.toLocaleString("en-US")} stream rows` : ""
  console.log(`\n• ${backend}: seeding ${options.plan.sizes.posts.toLocaleString("en-US")} posts${streamNote} for ${contestants.join(", ")}`)
  if (backend === "sqlite") {
    seeded = await seedSqlite(options.plan.sizes, contestants, streamRows)
    server = sqliteVersion()
  } else {
    const started = await serverUrl(backend)
    stopServer = started.stop
    if (backend === "postgres") {
      server = await postgresVersion(started.url)
      seeded = await seedPostgres(started.url, options.plan.sizes, contestants, streamRows)
    } else {
      server = await mysqlVersion(started.url)
      seeded = await seedMysql(started.url, options.plan.sizes, contestants, streamRows, log)
    }
  }
  const cleanupNow = seeded.cleanupNow
  if (cleanupNow !== undefined) cleanups.push(cleanupNow)
  try {
    const result = await runBackend({
      backend,
      plan: options.plan,
      contestants,
      targets: seeded.targets,
      workloads: options.workloads,
      log,
    })
    const report: BackendReport = {
      ...result,
      mode: options.quick ? "quick" : "full",
      date: new Date().toISOString(),
      durationSeconds: (Date.now() - started) / 1000,
      machine: machine(),
      server,
      versions: versions(),
      plan: options.plan,
    }
    printReport(report)
    return report
  } finally {
    await seeded.cleanup().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`))
    if (cleanupNow !== undefined) cleanups.splice(cleanups.indexOf(cleanupNow), 1)
    if (stopServer !== null) {
      stopServer()
      cleanups.splice(cleanups.indexOf(stopServer), 1)
    }
  }
}

const main = async (): Promise<void> => {
  let options: Options
  try {
    options = parseOptions(process.argv.slice(2))
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message)
      process.exit(2)
    }
    throw error
  }
  const started = Date.now()
  const dir = resultsDir(options.quick || options.only.length > 0 || options.workloads.length > 0)
  for (const backend of options.backends) {
    const report = await runOne(backend, options)
    if (report !== null && options.write) console.log(`\n  wrote ${writeJson(report, dir)}`)
  }
  if (options.write) console.log(`  wrote ${writeMarkdown(dir)}`)
  console.log(`\n• done in ${((Date.now() - started) / 1000).toFixed(0)} s`)
}

await main()
