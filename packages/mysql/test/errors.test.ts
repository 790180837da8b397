/**
 * Error translation (packages/mysql/src/errors.ts) against the real MariaDB server the global
 * setup started: each server error number becomes its Ferro class, naming the table and the
 * columns where it can, never a bound or stored value.
 */
import mysql from "mysql2/promise"
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest"
import {
  CheckViolation,
  ConnectionError,
  DeadlockDetected,
  ForeignKeyViolation,
  LockTimeout,
  Model,
  NotNullViolation,
  QueryError,
  type Statement,
  StatementTimeout,
  TransactionError,
  UniqueViolation,
  field,
} from "@ferro/core/internal"
import { countPlaceholders } from "../src/driver.js"
import { type MysqlDriver, isConnectionFailure, openMysql, translateMysqlError } from "../src/index.js"

declare module "vitest" {
  export interface ProvidedContext {
    mysqlUrl: string
  }
}

// Registered models: a duplicate-key message names only the key, the model maps it to columns.
class ErrUser extends Model("err_users", {
  id: field.id(),
  email: field.text({ unique: true }),
  tenant: field.int(),
  nick: field.text({ nullable: true }),
}) {}
void ErrUser

const SECRET = "s3cret-value@example.com"

let admin: mysql.Connection
let url: string
let driver: MysqlDriver

const rejection = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error("expected a rejection")
    },
    (error: unknown) => error,
  )

const run = (sql: string, params: ReadonlyArray<unknown> = []) => driver.execute({ sql, params } as Statement)

beforeAll(async () => {
  admin = await mysql.createConnection(inject("mysqlUrl"))
  const database = `err_${process.pid}_${Date.now().toString(36)}`
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
  const server = new URL(inject("mysqlUrl"))
  server.pathname = `/${database}`
  url = server.toString()
  driver = await openMysql(url, { max: 4 }, {})
  // uq_err_users_email is the name Ferro gives the model's unique field; the composite key is
  // one the model does not know.
  await run(`CREATE TABLE err_users (id int AUTO_INCREMENT PRIMARY KEY, email varchar(100) NOT NULL, tenant int NOT NULL,
    nick varchar(100), CONSTRAINT uq_err_users_email UNIQUE (email), CONSTRAINT uq_err_users_nick_tenant UNIQUE (nick, tenant))`)
  await run(`CREATE TABLE err_posts (id int AUTO_INCREMENT PRIMARY KEY, author_id int NOT NULL,
    score int NOT NULL DEFAULT 0 CHECK (score >= 0),
    CONSTRAINT fk_err_posts_author FOREIGN KEY (author_id) REFERENCES err_users (id))`)
  await run("INSERT INTO err_users (email, tenant) VALUES (?, ?)", [SECRET, 1])
})

afterAll(async () => {
  await driver?.close()
  await admin?.end()
})

/** The error's message and everything it shows, checked for the secret value. */
const expectNoValue = (error: unknown): void => {
  expect(String((error as Error).message)).not.toContain(SECRET)
  expect(String((error as Error).message)).not.toContain("s3cret")
}

