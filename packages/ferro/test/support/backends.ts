/**
 * The behavioural suite runs once per backend (Kysely-style per-dialect loop). Each test
 * gets a fresh, isolated database: a new SQLite file or in-memory database, or a new schema
 * on the throwaway PostgreSQL server that `npm test` starts (tooling/testing/postgres.mjs).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import mysql from "mysql2/promise"
import pg from "pg"
import { afterAll, afterEach, describe, inject } from "vitest"
import { resetEngine } from "ferro-orm"

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string
    mysqlUrl: string
  }
}

export interface Backend {
  /** Label shown in test names. */
  readonly name: string
  readonly dialect: "sqlite" | "postgres" | "mysql"
  /** A URL for a fresh, empty database (PostgreSQL: a new schema, pinned through `?schema=`). */
  readonly freshUrl: () => Promise<string>
}

const tempDirs: Array<string> = []

/** The server URL provided by the global setup. */
export const postgresUrl = (): string => inject("postgresUrl")

let admin: pg.Client | null = null
let schemaCounter = 0

const adminClient = async (): Promise<pg.Client> => {
  if (admin === null) {
    admin = new pg.Client({ connectionString: postgresUrl() })
    await admin.connect()
  }
  return admin
}

/** Creates an empty schema and returns a URL pinned to it. */
export const freshPostgresUrl = async (): Promise<string> => {
  const schema = `t_${process.pid}_${Date.now().toString(36)}_${schemaCounter++}`
  await (await adminClient()).query(`CREATE SCHEMA "${schema}"`)
  const url = new URL(postgresUrl())
  url.searchParams.set("schema", schema)
  return url.toString()
}

/** The MariaDB server URL provided by the global setup. */
export const mysqlUrl = (): string => inject("mysqlUrl")

let mysqlAdmin: mysql.Connection | null = null
let databaseCounter = 0

/** Creates an empty database on the MariaDB server and returns a URL for it. */
export const freshMysqlUrl = async (): Promise<string> => {
  if (mysqlAdmin === null) mysqlAdmin = await mysql.createConnection(mysqlUrl())
  const database = `t_${process.pid}_${Date.now().toString(36)}_${databaseCounter++}`
  await mysqlAdmin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
  const url = new URL(mysqlUrl())
  url.pathname = `/${database}`
  return url.toString()
}

export const backends: ReadonlyArray<Backend> = [
  { name: "sqlite-memory", dialect: "sqlite", freshUrl: async () => "sqlite::memory:" },
  {
    name: "sqlite-file",
    dialect: "sqlite",
    freshUrl: async () => {
      const dir = mkdtempSync(join(tmpdir(), "ferro-test-"))
      tempDirs.push(dir)
      return `sqlite:${join(dir, "test.db")}`
    },
  },
  {
    // The native engine (the C++ addon) on a file; falls back to better-sqlite3 only if the
    // addon was not built, which test/native-engine.test.ts refuses.
    name: "sqlite-native",
    dialect: "sqlite",
    freshUrl: async () => {
      const dir = mkdtempSync(join(tmpdir(), "ferro-test-"))
      tempDirs.push(dir)
      return `sqlite:${join(dir, "test.db")}?engine=native`
    },
  },
  { name: "postgres", dialect: "postgres", freshUrl: freshPostgresUrl },
  { name: "mariadb", dialect: "mysql", freshUrl: freshMysqlUrl },
]

/** Runs `suite` once per backend; connections are reset after each test. */
export const describeEachBackend = (title: string, suite: (backend: Backend) => void): void => {
  for (const backend of backends) {
    describe(`${title} [${backend.name}]`, () => {
      afterEach(async () => {
        await resetEngine()
      })
      suite(backend)
    })
  }
}

afterAll(async () => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  await admin?.end()
  admin = null
  await mysqlAdmin?.end()
  mysqlAdmin = null
})
