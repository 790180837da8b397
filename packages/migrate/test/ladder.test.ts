/**
 * The DDL and the auto-migrate ladder on a real SQLite database: the CREATE statements per
 * dialect (golden), then a model that gained a column and an index planned against what
 * introspection reads back, applied, and planned again to nothing. What the ladder refuses
 * is refused before any statement runs.
 */
import Database from "better-sqlite3"
import { MigrationError, Model, type ModelTarget as ModelClass, field } from "@ferro/core"
import type { ModelMetadata, Statement } from "@ferro/core"
import { postgresDialect } from "@ferro/pg/dialect"
import { sqliteDialect } from "@ferro/sqlite/dialect"
import { describe, expect, test } from "vitest"
import { createStatements, planMigration } from "../src/index.js"

class Author extends Model("m_authors", {
  id: field.id(),
  name: field.text({ maxLength: 80 }),
  email: field.text({ unique: true }),
  posts: field.backRef((): ModelClass<Post> => Post),
}) {}

class Post extends Model("m_posts", {
  id: field.id(),
  title: field.text(),
  views: field.int({ default: 0, index: true }),
  price: field.decimal({ precision: 10, scale: 2, nullable: true }),
  published: field.bool({ default: false }),
  createdAt: field.datetime({ defaultNow: true }),
  author: field.foreignKey((): ModelClass<Author> => Author, { onDelete: "cascade" }),
}) {}

/** The same table a release later: one nullable column and one indexed column with a default. */
class PostV2 extends Model("m_posts_v2", {
  id: field.id(),
  title: field.text(),
  subtitle: field.text({ nullable: true }),
  rank: field.int({ default: 5, index: true }),
}) {}

class PostV1 extends Model("m_posts_v2_before", {
  id: field.id(),
  title: field.text(),
}) {}

const sqliteDriver = (db: Database.Database) => ({
  rows: async (s: Statement) => db.prepare(s.sql).raw(true).all(...(s.params as Array<never>)) as Array<Array<unknown>>,
  objects: async (s: Statement) => db.prepare(s.sql).all(...(s.params as Array<never>)) as Array<Record<string, unknown>>,
})

const models: ReadonlyArray<ModelMetadata> = [Post.metadata, Author.metadata]

describe("DDL per dialect", () => {
  test.each([
    ["sqlite", sqliteDialect],
    ["postgres", postgresDialect],
  ] as const)("%s: tables in dependency order, constraints and indexes", (_name, dialect) => {
    const sql = createStatements(models, dialect).map((s) => s.sql)
    const created = (table: string) => sql.findIndex((s) => s.startsWith("CREATE TABLE") && s.includes(`"${table}" (`))
    expect(created("m_authors")).toBeGreaterThanOrEqual(0)
    expect(created("m_authors")).toBeLessThan(created("m_posts"))
    expect(sql).toMatchSnapshot()
  })
})

describe("the ladder on SQLite", () => {
  test("creates what is missing, then nothing is left to do", async () => {
    const db = new Database(":memory:")
    const driver = sqliteDriver(db)
    const first = planMigration(models, await sqliteDialect.introspect(driver, null), sqliteDialect)
    for (const statement of first.statements) db.exec(statement)
    const again = planMigration(models, await sqliteDialect.introspect(driver, null), sqliteDialect, { updates: true })
    expect(again.statements).toEqual([])
    db.close()
  })

  test("adds a nullable column and an indexed column with a literal default, keeping the rows", async () => {
    const db = new Database(":memory:")
    const driver = sqliteDriver(db)
    const before = { ...PostV1.metadata, table: "m_posts_v2" }
    for (const s of createStatements([before], sqliteDialect)) db.exec(s.sql)
    db.prepare(`INSERT INTO m_posts_v2 (title) VALUES ('kept')`).run()
    const live = await sqliteDialect.introspect(driver, null)
    expect(planMigration([PostV2.metadata], live, sqliteDialect).statements).toEqual([])
    const plan = planMigration([PostV2.metadata], live, sqliteDialect, { updates: true })
    expect(plan.statements.join("\n")).toMatch(/ADD COLUMN "subtitle"/)
    expect(plan.statements.join("\n")).toMatch(/CREATE INDEX/)
    for (const statement of plan.statements) db.exec(statement)
    expect(db.prepare("SELECT title, subtitle, rank FROM m_posts_v2").all()).toEqual([{ title: "kept", subtitle: null, rank: 5 }])
    expect(planMigration([PostV2.metadata], await sqliteDialect.introspect(driver, null), sqliteDialect, { updates: true }).statements).toEqual([])
    db.close()
  })

  test("refuses a NOT NULL column without a default before any statement", async () => {
    class Strict extends Model("m_strict", { id: field.id(), title: field.text(), required: field.text() }) {}
    const db = new Database(":memory:")
    db.exec(`CREATE TABLE "m_strict" ("id" integer PRIMARY KEY AUTOINCREMENT, "title" text NOT NULL)`)
    const live = await sqliteDialect.introspect(sqliteDriver(db), null)
    expect(() => planMigration([Strict.metadata], live, sqliteDialect, { updates: true })).toThrow(MigrationError)
    expect(() => planMigration([Strict.metadata], live, sqliteDialect, { updates: true })).toThrow(/required/)
    db.close()
  })
})
