/**
 * pg errors from a real PostgreSQL classified by SQLSTATE: constraint violations name their
 * table and columns, data errors lose the quoted value, timeouts and connection failures get
 * their own classes. Values never reach a message.
 */
import {
  CheckViolation,
  ConnectionError,
  ForeignKeyViolation,
  NotNullViolation,
  QueryError,
  StatementTimeout,
  UniqueViolation,
} from "@ferro/core"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest"
import { isConnectionFailure, translatePgError } from "../src/index.js"

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string
  }
}

const schema = `errors_${process.pid}_${Date.now().toString(36)}`
let client: pg.Client

/** Runs `sql` and returns the pg error it raised, translated. */
const translated = async (sql: string, params: Array<unknown> = []) => {
  try {
    await client.query(sql, params)
  } catch (error) {
    return { raw: error, ferro: translatePgError(error, { sql, params }, "postgres://app:***@host/db") }
  }
  throw new Error(`expected ${sql} to fail`)
}

beforeAll(async () => {
  client = new pg.Client({ connectionString: inject("postgresUrl") })
  await client.connect()
  await client.query(`CREATE SCHEMA ${schema}`)
  await client.query(`SET search_path TO ${schema}`)
  await client.query(`CREATE TABLE authors (id int PRIMARY KEY, email text UNIQUE NOT NULL, age int CHECK (age >= 0))`)
  await client.query(`CREATE TABLE posts (id int PRIMARY KEY, author_id int NOT NULL REFERENCES authors (id))`)
  await client.query(`INSERT INTO authors VALUES (1, 'ada@secret.example', 36)`)
})

afterAll(async () => {
  await client.query(`DROP SCHEMA ${schema} CASCADE`)
  await client.end()
})

describe("translatePgError", () => {
  test("unique, foreign key, not null and check violations name table and columns, never values", async () => {
    const unique = await translated("INSERT INTO authors VALUES (2, $1, 1)", ["ada@secret.example"])
    expect(unique.ferro).toBeInstanceOf(UniqueViolation)
    expect(unique.ferro).toMatchObject({ table: "authors", constraint: "email" })
    const fk = await translated("INSERT INTO posts VALUES (1, $1)", [424242])
    expect(fk.ferro).toBeInstanceOf(ForeignKeyViolation)
    expect((await translated("INSERT INTO authors (id, email) VALUES (3, NULL)")).ferro).toBeInstanceOf(NotNullViolation)
    expect((await translated("INSERT INTO authors VALUES (4, 'x@y', -5)")).ferro).toBeInstanceOf(CheckViolation)
    for (const error of [unique.ferro, fk.ferro]) {
      expect(`${error.message} ${JSON.stringify(error)}`).not.toMatch(/ada@secret|424242/)
    }
  })

  test("a data error drops the quoted value from the message and keeps the SQL shape", async () => {
    const { ferro } = await translated("SELECT $1::int", ["not-a-number-secret"])
    expect(ferro).toBeInstanceOf(QueryError)
    expect(ferro.message).not.toContain("not-a-number-secret")
  })

  test("a statement timeout is a StatementTimeout naming the SQL and parameter count", async () => {
    await client.query("SET statement_timeout = 1")
    try {
      const { ferro } = await translated("SELECT pg_sleep(5)")
      expect(ferro).toBeInstanceOf(StatementTimeout)
      expect(ferro.message).toMatch(/pg_sleep.*0 parameters/)
    } finally {
      await client.query("SET statement_timeout = 0")
    }
  })

  test("connection failures are ConnectionErrors with the redacted URL", async () => {
    const refused = new pg.Client({ connectionString: "postgres://app:hunter2@127.0.0.1:1/db", connectionTimeoutMillis: 5000 })
    let raw: unknown
    try {
      await refused.connect()
    } catch (error) {
      raw = error
    }
    expect(isConnectionFailure(raw)).toBe(true)
    const ferro = translatePgError(raw, undefined, "postgres://app:***@127.0.0.1:1/db")
    expect(ferro).toBeInstanceOf(ConnectionError)
    expect(`${ferro.message} ${JSON.stringify(ferro)}`).not.toContain("hunter2")
  })
})
