/**
 * Every ```ts sample in guide/*.md is type-checked (strict) and run. A sample that no longer
 * compiles or throws fails the suite, so the guides cannot drift from the API.
 *
 * A sample whose first line names a file (`// blog.ts`) is a module the guide's other samples
 * import (`import { Post } from "./blog.ts"`): it is written under that name, type-checked with
 * the rest and run through the samples that import it, not on its own.
 *
 * Each sample runs on every backend: on SQLite as written, and on PostgreSQL and MariaDB with
 * each `"sqlite::memory:"` of the sample (and of the modules it imports) rewritten to a fresh,
 * empty database on the test servers (a new schema on PostgreSQL, a new database on MariaDB),
 * one per occurrence, so a second named connection gets its own. The servers come from the
 * global setups (tooling/testing/postgres-setup.ts, mariadb-setup.ts). A sample pinned to
 * SQLite on purpose is listed in `sqliteOnly`; what a backend legitimately prints differently
 * is in `backendOutput`.
 */
import { execFile, execFileSync } from "node:child_process"
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import mysql from "mysql2/promise"
import pg from "pg"
import { afterAll, describe, expect, inject, test } from "vitest"

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string
    mysqlUrl: string
  }
}

const here = dirname(fileURLToPath(import.meta.url))
const docs = join(here, "..")
const root = join(docs, "..", "..")
const out = join(docs, ".samples")

const samples: Array<{ readonly name: string; readonly code: string }> = []
const modules: Array<{ readonly name: string; readonly code: string }> = []
for (const file of readdirSync(join(docs, "guide")).filter((f) => f.endsWith(".md"))) {
  let n = 0
  for (const [, code] of readFileSync(join(docs, "guide", file), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)) {
    const shared = /^\/\/ ([\w-]+)\.ts\n/.exec(code!)?.[1]
    if (shared !== undefined) modules.push({ name: shared, code: code! })
    else samples.push({ name: `${file.replace(/\.md$/, "")}-${++n}`, code: code! })
  }
}

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
for (const sample of [...samples, ...modules]) writeFileSync(join(out, `${sample.name}.ts`), `${sample.code}\nexport {}\n`)
writeFileSync(
  join(out, "tsconfig.json"),
  JSON.stringify({
    extends: "../../../tooling/tsconfig/base.json",
    compilerOptions: { module: "ESNext", target: "ES2022", allowImportingTsExtensions: true },
    include: ["*.ts"],
  }),
)

type BackendName = "sqlite" | "postgres" | "mariadb"

/** The URL every sample connects to; on the server backends each occurrence is rewritten. */
const SQLITE_URL = '"sqlite::memory:"'

/** Samples that run on SQLite only, each with the reason. */
const sqliteOnly: Record<string, string> = {
  // `engine: "native"` selects the C++ SQLite engine. On PostgreSQL and MariaDB connect() falls
  // back to the generated-JS engine with a FERRO_NATIVE_UNAVAILABLE warning, so the run there
  // would not show what the sample is about.
  "engines-1": 'the native engine (engine: "native") is SQLite-only',
}

/** A fresh, empty database for one connection of one run. */
let pgAdmin: pg.Client | null = null
/** A promise, so that concurrent runs share the one connection. */
let mysqlAdmin: Promise<mysql.Connection> | null = null
const schemas: Array<string> = []
const databases: Array<string> = []
let counter = 0
const freshName = (): string => `docs_${process.pid}_${Date.now().toString(36)}_${counter++}`

const freshUrl: Record<Exclude<BackendName, "sqlite">, () => Promise<string>> = {
  postgres: async () => {
    if (pgAdmin === null) {
      const client = new pg.Client({ connectionString: inject("postgresUrl") })
      // A lost admin connection fails the pending query; the next run connects anew.
      client.on("error", () => {
        if (pgAdmin === client) pgAdmin = null
      })
      pgAdmin = client
      await client.connect()
    }
    const schema = freshName()
    await pgAdmin.query(`CREATE SCHEMA "${schema}"`)
    schemas.push(schema)
    const url = new URL(inject("postgresUrl"))
    url.searchParams.set("schema", schema)
    return url.toString()
  },
  mariadb: async () => {
    mysqlAdmin ??= mysql.createConnection(inject("mysqlUrl"))
    const database = freshName()
    await (await mysqlAdmin).query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
    databases.push(database)
    const url = new URL(inject("mysqlUrl"))
    url.pathname = `/${database}`
    return url.toString()
  },
}

/** Rewrites each `"sqlite::memory:"` of `code` to a fresh database of its own. */
const rewrite = async (code: string, backend: Exclude<BackendName, "sqlite">): Promise<string> => {
  const parts = code.split(SQLITE_URL)
  let result = parts[0]!
  for (const part of parts.slice(1)) result += JSON.stringify(await freshUrl[backend]()) + part
  return result
}

