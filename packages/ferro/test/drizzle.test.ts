/**
 * The drizzle-kit bridge (`@ferro/migrate/drizzle`): the same models through drizzle-kit and
 * through Ferro's `autoMigrate` must give the same schema, checked in the catalogs of two
 * fresh databases per dialect; and the example app's drizzle-kit CLI run must find every table.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { toDrizzleSchema } from "@ferro/migrate/drizzle"
import pg from "pg"
import { afterAll, describe, expect, test } from "vitest"
import { connect, disconnect, execute, fetchAll, migrate, modelsMetadata } from "ferro-orm"
import { postgresUrl } from "./support/backends.js"

// drizzle-kit is a devDependency of @ferro/migrate (the package whose tables it reads).
const here = dirname(fileURLToPath(import.meta.url))
const requireFromMigrate = createRequire(join(here, "..", "..", "migrate", "package.json"))
type DrizzleKitApi = {
  generateDrizzleJson: (imports: Record<string, unknown>) => unknown
  generateMigration: (prev: unknown, cur: unknown) => Promise<Array<string>>
  generateSQLiteDrizzleJson: (imports: Record<string, unknown>) => Promise<unknown>
  generateSQLiteMigration: (prev: unknown, cur: unknown) => Promise<Array<string>>
  pushSchema: (imports: Record<string, unknown>, db: unknown) => Promise<{ statementsToExecute: Array<string>; warnings: Array<string> }>
}
const drizzleKit = async (): Promise<DrizzleKitApi> =>
  (await import(requireFromMigrate.resolve("drizzle-kit/api"))) as DrizzleKitApi

// The models (every field kind, every relation shape, composite and long names) register on import.
import "./support/drizzle-models.js"

// -- catalogs -------------------------------------------------------------------------------

const sortBy = <T>(rows: Array<T>, key: (row: T) => string): Array<T> => [...rows].sort((a, b) => key(a).localeCompare(key(b)))

/** Everything SQLite's catalog says about the user tables of connection `using`. */
const sqliteCatalog = async (using: string) => {
  const q = (sql: string, params: Array<unknown> = []) => fetchAll(sql, params, { using })
  const tables = await q("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%' ORDER BY name")
  const out: Record<string, unknown> = {}
  for (const { name, sql } of tables as Array<{ name: string; sql: string }>) {
    const columns = await q("SELECT cid, name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid", [name])
    const indexes = []
    for (const index of (await q("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?)", [name])) as Array<{ name: string }>) {
      const cols = await q("SELECT seqno, name FROM pragma_index_info(?) ORDER BY seqno", [index.name])
      indexes.push({ ...index, columns: cols.map((c) => c.name) })
    }
    const fkRows = (await q("SELECT id, seq, \"table\", \"from\", \"to\", on_update, on_delete, \"match\" FROM pragma_foreign_key_list(?) ORDER BY id, seq", [name])) as Array<
      Record<string, unknown> & { id: number }
    >
    const fks = new Map<number, { table: unknown; from: Array<unknown>; to: Array<unknown>; onUpdate: unknown; onDelete: unknown; match: unknown }>()
    for (const r of fkRows) {
      const fk = fks.get(r.id) ?? { table: r.table, from: [], to: [], onUpdate: r.on_update, onDelete: r.on_delete, match: r.match }
      fk.from.push(r.from)
      fk.to.push(r.to)
      fks.set(r.id, fk)
    }
    // CHECK constraints are not in any pragma: compare the `"col" IN (...)` clauses of the DDL.
    const checks = [...sql.matchAll(/CHECK\s*\((.*?\))\)/gs)].map((m) => m[1]!.replace(/\s+/g, " ")).sort()
    out[name] = {
      columns,
      indexes: sortBy(indexes, (i) => i.name),
      foreignKeys: sortBy([...fks.values()], (f) => JSON.stringify(f)),
      checks,
      autoincrement: /AUTOINCREMENT/i.test(sql),
    }
  }
  return out
}

