/**
 * Reliability: hostile identifiers (issue 12 item 6, SPEC §5). Table names, column names,
 * composite index / unique names, connection names and `?schema=` names holding quotes,
 * spaces, SQL keywords, comment sequences and Unicode either work (quoted correctly: the
 * full round trip runs and stays in its own table) or are refused before any SQL with a
 * typed FerroError. Nothing in between: no syntax error from the database, no other table
 * touched.
 */
import pg from "pg"
import { expect, test } from "vitest"
import {
  ConnectionError,
  FerroError,
  Model,
  clearRegistry,
  connect,
  createTables,
  disconnect,
  fetchAll,
  field,
  sql,
} from "ferro-orm"
import { describeEachBackend, freshPostgresUrl, postgresUrl } from "../support/backends.js"

const NAMES: ReadonlyArray<string> = [
  'rel "quoted" table', "rel'single", "rel table with spaces", "select", "order", "group", "user", "table",
  "rel;drop", "rel--comment", "rel/*c*/", "rel\\back", "Rel_MixedCase", "REL_UPPER", "rel.dot", "rel%_like",
  "ünïcödé_表", "rel_😀", "rel\u202ertl", "e\u0301", "1starts_with_digit", "$dollar", "rel`tick`", "rel[bracket]",
  "x", " leading space", "trailing space ", "rel\ttab", "rel\nnewline", "'; DROP TABLE rel_guard; --",
  `"); DROP TABLE rel_guard; --`, "a".repeat(63), "ü".repeat(31), "rel_long_" + "x".repeat(120),
]

interface Tally {
  tried: number
  held: number
  failures: Array<string>
}

const tally = (): Tally => ({ tried: 0, held: 0, failures: [] })

/** Runs one case: it must either work (`fn` resolves) or be refused with a typed FerroError. */
const attempt = async (t: Tally, what: string, fn: () => Promise<void>, refusedOk = true): Promise<"worked" | "refused" | "failed"> => {
  t.tried++
  try {
    await fn()
    t.held++
    return "worked"
  } catch (error) {
    if (refusedOk && error instanceof FerroError && isRefusal(error)) {
      t.held++
      return "refused"
    }
    t.failures.push(`${what}: ${error instanceof Error ? `${error.name}: ${error.message.slice(0, 300)}` : String(error)}`)
    return "failed"
  }
}

/** A refusal is a definition or connection error raised by Ferro itself, not a database error. */
const isRefusal = (error: FerroError): boolean =>
  error._tag === "ModelDefinitionError" || error._tag === "ConnectionError" || error._tag === "ValidationError"

const report = (area: string, t: Tally): void => {
  console.log(`reliability ${area}: tried ${t.tried}, held ${t.held}, failed ${t.failures.length}`)
  expect(t.failures).toEqual([])
}