describe("MySQL errors", () => {
  test("1062 duplicate key: UniqueViolation naming the table and the key's columns, no values", async () => {
    const error = await rejection(run("INSERT INTO err_users (email, tenant) VALUES (?, ?)", [SECRET, 1]))
    expect(error).toBeInstanceOf(UniqueViolation)
    expect(error).toMatchObject({ table: "err_users", constraint: "email" })
    expect((error as UniqueViolation).cause).toMatchObject({ errno: 1062 })
    expect((error as Error).message).toContain("<value>")
    expect((error as Error).message).toContain("uq_err_users_email")
    expectNoValue(error)
    // A key the model does not declare is named as the server names it.
    await run("INSERT INTO err_users (email, tenant, nick) VALUES (?, ?, ?)", ["n1", 1, SECRET])
    const unknownKey = await rejection(run("INSERT INTO err_users (email, tenant, nick) VALUES (?, ?, ?)", ["n2", 1, SECRET]))
    expect(unknownKey).toMatchObject({ table: "err_users", constraint: "uq_err_users_nick_tenant" })
    expectNoValue(unknownKey)
    await run("DELETE FROM err_users WHERE email = ?", ["n1"])
    // The primary key: its column.
    const pk = await rejection(run("INSERT INTO err_users (id, email, tenant) VALUES (?, ?, ?)", [1, "other", 2]))
    expect(pk).toMatchObject({ table: "err_users", constraint: "id" })
    // An UPDATE into a taken key too.
    await run("INSERT INTO err_users (email, tenant) VALUES (?, ?)", ["second", 1])
    const update = await rejection(run('UPDATE "err_users" SET email = ? WHERE email = ?', [SECRET, "second"]))
    expect(update).toBeInstanceOf(UniqueViolation)
    expect(update).toMatchObject({ table: "err_users", constraint: "email" })
    expectNoValue(update)
    await run("DELETE FROM err_users WHERE email = ?", ["second"])
  })

  // The driver's sql_mode has ANSI_QUOTES: MariaDB quotes the names in these messages with
  // double quotes ("db"."err_posts", CONSTRAINT "fk…" FOREIGN KEY ("author_id")…), not backticks.
  test("1452 / 1451 foreign keys: ForeignKeyViolation for the missing parent and the referenced row", async () => {
    const missing = await rejection(run("INSERT INTO err_posts (author_id) VALUES (?)", [999]))
    expect(missing).toBeInstanceOf(ForeignKeyViolation)
    expect(missing).toMatchObject({ table: "err_posts", constraint: "author_id" })
    expect((missing as ForeignKeyViolation).cause).toMatchObject({ errno: 1452 })
    await run("INSERT INTO err_posts (author_id) VALUES ((SELECT id FROM err_users WHERE tenant = 1))")
    const referenced = await rejection(run("DELETE FROM err_users WHERE email = ?", [SECRET]))
    expect(referenced).toBeInstanceOf(ForeignKeyViolation)
    expect(referenced).toMatchObject({ table: "err_users" })
    expect((referenced as ForeignKeyViolation).cause).toMatchObject({ errno: 1451 })
    expectNoValue(referenced)
    await run("DELETE FROM err_posts")
  })

  test("1048 NULL into NOT NULL: NotNullViolation naming the column", async () => {
    const error = await rejection(run("INSERT INTO err_users (email, tenant) VALUES (?, ?)", [null, 3]))
    expect(error).toBeInstanceOf(NotNullViolation)
    expect(error).toMatchObject({ table: "err_users", constraint: "email" })
    expect((error as NotNullViolation).cause).toMatchObject({ errno: 1048 })
  })

  test("4025 CHECK: CheckViolation naming the table and the constraint", async () => {
    const error = await rejection(run("INSERT INTO err_posts (author_id, score) VALUES ((SELECT id FROM err_users WHERE tenant = 1), ?)", [-5]))
    expect(error).toBeInstanceOf(CheckViolation)
    expect((error as CheckViolation).cause).toMatchObject({ errno: 4025 })
    // MariaDB names a column CHECK after its column.
    expect(error).toMatchObject({ table: "err_posts", constraint: "score" })
  })

  test("an incorrect value is a QueryError that cuts the value out", async () => {
    const error = await rejection(run("INSERT INTO err_users (email, tenant) VALUES (?, ?)", ["x", SECRET]))
    expect(error).toBeInstanceOf(QueryError)
    expect((error as Error).message).toContain("err_users")
    expectNoValue(error)
  })

  test("1213 deadlock: DeadlockDetected (a TransactionError); the transaction refuses more statements", async () => {
    await run("INSERT INTO err_users (email, tenant) VALUES (?, ?), (?, ?)", ["a", 10, "b", 10])
    const [a, b] = (await driver.rows({ sql: "SELECT id FROM err_users WHERE tenant = 10 ORDER BY id", params: [] })).map((r) => Number(r[0]))
    const first = await driver.begin()
    const second = await driver.begin()
    const touch = (tx: typeof first, id: number) => tx.execute({ sql: "UPDATE err_users SET tenant = tenant WHERE id = ?", params: [id] })
    await touch(first, a!)
    await touch(second, b!)
    // first waits for b's lock; second asking for a's closes the cycle: InnoDB rolls one back.
    const results = await Promise.allSettled([touch(first, b!), touch(second, a!)])
    const failedAt = results.findIndex((r) => r.status === "rejected")
    expect(failedAt).toBeGreaterThanOrEqual(0)
    const reason = (results[failedAt] as PromiseRejectedResult).reason
    expect(reason).toBeInstanceOf(DeadlockDetected)
    expect(reason).toBeInstanceOf(TransactionError)
    expect(reason.cause).toMatchObject({ errno: 1213 })
    const [winner, victim] = failedAt === 0 ? [second, first] : [first, second]
    // The victim was rolled back whole by the server: a later statement would autocommit, so it is refused.
    expect(await rejection(victim.execute({ sql: "INSERT INTO err_users (email, tenant) VALUES ('late', 11)", params: [] }))).toBeInstanceOf(
      TransactionError,
    )
    expect(await rejection(victim.commit())).toBeInstanceOf(TransactionError)
    await winner.commit()
    expect(await driver.rows({ sql: "SELECT count(*) FROM err_users WHERE tenant = 11", params: [] })).toEqual([["0"]])
  })

  test("1205 lock wait timeout: LockTimeout with the SQL, no values", async () => {
    const short = await openMysql(url, { max: 2 }, { lockTimeout: 1000 })
    try {
      const holder = await driver.begin()
      await holder.execute({ sql: "UPDATE err_users SET tenant = tenant WHERE email = ?", params: [SECRET] })
      const error = await rejection(short.execute({ sql: "UPDATE err_users SET email = ? WHERE email = ?", params: ["s3cret-new", SECRET] }))
      expect(error).toBeInstanceOf(LockTimeout)
      expect((error as LockTimeout).cause).toMatchObject({ errno: 1205 })
      expect((error as Error).message).toContain("UPDATE err_users SET email = ? WHERE email = ?")
      expect((error as Error).message).toContain("2 parameters")
      expectNoValue(error)
      await holder.rollback()
    } finally {
      await short.close()
    }
  })

  test("1969 max_statement_time: StatementTimeout", async () => {
    const short = await openMysql(url, { max: 1 }, { statementTimeout: 1000 })
    try {
      const error = await rejection(short.rows({ sql: "SELECT SLEEP(30)", params: [] }))
      expect(error).toBeInstanceOf(StatementTimeout)
      expect((error as StatementTimeout).cause).toMatchObject({ errno: 1969 })
    } finally {
      await short.close()
    }
  })

  test("a parameter count that does not match the placeholders is a QueryError before anything is sent", async () => {
    expect(countPlaceholders("SELECT ? AS a, '?' AS b, \"?\" AS c, `?` AS d, 'it''s ?' AS e -- ?\n, ? # ?\n /* ? */ , ?")).toBe(3)
    expect(countPlaceholders("SELECT 1 --?")).toBe(1) // "--" without a space is not a comment in MySQL
    const before = driver.statementCount
    for (const params of [[SECRET, SECRET], []] as const) {
      if (params.length === 0) continue
      const error = await rejection(driver.objects({ sql: "SELECT ? AS a", params: [...params] }))
      expect(error).toBeInstanceOf(QueryError)
      expect((error as QueryError).parameterCount).toBe(2)
      expect((error as Error).message).toContain("1 placeholder (?) but 2 parameters were given")
      expectNoValue(error)
    }
    const tooFew = await rejection(driver.objects({ sql: "SELECT ? AS a, ? AS b", params: [1] }))
    expect(tooFew).toBeInstanceOf(QueryError)
    // Counted (the call was made), but the server never saw a misaligned statement.
    expect(driver.statementCount - before).toBe(2)
    expect(await driver.objects({ sql: "SELECT ? AS a, '?' AS b", params: [5] })).toEqual([{ a: 5, b: "?" }])
  })

  test("connection failures: ConnectionError; a Ferro error passes through unchanged", () => {
    for (const cause of [
      { code: "ECONNREFUSED", message: "connect ECONNREFUSED" },
      { code: "PROTOCOL_CONNECTION_LOST", fatal: true, message: "Connection lost" },
      { errno: 1045, message: "Access denied for user" },
      { errno: 1927, message: "Connection was killed" },
      { message: "Can't add new command when connection is in closed state" },
    ]) {
      expect(isConnectionFailure(cause), cause.message).toBe(true)
      const error = translateMysqlError(cause, undefined, "mysql://u:<redacted>@h/db")
      expect(error, cause.message).toBeInstanceOf(ConnectionError)
      expect((error as Error).message).toContain("mysql://u:<redacted>@h/db")
    }
    expect(isConnectionFailure({ errno: 1064, message: "You have an error in your SQL syntax" })).toBe(false)
    const ferro = new UniqueViolation("duplicate", {})
    expect(translateMysqlError(ferro, undefined, "x")).toBe(ferro)
  })
})