afterAll(async () => {
  rmSync(out, { recursive: true, force: true })
  if (pgAdmin !== null) {
    for (const schema of schemas.splice(0)) await pgAdmin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await pgAdmin.end()
    pgAdmin = null
  }
  if (mysqlAdmin !== null) {
    const admin = await mysqlAdmin
    for (const database of databases.splice(0)) await admin.query(`DROP DATABASE IF EXISTS \`${database}\``)
    await admin.end()
    mysqlAdmin = null
  }
})

/** What each sample prints, as its comments promise. */
const expectedOutput: Record<string, string> = {
  "getting-started-1": "1 true",
  "getting-started-2": "[ 'email', 'age' ]",
  "relations-1": "Ada\n1\n[ 'math' ]",
  "transactions-1": "70 30\n70",
  "sessions-1": "true\nfalse\ntrue Ada\nAda",
  "migrations-1": "0 []",
  "observability-1":
    "[\n  'BEGIN',\n  'CREATE TABLE IF NOT EXISTS \"posts\"',\n  'CREATE UNIQUE INDEX IF NOT EXISTS \"uq_posts_title\" ON \"posts\"',\n  'COMMIT'\n]\n10\ntrue\nINSERT 2 1 -\nBEGIN 0 0 -\nUPDATE 2 1 -\nSELECT 1 1 -\nCOMMIT 0 0 -\nINSERT 2 0 UniqueViolation\ntrue",
  "observability-2": "1 [ 'ada@example.com' ]",
  "observability-3":
    '1\nferro.transaction - -\nferro.create INSERT posts\nferro.count SELECT posts\nsqlite INSERT INTO "posts" ("title") VALUES (?) RETURNING "id", "title"\ntrue',
  "engines-1":
    '250 0.1 2024-01-01T00:16:37.000Z\n{"id":2,"sensor":"s1","value":0.1,"takenAt":"2024-01-01T00:00:01.000Z"} 42',
  "queries-1": "[ 'Notes' ]\n[ 'Engine', 'Machines' ]\n[ 'Notes', 'Machines' ]\n[ 'Notes' ]\n[ 'Engine' ]\n[ 'Machines' ]",
  "queries-2": "[ 'Notes', 'Machines' ]\n[ 3.5, 4.5, null ]\nEngine\n2 false\nEngine null\ntrue",
  "queries-3": "2\n101\n1\n1 2",
  "queries-4": "{ id: 1, title: 'Notes', author: 'Ada' } true\n[ 'Engine', 'Machines', 'Notes' ]\n[ '10.10', true ]",
  "queries-5": "150 15.305 Notes\nnull\n{ posts: 3, rated: 2, top: 300, mean: 150 }",
  "queries-6":
    "[\n  { author: 'Ada', posts: 2, views: 400 },\n  { author: 'Alan', posts: 1, views: 50 }\n]\n[ { author: 'Ada', posts: 2, views: 400 } ]\n2\n[ 1, 2 ]",
  "queries-7": "[ 'Notes', 'Machines' ]\n{ title: 'Engine', total: 400 }",
  "queries-8":
    "[ 'Notes', 'Engine' ]\n[ null, 'Alan', null ]\ntrue\n[ 'Ada' ]\n[ 'Ada', 'Grace' ]\n[ 'Grace' ]\n[ 'Notes', 'Machines' ]\n[ 'news' ]\n[ { name: 'Alan', posts: 1 }, { name: 'Grace', posts: 0 } ]",
  "queries-9": "[ 'Machines' ]\n2 [ 'Grace' ]",
  "queries-10": "[ 'Engine', 'Machines' ] 1\n[ 5, 6, 8 ]",
  "queries-11": "true\n3",
  "queries-12": "0\n0\n{ posts: [ 2, 1, 1 ], views: 460 }",
  "queries-13":
    "true Ada Lovelace\nEdsger 4\n2\n2\n[ 'Ada Lovelace', 'Alan Turing', 'Grace', 'Edsger', 'Barbara' ]",
  "queries-14": "1 1\nAlan Turing false",
  "lifecycle-1": "hello-world\na title is required\nHello World",
  "lifecycle-2": "2020\ntrue\ntrue",
  "lifecycle-3": "true 1\n[ 'Engine' ]\n0\nnull\ntrue\n2\n1",
  "streaming-1": "4999 12497500\n{ id: 1, sensor: 's0' }\n{ id: 2, sensor: 's1' }\n[ 1 ]",
  "streaming-2": "[ 0, 3, 6, 9 ]\n4498500",
}

/**
 * What a backend prints instead of `expectedOutput`, where the difference is the backend's
 * documented behaviour (each entry says which), not a bug.
 */