/** Everything PostgreSQL's catalogs say about the tables in the `public` schema of `using`. */
const postgresCatalog = async (using: string) => {
  const q = (sql: string) => fetchAll(sql, [], { using })
  return {
    columns: await q(`SELECT table_name, column_name, ordinal_position, data_type, udt_name, character_maximum_length,
                             numeric_precision, numeric_scale, is_nullable, column_default, is_identity, identity_generation,
                             identity_start, identity_increment, identity_maximum, identity_minimum, identity_cycle
                      FROM information_schema.columns WHERE table_schema = 'public'
                      AND table_name NOT LIKE '__drizzle%' ORDER BY table_name, ordinal_position`),
    types: await q(`SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, a.attidentity
                    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
                    ORDER BY c.relname, a.attnum`),
    indexes: await q(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename, indexname`),
    constraints: await q(`SELECT c.conrelid::regclass::text AS "table", c.conname, c.contype, pg_get_constraintdef(c.oid) AS def,
                                 c.confdeltype, c.confupdtype
                          FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                          WHERE n.nspname = 'public' ORDER BY 1, 2`),
    sequences: await q(`SELECT sequencename, data_type, start_value, min_value, max_value, increment_by, cycle, cache_size
                        FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename`),
  }
}

const tempDirs: Array<string> = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "ferro-drizzle-"))
  tempDirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

// -- parity ---------------------------------------------------------------------------------

describe("toDrizzleSchema", () => {
  test("rejects a model list whose foreign keys point outside it, and an unknown dialect", () => {
    const people = modelsMetadata().find((m) => m.table === "dz_people")!
    expect(() => toDrizzleSchema([people], { dialect: "sqlite" })).toThrow(/references table "dz_teams", which is not in the model list/)
    expect(() => toDrizzleSchema(modelsMetadata(), { dialect: "oracle" as never })).toThrow(/dialect must be "sqlite", "postgres" or "mysql"/)
  })

  test("keys tables by table name and columns by property name", () => {
    const schema = toDrizzleSchema(modelsMetadata(), { dialect: "sqlite" })
    expect(Object.keys(schema).sort()).toEqual(modelsMetadata().map((m) => m.table).sort())
    expect(schema.dz_people!.joinedAt.name).toBe("joined_at")
    expect(schema.dz_people!.managerId.name).toBe("manager_id")
  })
})

describe("drizzle-kit generates the schema autoMigrate creates", () => {
  test("SQLite", async () => {
    const dir = tempDir()
    const kit = await drizzleKit()
    const schema = toDrizzleSchema(modelsMetadata(), { dialect: "sqlite" })
    const statements = await kit.generateSQLiteMigration(await kit.generateSQLiteDrizzleJson({}), await kit.generateSQLiteDrizzleJson(schema))
    try {
      await connect(`sqlite:${join(dir, "ferro.db")}`, { name: "ferro", autoMigrate: true })
      await connect(`sqlite:${join(dir, "drizzle.db")}`, { name: "drizzle" })
      for (const statement of statements) await execute(statement, [], { using: "drizzle" })
      const [ferro, drizzle] = [await sqliteCatalog("ferro"), await sqliteCatalog("drizzle")]
      expect(Object.keys(ferro).sort()).toEqual(modelsMetadata().map((m) => m.table).sort())
      expect(drizzle).toEqual(ferro)
      // Ferro's own migrator sees the two databases alike.
      expect(await migrate({ using: "drizzle", destructive: true, dryRun: true })).toEqual(
        await migrate({ using: "ferro", destructive: true, dryRun: true }),
      )
    } finally {
      await disconnect()
    }
  })

  test("PostgreSQL", async () => {
    const kit = await drizzleKit()
    const schema = toDrizzleSchema(modelsMetadata(), { dialect: "postgres" })
    const statements = await kit.generateMigration(kit.generateDrizzleJson({}), kit.generateDrizzleJson(schema))
    // drizzle-kit qualifies foreign-key targets with "public", so each side gets its own database.
    const admin = new pg.Client({ connectionString: postgresUrl() })
    await admin.connect()
    const names = [`ferro_dz_${process.pid}_a`, `ferro_dz_${process.pid}_b`]
    const urlOf = (db: string) => {
      const url = new URL(postgresUrl())
      url.pathname = `/${db}`
      url.search = ""
      return url.toString()
    }
    try {
      for (const db of names) {
        await admin.query(`DROP DATABASE IF EXISTS "${db}"`)
        await admin.query(`CREATE DATABASE "${db}"`)
      }
      await connect(urlOf(names[0]!), { name: "ferro", autoMigrate: true })
      await connect(urlOf(names[1]!), { name: "drizzle" })
      for (const statement of statements) await execute(statement, [], { using: "drizzle" })
      const [ferro, drizzle] = [await postgresCatalog("ferro"), await postgresCatalog("drizzle")]
      expect(new Set(ferro.columns.map((c) => c.table_name))).toEqual(new Set(modelsMetadata().map((m) => m.table)))
      expect(drizzle.types).toEqual(ferro.types)
      expect(drizzle.columns).toEqual(ferro.columns)
      expect(drizzle.indexes).toEqual(ferro.indexes)
      expect(drizzle.constraints).toEqual(ferro.constraints)
      expect(drizzle.sequences).toEqual(ferro.sequences)
      // drizzle-kit push, comparing the models with the database autoMigrate made, finds nothing to do.
      const { drizzle: drizzleDb } = (await import(requireFromMigrate.resolve("drizzle-orm/node-postgres"))) as {
        drizzle: (client: pg.Pool) => unknown
      }
      const client = new pg.Pool({ connectionString: urlOf(names[0]!), max: 2 })
      try {
        const push = await kit.pushSchema(schema, drizzleDb(client))
        expect(push.statementsToExecute).toEqual([])
        expect(push.warnings).toEqual([])
      } finally {
        await client.end()
      }
      expect(await migrate({ using: "drizzle", destructive: true, dryRun: true })).toEqual(
        await migrate({ using: "ferro", destructive: true, dryRun: true }),
      )
    } finally {
      await disconnect()
      for (const db of names) await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`)
      await admin.end()
    }
  })
})

