/**
 * The auto-migrate ladder on both backends: autoMigrate creates and never alters;
 * migrateUpdates adds columns and indexes and reconciles types and nullability (SQLite by a
 * table rebuild); migrateDestructive also drops columns; refusals say what to do; dry runs
 * change nothing; data survives every step.
 */
import { expect, test } from "vitest"
import { getConnection } from "@ferro/core/internal"
import { Schema } from "effect"
import { MigrationError, Model, type ModelClass, connect, disconnect, fetchAll, field, migrate, sql } from "ferro-orm"
import { introspect } from "../../migrate/src/introspect.js"
import { describeEachBackend } from "./support/backends.js"

let counter = 0
const tableName = () => `mg_t${counter++}`

const columnsOf = async (table: string) => {
  const [live] = await introspect(getConnection().driver, [table])
  return live?.columns.map((c) => `${c.column}:${c.storage}${c.nullable ? "?" : ""}`) ?? []
}
const indexesOf = async (table: string) => {
  const [live] = await introspect(getConnection().driver, [table])
  return (live?.indexes ?? []).filter((i) => i.origin === "index").map((i) => i.name)
}
const rows = (table: string) => fetchAll(sql`SELECT * FROM ${sql.identifier(table)} ORDER BY id`)

describeEachBackend("migrations", (backend) => {
  // These tests reconnect to the same database; every sqlite::memory: connection is a new one.
  const persistent = test.skipIf(backend.name === "sqlite-memory")
  /** Creates `table` from a first model version with two rows, and returns the URL. */
  const seed = async (table: string) => {
    class V1 extends Model(table, { id: field.id(), name: field.text(), score: field.int({ nullable: true }) }) {}
    const url = await backend.freshUrl()
    await connect(url, { autoMigrate: true })
    await V1.create({ name: "a", score: 1 })
    await V1.create({ name: "b", score: null })
    await disconnect()
    return url
  }

  persistent("autoMigrate creates missing tables but never alters an existing one", async () => {
    const table = tableName()
    const url = await seed(table)
    Model(table, { id: field.id(), name: field.text(), score: field.int({ nullable: true }), extra: field.text({ nullable: true }) })
    await connect(url, { autoMigrate: true })
    expect(await columnsOf(table)).not.toContain(expect.stringMatching(/^extra/))
    const plan = await migrate({ dryRun: true })
    expect(plan.statements.some((s) => s.includes('ADD COLUMN "extra"') || s.includes("__ferro_rebuild"))).toBe(true)
    // The dry run changed nothing.
    expect((await columnsOf(table)).some((c) => c.startsWith("extra"))).toBe(false)
  })

  persistent("migrateUpdates adds nullable columns, backfills NOT NULL ones with a literal default, adds indexes; rows survive", async () => {
    const table = tableName()
    const url = await seed(table)
    Model(table, {
      id: field.id(),
      name: field.text({ index: true }),
      score: field.int({ nullable: true }),
      note: field.text({ nullable: true }),
      level: field.int({ default: 7 }),
      active: field.bool({ default: true }),
    })
    await connect(url, { migrateUpdates: true })
    // MySQL spells unbounded text longtext, and int int.
    const [text, integer] = backend.dialect === "mysql" ? ["longtext", "int"] : ["text", "integer"]
    expect(await columnsOf(table)).toEqual(expect.arrayContaining([`note:${text}?`, `level:${integer}`]))
    expect(await indexesOf(table)).toContain(`idx_${table}_name`)
    const data = await rows(table)
    expect(data.map((r) => [r.name, r.score, r.note, r.level])).toEqual([
      ["a", 1, null, 7],
      ["b", null, null, 7],
    ])
    // Raw SQL reads SQLite's and MySQL's booleans (integer, tinyint(1)) as 1/0.
    expect(data.map((r) => r.active)).toEqual(backend.dialect === "postgres" ? [true, true] : [1, 1])
  })

  persistent("migrateUpdates adds foreign keys and unique columns with their constraints", async () => {
    const table = tableName()
    const owners = tableName()
    const url = await seed(table)
    class Owner extends Model(owners, { id: field.id(), name: field.text() }) {}
    Model(table, {
      id: field.id(),
      name: field.text(),
      score: field.int({ nullable: true }),
      owner: field.foreignKey((): ModelClass<Owner> => Owner, { nullable: true, onDelete: "set null" }),
      code: field.text({ nullable: true, unique: true }),
    })
    await connect(url, { migrateUpdates: true })
    const [live] = await introspect(getConnection().driver, [table])
    expect(live!.foreignKeys).toEqual([
      expect.objectContaining({ columns: ["owner_id"], targetTable: owners, onDelete: "set null" }),
    ])
    expect(live!.indexes.find((i) => i.name === `uq_${table}_code`)?.unique).toBe(true)
    expect((await rows(table)).map((r) => r.name)).toEqual(["a", "b"])
    const owner = await Owner.create({ name: "o" })
    await fetchAll(sql`UPDATE ${sql.identifier(table)} SET owner_id = ${owner.id}, code = ${"c1"} WHERE name = ${"a"}`)
    await expect(fetchAll(sql`UPDATE ${sql.identifier(table)} SET code = ${"c1"} WHERE name = ${"b"}`)).rejects.toThrow()
    await owner.delete()
    expect((await rows(table)).map((r) => r.owner_id)).toEqual([null, null])
  })

  persistent("a NOT NULL column without a literal default is refused with what to do, and nothing changes", async () => {
    const table = tableName()
    const url = await seed(table)
    Model(table, { id: field.id(), name: field.text(), score: field.int({ nullable: true }), required: field.text() })
    const error = await connect(url, { migrateUpdates: true }).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(MigrationError)
    expect((error as Error).message).toMatch(/required.*no literal default.*nullable, give it a literal default/)
    expect(() => getConnection()).toThrow()
    await connect(url)
    expect((await columnsOf(table)).some((c) => c.startsWith("required"))).toBe(false)
  })

  persistent("type and nullability changes are reconciled, keeping the data", async () => {
    const table = tableName()
    const url = await seed(table)
    Model(table, { id: field.id(), name: field.text(), score: field.bigint({ nullable: true }) })
    await connect(url, { migrateUpdates: true })
    const expected = backend.dialect === "sqlite" ? "score:integer?" : "score:bigint?"
    expect(await columnsOf(table)).toContain(expected)
    expect((await rows(table)).map((r) => r.name)).toEqual(["a", "b"])
    await disconnect()
    // NOT NULL where a row holds NULL: refused, rolled back.
    Model(table, { id: field.id(), name: field.text(), score: field.bigint() })
    await expect(connect(url, { migrateUpdates: true })).rejects.toBeInstanceOf(MigrationError)
    await connect(url)
    expect(await columnsOf(table)).toContain(expected)
    expect((await rows(table)).length).toBe(2)
    await fetchAll(sql`UPDATE ${sql.identifier(table)} SET score = ${5} WHERE score IS NULL`)
    const plan = await migrate()
    expect(plan.statements.length).toBeGreaterThan(0)
    expect(await columnsOf(table)).toContain(backend.dialect === "sqlite" ? "score:integer" : "score:bigint")
    expect((await rows(table)).map((r) => Number(r.score))).toEqual([1, 5])
  })

  persistent("migrateDestructive drops removed columns (their indexes first) and keeps the rest", async () => {
    const table = tableName()
    class Full extends Model(table, { id: field.id(), name: field.text(), tag: field.text({ index: true, nullable: true }) }) {}
    const url = await backend.freshUrl()
    await connect(url, { autoMigrate: true })
    await Full.create({ name: "x", tag: "t" })
    await disconnect()
    Model(table, { id: field.id(), name: field.text() })
    // updates alone never drop.
    await connect(url, { migrateUpdates: true })
    expect((await columnsOf(table)).some((c) => c.startsWith("tag"))).toBe(true)
    const plan = await migrate({ destructive: true })
    expect(plan.statements.length).toBeGreaterThan(0)
    expect((await columnsOf(table)).some((c) => c.startsWith("tag"))).toBe(false)
    expect(await indexesOf(table)).not.toContain(`idx_${table}_tag`)
    expect((await rows(table)).map((r) => r.name)).toEqual(["x"])
  })

  test("destructive refuses to drop a column another table references", async () => {
    const parent = tableName()
    const child = tableName()
    const url = await backend.freshUrl()
    await connect(url)
    await fetchAll(sql`CREATE TABLE ${sql.identifier(parent)} (id integer PRIMARY KEY, code integer UNIQUE)`)
    await fetchAll(sql`CREATE TABLE ${sql.identifier(child)} (id integer PRIMARY KEY, parent_code integer REFERENCES ${sql.identifier(parent)} (code))`)
    Model(parent, { id: field.id() })
    const error = await migrate({ destructive: true }).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(MigrationError)
    expect((error as Error).message).toMatch(new RegExp(`${child}.*references`))
    void Schema
  })

  test("destructive refuses to drop a column enforced by a UNIQUE constraint it did not create", async () => {
    const table = tableName()
    const url = await backend.freshUrl()
    await connect(url)
    await fetchAll(sql`CREATE TABLE ${sql.identifier(table)} (id integer PRIMARY KEY, code text UNIQUE, name text)`)
    Model(table, { id: field.id(), name: field.text({ nullable: true }) })
    const error = await migrate({ destructive: true }).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(MigrationError)
    expect((error as Error).message).toMatch(/code.*UNIQUE constraint.*Drop that constraint first/)
    expect((await columnsOf(table)).some((c) => c.startsWith("code"))).toBe(true)
  })

  test("tables without a model are never dropped, only reported", async () => {
    const url = await backend.freshUrl()
    await connect(url)
    await fetchAll(sql`CREATE TABLE mg_orphan (id integer PRIMARY KEY)`)
    const plan = await migrate({ destructive: true, dryRun: true })
    expect(plan.warnings.join("\n")).toMatch(/mg_orphan.*never dropped/)
    await migrate({ destructive: true })
    expect((await introspect(getConnection().driver, ["mg_orphan"])).length).toBe(1)
  })

  persistent("statements prepared before a migration are not reused against the new shape", async () => {
    const table = tableName()
    const url = await seed(table)
    await connect(url)
    class V1 extends Model(table, { id: field.id(), name: field.text(), score: field.int({ nullable: true }) }) {}
    expect((await V1.select().orderBy((v) => v.id).all()).map((v) => v.name)).toEqual(["a", "b"])
    class V2 extends Model(table, { id: field.id(), name: field.text(), score: field.int({ nullable: true }), note: field.text({ default: "n" }) }) {}
    await migrate()
    const all = await V2.select().orderBy((v) => v.id).all()
    expect(all.map((v) => [v.name, v.note])).toEqual([
      ["a", "n"],
      ["b", "n"],
    ])
  })
})