const backendOutput: Partial<Record<BackendName, Record<string, string>>> = {
  postgres: {
    // Before its DDL, autoMigrate on PostgreSQL checks that no other relation already has one of
    // the index names (`CREATE INDEX IF NOT EXISTS` would silently do nothing): one catalog
    // query, logged like every statement (packages/pg/src/dialect.ts, checkIndexNames).
    "observability-1": expectedOutput["observability-1"]!.replace("[\n  'BEGIN',", () =>
      [
        "[",
        "  'SELECT c.relname, c.relkind, t.relname\\n' +",
        "    '          FROM pg_class c\\n' +",
        "    '          JOIN pg_namespace n ON n.oid = c.relnamespace\\n' +",
        "    '          LEFT JOIN pg_index x ON x.indexrelid = c.oid\\n' +",
        "    '          LEFT JOIN pg_class t ON t.oid = x.indrelid\\n' +",
        "    '          WHERE n.nspname = current_schema() AND c.relname = ANY($1)',",
        "  'BEGIN',",
      ].join("\n"),
    ),
    // The dialect's system is `postgresql` (OpenTelemetry's name), and its placeholders are `$n`.
    "observability-3":
      '1\nferro.transaction - -\nferro.create INSERT posts\nferro.count SELECT posts\npostgresql INSERT INTO "posts" ("title") VALUES ($1) RETURNING "id", "title"\ntrue',
  },
  mariadb: {
    // MySQL has no RETURNING (packages/mysql/README.md, "No RETURNING"): create() is an INSERT
    // then a SELECT of the new row by key, and a query update() while instances of the table are
    // held selects their keys first, then updates, then reloads them.
    "observability-1": expectedOutput["observability-1"]!.replace(
      "INSERT 2 1 -\nBEGIN 0 0 -\nUPDATE 2 1 -",
      "INSERT 2 1 -\nSELECT 1 1 -\nBEGIN 0 0 -\nSELECT 1 1 -\nUPDATE 2 1 -",
    ),
    // No RETURNING again: the create span ran an INSERT and a SELECT, so its operation name joins
    // both keywords and its query text both statements with "; " (as guide/observability.md
    // says for several statements). The dialect's system is `mysql`, on MariaDB too.
    "observability-3":
      '1\nferro.transaction - -\nferro.create INSERT SELECT posts\nferro.count SELECT posts\nmysql INSERT INTO "posts" ("title") VALUES (?); SELECT "id", "title" FROM "posts" WHERE "id" = ? LIMIT 1\ntrue',
    // An unconstrained decimal() is DECIMAL(65,30) on MySQL, read back without trailing zeros
    // (packages/mysql/README.md, Storage): "10.10" comes back as "10.1".
    "queries-4": expectedOutput["queries-4"]!.replace("'10.10'", "'10.1'"),
  },
}

const expected = (sample: string, backend: BackendName): string =>
  backendOutput[backend]?.[sample] ?? expectedOutput[sample]!

const backends: ReadonlyArray<BackendName> = ["sqlite", "postgres", "mariadb"]

const tsx = join(docs, "node_modules", ".bin", "tsx")
const run = promisify(execFile)

/** Writes the sample and the modules it imports, URLs rewritten, to a directory of its own. */
const prepare = async (sample: { readonly name: string; readonly code: string }, backend: BackendName): Promise<string> => {
  if (backend === "sqlite") return join(out, `${sample.name}.ts`)
  const dir = join(out, backend, sample.name)
  mkdirSync(dir, { recursive: true })
  for (const module of modules.filter((m) => sample.code.includes(`"./${m.name}.ts"`))) {
    writeFileSync(join(dir, `${module.name}.ts`), `${await rewrite(module.code, backend)}\nexport {}\n`)
  }
  writeFileSync(join(dir, `${sample.name}.ts`), `${await rewrite(sample.code, backend)}\nexport {}\n`)
  return join(dir, `${sample.name}.ts`)
}

describe("documentation samples", () => {
  test("every sample has its expected output listed here", () => {
    expect(samples.map((s) => s.name).sort()).toEqual(Object.keys(expectedOutput).sort())
    const names = new Set(samples.map((s) => s.name))
    for (const name of Object.keys(sqliteOnly)) expect(names, `${name} is listed but is no sample`).toContain(name)
    for (const [backend, outputs] of Object.entries(backendOutput)) {
      for (const [name, output] of Object.entries(outputs)) {
        expect(names, `${name} is listed but is no sample`).toContain(name)
        expect(output, `${name} [${backend}] overrides nothing`).not.toBe(expectedOutput[name])
      }
    }
  })

  test("every sample type-checks under strict", () => {
    const tsc = join(root, "node_modules", ".bin", "tsc")
    let output = ""
    try {
      execFileSync(tsc, ["--noEmit", "-p", join(out, "tsconfig.json")], { encoding: "utf8", stdio: "pipe" })
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error)
    }
    expect(output).toBe("")
  })

  // Samples are independent processes on independent databases: they run concurrently, up to
  // the project's maxConcurrency.
  describe.concurrent("run", () => {
    for (const backend of backends) {
      for (const sample of samples) {
        if (backend !== "sqlite" && sample.name in sqliteOnly) continue
        test(`${sample.name} runs [${backend}]`, async () => {
          const file = await prepare(sample, backend)
          const { stdout } = await run(tsx, [file], {
            encoding: "utf8",
            cwd: dirname(file),
            env: { ...process.env, NODE_OPTIONS: "--conditions=@ferro/source" },
          })
          expect(stdout.trim()).toBe(expected(sample.name, backend))
        })
      }
    }
  })
})