// -- the example app: drizzle-kit's CLI on a schema file --------------------------------------

describe("example app: drizzle-kit generate + migrate", () => {
  test("the CLI finds every model table, and the migration it writes creates them", () => {
    const exampleDir = resolve(here, "..", "..", "..", "apps", "examples", "drizzle-kit")
    const dir = tempDir()
    const run = spawnSync(
      process.execPath,
      ["--conditions=@ferro/source", "--import", "tsx", "scripts/generate-and-apply.ts", "--out", join(dir, "drizzle"), "--db", join(dir, "app.db")],
      { cwd: exampleDir, encoding: "utf8", timeout: 110_000 },
    )
    const output = `${run.stdout}${run.stderr}`
    expect(run.status, output).toBe(0)
    expect(output).not.toMatch(/\b0 tables\b/)
    expect(output).toMatch(/^\s*\| 5 tables$/m)
    const result = JSON.parse(/^RESULT (.*)$/m.exec(output)![1]!) as {
      migrationFile: string
      database: string
      expected: Array<string>
      tables: Array<string>
    }
    const modelTables = ["authors", "comments", "posts", "posts_tags", "tags"]
    expect([...result.expected].sort()).toEqual(modelTables)
    const migration = readFileSync(result.migrationFile, "utf8")
    for (const table of modelTables) expect(migration).toContain(`CREATE TABLE \`${table}\``)
    expect(migration.match(/CREATE TABLE/g)).toHaveLength(modelTables.length)
    expect(result.tables).toEqual(["__drizzle_migrations", ...modelTables])
  }, 120_000) // a child Node process running tsx and drizzle-kit: slow on a loaded machine, never timed
})
