/**
 * The drizzle-kit bridge on MySQL (`toDrizzleSchema(models, { dialect: "mysql" })`): drizzle-kit's
 * migration for the models and Ferro's `autoMigrate` must give the same schema, checked in
 * `information_schema` of two fresh databases on the test MariaDB, and Ferro's migrator must see
 * nothing to do on either.
 */
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { toDrizzleSchema } from "@ferro/migrate/drizzle"
import mysql from "mysql2/promise"
import { describe, expect, test } from "vitest"
import { connect, disconnect, execute, fetchAll, migrate, modelsMetadata } from "ferro-orm"
import "./support/drizzle-models.js"
import { mysqlUrl } from "./support/backends.js"

const here = dirname(fileURLToPath(import.meta.url))
const requireFromMigrate = createRequire(join(here, "..", "..", "migrate", "package.json"))
type DrizzleKitApi = {
  generateMySQLDrizzleJson: (imports: Record<string, unknown>) => Promise<unknown>
  generateMySQLMigration: (prev: unknown, cur: unknown) => Promise<Array<string>>
}
const drizzleKit = async (): Promise<DrizzleKitApi> => (await import(requireFromMigrate.resolve("drizzle-kit/api"))) as DrizzleKitApi

/** Everything `information_schema` says about the tables of the database behind `using`. */
const mysqlCatalog = async (using: string) => {
  const q = (sql: string) => fetchAll(sql, [], { using })
  const own = "TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE '\\_\\_drizzle%'"
  return {
    tables: await q(`SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES WHERE ${own} ORDER BY TABLE_NAME`),
    columns: await q(`SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLUMN_KEY,
                             CHARACTER_SET_NAME, COLLATION_NAME
                      FROM information_schema.COLUMNS WHERE ${own} ORDER BY TABLE_NAME, ORDINAL_POSITION`),
    indexes: await q(`SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART
                      FROM information_schema.STATISTICS WHERE ${own} ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`),
    foreignKeys: await q(`SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.ORDINAL_POSITION, k.REFERENCED_TABLE_NAME,
                                 k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE
                          FROM information_schema.KEY_COLUMN_USAGE k
                          JOIN information_schema.REFERENTIAL_CONSTRAINTS r
                            ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
                          WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
                          ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`),
    checks: await q(`SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
                     WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME`),
  }
}

describe("drizzle-kit generates the schema autoMigrate creates", () => {
  test("MySQL (MariaDB)", async () => {
    const kit = await drizzleKit()
    const schema = toDrizzleSchema(modelsMetadata(), { dialect: "mysql" })
    const statements = await kit.generateMySQLMigration(await kit.generateMySQLDrizzleJson({}), await kit.generateMySQLDrizzleJson(schema))
    const admin = await mysql.createConnection(mysqlUrl())
    const names = [`ferro_dz_${process.pid}_a`, `ferro_dz_${process.pid}_b`]
    const urlOf = (db: string) => {
      const url = new URL(mysqlUrl())
      url.pathname = `/${db}`
      return url.toString()
    }
    try {
      for (const db of names) {
        await admin.query(`DROP DATABASE IF EXISTS \`${db}\``)
        // drizzle-kit writes no table collation: the database's default must be Ferro's.
        await admin.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
      }
      await connect(urlOf(names[0]!), { name: "ferro", autoMigrate: true })
      await connect(urlOf(names[1]!), { name: "drizzle" })
      for (const statement of statements) await execute(statement, [], { using: "drizzle" })
      const [ferro, drizzle] = [await mysqlCatalog("ferro"), await mysqlCatalog("drizzle")]
      expect(new Set(ferro.tables.map((t) => t.TABLE_NAME))).toEqual(new Set(modelsMetadata().map((m) => m.table)))
      expect(drizzle.tables).toEqual(ferro.tables)
      expect(drizzle.columns).toEqual(ferro.columns)
      expect(drizzle.indexes).toEqual(ferro.indexes)
      expect(drizzle.foreignKeys).toEqual(ferro.foreignKeys)
      expect(drizzle.checks).toEqual(ferro.checks)
      // drizzle-kit push is left out here: drizzle-kit 0.31's MySQL push introspection exits the
      // process on MariaDB as soon as a table has a CHECK constraint (an enum, or MariaDB's own
      // json_valid check of a JSON column), with or without Ferro; generate + migrate work.
      // Ferro's own migrator sees the two databases alike.
      expect(await migrate({ using: "drizzle", destructive: true, dryRun: true })).toEqual(
        await migrate({ using: "ferro", destructive: true, dryRun: true }),
      )
    } finally {
      await disconnect()
      for (const db of names) await admin.query(`DROP DATABASE IF EXISTS \`${db}\``)
      await admin.end()
    }
  })
})
