/**
 * The production path, end to end: `drizzle-kit generate` writes a migration from the Ferro
 * models (through `src/schema.ts`), drizzle-orm's migrator applies it to a fresh SQLite file,
 * and Ferro then works on that database without creating anything itself.
 *
 *   pnpm --filter @ferro/example-drizzle-kit start [-- --out DIR] [--db FILE]
 *
 * Without --out/--db everything goes into a new temporary directory. The last line printed is
 * `RESULT {json}` (migration file, database, tables) for scripts and tests to read.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import Database from "better-sqlite3"
import { drizzle } from "drizzle-orm/better-sqlite3"
import { migrate } from "drizzle-orm/better-sqlite3/migrator"
import { connect, disconnect, modelsMetadata } from "ferro-orm"
import { Author, Comment, Post, Tag } from "../src/models.js"

const exampleDir = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const option = (name: string): string | undefined => {
  const i = process.argv.indexOf(name)
  return i < 0 ? undefined : process.argv[i + 1]
}
const fail = (message: string): never => {
  console.error(`✗ ${message}`)
  process.exit(1)
}

const work = mkdtempSync(join(tmpdir(), "ferro-drizzle-kit-"))
const out = resolve(option("--out") ?? join(work, "drizzle"))
const database = resolve(option("--db") ?? join(work, "app.db"))
rmSync(out, { recursive: true, force: true })
rmSync(database, { force: true })
mkdirSync(dirname(database), { recursive: true })

const expected = modelsMetadata().map((m) => m.table)
console.log(`• Ferro models: ${expected.join(", ")}`)

// 1. drizzle-kit generate. It loads drizzle.config.ts and src/schema.ts itself; the
//    @ferro/source condition makes the workspace packages resolve to their TypeScript sources.
console.log(`• drizzle-kit generate -> ${out}`)
const generate = spawnSync(join(exampleDir, "node_modules", ".bin", "drizzle-kit"), ["generate", "--config", "drizzle.config.ts"], {
  cwd: exampleDir,
  encoding: "utf8",
  env: {
    ...process.env,
    DRIZZLE_OUT: out,
    FERRO_DRIZZLE_DIALECT: "sqlite",
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --conditions=@ferro/source`.trim(),
  },
})
const output = `${generate.stdout ?? ""}${generate.stderr ?? ""}`
console.log(output.replace(/^/gm, "  | ").trimEnd())
// drizzle-kit exits 0 even when the schema fails to load, and finds "0 tables" when the
// tables are not top-level named exports: judge by what it printed and wrote.
if (generate.status !== 0) fail(`drizzle-kit exited with ${generate.status}`)
const found = /^(\d+) tables$/m.exec(output)
if (found === null) fail("drizzle-kit did not report its tables (did src/schema.ts fail to load?)")
if (Number(found![1]) !== expected.length) fail(`drizzle-kit found ${found![1]} tables, the models have ${expected.length}`)
const sqlFiles = readdirSync(out).filter((f) => f.endsWith(".sql"))
if (sqlFiles.length !== 1) fail(`expected one migration in ${out}, found ${sqlFiles.length}`)
const migrationFile = join(out, sqlFiles[0]!)
const migrationSql = readFileSync(migrationFile, "utf8")
for (const table of expected) {
  if (!migrationSql.includes(`CREATE TABLE \`${table}\``)) fail(`the migration does not create table ${table}`)
}

// 2. Apply it the way drizzle-kit migrate does: drizzle-orm's migrator on a fresh database.
console.log(`• applying ${sqlFiles[0]} to ${database} (drizzle-orm migrator)`)
const sqlite = new Database(database)
migrate(drizzle(sqlite), { migrationsFolder: out })
const tables = (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>)
  .map((r) => r.name)
  .filter((name) => !name.startsWith("sqlite_"))
sqlite.close()
console.log(`  tables now: ${tables.join(", ")}`)
for (const table of expected) if (!tables.includes(table)) fail(`table ${table} is missing after the migration`)

// 3. Ferro on the migrated database (no autoMigrate: drizzle-kit owns the schema now).
await connect(`sqlite:${database}`)
const ada = await Author.create({ name: "Ada Lovelace", email: "ada@example.com" })
const post = await Post.create({ title: "Notes on the Analytical Engine", author: ada, status: "published" })
const tag = await Tag.create({ name: "history" })
await post.tags.add(tag)
const first = await Comment.create({ body: "Brilliant", post })
await Comment.create({ body: "Agreed", post, parent: first })
console.log(
  `• Ferro wrote and read back: ${await Author.select().count()} author, ${await ada.posts.count()} post, ` +
    `${await post.tags.count()} tag, ${await post.comments.count()} comments`,
)
await disconnect()

console.log(`RESULT ${JSON.stringify({ out, migrationFile, database, expected, tables })}`)