describeEachBackend("reliability: hostile identifiers", (backend) => {
  test("table, column and composite index names work quoted or are refused before SQL", async () => {
    const t = tally()
    clearRegistry()
    class Guard extends Model("rel_guard", { id: field.id(), tag: field.text() }) {}
    await connect(await backend.freshUrl(), { autoMigrate: true })
    await Guard.create({ tag: "guard" })

    for (const [i, name] of NAMES.entries()) {
      // As a table name, with hostile column names (explicit `column`) and composite indexes.
      const column = NAMES[(i + 7) % NAMES.length]!
      const other = NAMES[(i + 13) % NAMES.length]!
      await attempt(t, `table ${JSON.stringify(name)} / columns ${JSON.stringify(column)}, ${JSON.stringify(other)}`, async () => {
        clearRegistry()
        const M = Model(
          name,
          {
            id: field.id(),
            first: field.text({ column }),
            second: field.text({ column: other === column ? `${other}2` : other, nullable: true }),
            n: field.int({ default: 0 }),
          },
          { compositeIndexes: [["first", "second"]], compositeUniques: [["first", "n"]] },
        )
        await createTables()
        const a = await M.create({ first: `a-${i}`, second: name })
        await M.create({ first: `b-${i}`, second: column })
        expect((await M.get(a.id)).second).toBe(name)
        expect(await M.where((p) => p.first.eq(`a-${i}`)).count()).toBe(1)
        expect(await M.where((p) => p.second.eq(column)).update({ n: 5 })).toBe(1)
        const [same, created] = await M.getOrCreate({ first: `b-${i}`, n: 5 })
        expect(created).toBe(false)
        expect(same.second).toBe(column)
        expect(await M.where((p) => p.n.eq(5)).delete()).toBe(1)
        const rows = await fetchAll(sql`SELECT * FROM ${sql.identifier(name)}`)
        expect(rows.length).toBe(1)
      })
    }
    // Names longer than PostgreSQL's 63 bytes: two names that share their first 63 bytes must
    // not land in one table.
    await attempt(t, "two long table names sharing 63 bytes", async () => {
      clearRegistry()
      const prefix = "rel_shared_prefix_".padEnd(63, "p")
      const A = Model(`${prefix}_alpha`, { id: field.id(), v: field.text() })
      const B = Model(`${prefix}_beta`, { id: field.id(), v: field.text() })
      await createTables()
      await A.create({ v: "in-a" })
      expect(await B.select().count()).toBe(0)
      expect(await A.select().count()).toBe(1)
    })
    // The guard table is untouched.
    await attempt(t, "guard table unchanged", async () => {
      expect(await fetchAll(sql`SELECT id, tag FROM rel_guard`)).toEqual([{ id: 1, tag: "guard" }])
    }, false)
    report(`hostile-identifiers tables/columns [${backend.name}]`, t)
  })

  test("connection names work or are refused with a ConnectionError before connecting", async () => {
    const t = tally()
    for (const name of [...NAMES, "", "default ", "a/b", "a:b", "a@b", "😀"]) {
      await attempt(t, `connection name ${JSON.stringify(name)}`, async () => {
        try {
          await connect(await backend.freshUrl(), { name })
        } catch (error) {
          expect(error).toBeInstanceOf(ConnectionError)
          throw error
        }
        expect(await fetchAll(sql`SELECT 1 AS one`, [], { using: name })).toEqual([{ one: 1 }])
        await disconnect(name)
      })
    }
    report(`hostile-identifiers connection names [${backend.name}]`, t)
  })
})

const quoted = (name: string): string => `"${name.replace(/"/g, '""')}"`

const hasPostgres = postgresUrl() !== undefined

test.runIf(hasPostgres)("?schema= names work (in that schema) or are refused with a ConnectionError", async () => {
  const t = tally()
  const admin = new pg.Client({ connectionString: postgresUrl() })
  await admin.connect()
  try {
    clearRegistry()
    const Item = Model("rel_schema_item", { id: field.id(), v: field.text() })
    for (const [i, base] of ["Rel_Mixed", "select", "rel schema", 'rel"q', "rel'q", "ünï", "rel;drop", "pg_temp", "public_x", "x".repeat(64)].entries()) {
      const schema = i === 8 ? `${base}_${process.pid}` : base
      await admin.query(`DROP SCHEMA IF EXISTS ${quoted(schema)} CASCADE`).catch(() => undefined)
      await admin.query(`CREATE SCHEMA ${quoted(schema)}`).catch(() => undefined)
      const url = new URL(postgresUrl())
      url.searchParams.set("schema", schema)
      await attempt(t, `?schema=${JSON.stringify(schema)}`, async () => {
        await connect(url.toString(), { name: "s", autoMigrate: true })
        try {
          await Item.using("s").create({ v: "x" })
          const [row] = (await admin.query(
            "SELECT count(*)::int AS c FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'rel_schema_item'",
            [schema],
          )).rows
          expect(row.c, "the table lives in the named schema").toBe(1)
        } finally {
          await disconnect("s")
        }
      })
      await admin.query(`DROP SCHEMA IF EXISTS ${quoted(schema)} CASCADE`).catch(() => undefined)
    }
    // A schema name is never spliced into SQL: a fresh schema next to it is untouched.
    const untouched = await freshPostgresUrl()
    await connect(untouched, { name: "u", autoMigrate: true })
    expect(await Item.using("u").select().count()).toBe(0)
    await disconnect("u")
  } finally {
    await admin.end()
  }
  report("hostile-identifiers ?schema=", t)
})
