/**
 * Connections (SPEC §2): connect / disconnect / named connections / default selection /
 * per-call routing with `Model.using()`, instances remembering their connection, the
 * errors for missing, unknown, duplicate and invalid connections (with secrets redacted),
 * autoMigrate / createTables, and resetEngine().
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, afterEach, describe, expect, test } from "vitest"
import { type Connection, defaultConnectionName, getConnection } from "@ferro/core/internal"
import { MysqlDriver } from "@ferro/mysql"
import { PostgresDriver } from "@ferro/pg"
import { SqliteDriver } from "@ferro/sqlite"
import {
  ConnectionError,
  FerroError,
  MigrationError,
  Model,
  QueryError,
  connect,
  createTables,
  disconnect,
  execute,
  fetchAll,
  fetchOne,
  field,
  ping,
  resetEngine,
  setDefaultConnection,
  sql,
  transaction,
} from "ferro-orm"
import { describeEachBackend, freshPostgresUrl, postgresUrl } from "./support/backends.js"

class Account extends Model("cn_accounts", {
  id: field.id(),
  email: field.text({ unique: true }),
  rank: field.int({ index: true, default: 0 }),
  tier: field.enum(["free", "pro"], { default: "free" }),
}) {}

const dirs: Array<string> = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "ferro-conn-"))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/**
 * The tables and explicitly created indexes of a connection's database, as "type:name".
 * Indexes the database makes itself for PRIMARY KEY / UNIQUE constraints are left out
 * (SQLite's sqlite_autoindex_*, PostgreSQL's constraint indexes such as *_pkey), and so are
 * SQLite's internal tables and PostgreSQL's identity sequences. On PostgreSQL this is the
 * connection's pinned schema.
 */
const SQLITE_OBJECTS = "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
const POSTGRES_OBJECTS = `
  SELECT type, name FROM (
    SELECT CASE c.relkind WHEN 'r' THEN 'table' ELSE 'index' END AS type, c.relname::text AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i')
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)
  ) objects
  ORDER BY type, name COLLATE "C"`
/**
 * MySQL makes an index for every PRIMARY KEY and for a FOREIGN KEY without one (named after the
 * constraint); a unique index is listed as a UNIQUE constraint too, so only those two are left out.
 */
const MYSQL_NOT_CONSTRAINT_INDEX = `s.INDEX_NAME <> 'PRIMARY' AND NOT EXISTS (
    SELECT 1 FROM information_schema.TABLE_CONSTRAINTS k WHERE k.TABLE_SCHEMA = s.TABLE_SCHEMA
      AND k.TABLE_NAME = s.TABLE_NAME AND k.CONSTRAINT_NAME = s.INDEX_NAME AND k.CONSTRAINT_TYPE = 'FOREIGN KEY')`
const MYSQL_OBJECTS = `
  SELECT type, name FROM (
    SELECT 'table' AS type, TABLE_NAME AS name FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
    UNION
    SELECT 'index', s.INDEX_NAME FROM information_schema.STATISTICS s
    WHERE s.TABLE_SCHEMA = DATABASE() AND ${MYSQL_NOT_CONSTRAINT_INDEX}
  ) objects
  ORDER BY type, CAST(name AS BINARY)`
const OBJECTS = { sqlite: SQLITE_OBJECTS, postgres: POSTGRES_OBJECTS, mysql: MYSQL_OBJECTS } as const
const schemaObjects = async (using?: string) =>
  (
    await fetchAll<{ type: string; name: string }>(
      OBJECTS[getConnection(using).driver.dialect.name as keyof typeof OBJECTS],
      [],
      using === undefined ? undefined : { using },
    )
  ).map((row) => `${row.type}:${row.name}`)

/** The explicitly created (not constraint-backing) indexes on a table, with their uniqueness. */
const createdIndexes = async (table: string): Promise<Array<{ name: string; unique: boolean }>> => {
  const dialect = getConnection().driver.dialect.name
  const rows =
    dialect === "sqlite"
      ? await fetchAll<{ name: string; unique: number }>(
          sql`SELECT name, "unique" FROM pragma_index_list(${table}) WHERE origin = 'c' ORDER BY name`,
        )
      : dialect === "mysql"
        ? await fetchAll<{ name: string; unique: number }>(
            `SELECT s.INDEX_NAME AS name, MIN(s.NON_UNIQUE) = 0 AS "unique" FROM information_schema.STATISTICS s
             WHERE s.TABLE_SCHEMA = DATABASE() AND s.TABLE_NAME = ? AND ${MYSQL_NOT_CONSTRAINT_INDEX}
             GROUP BY s.INDEX_NAME ORDER BY CAST(s.INDEX_NAME AS BINARY)`,
            [table],
          )
        : await fetchAll<{ name: string; unique: boolean }>(sql`
          SELECT c.relname::text AS name, i.indisunique AS "unique"
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
          JOIN pg_namespace n ON n.oid = t.relnamespace
          WHERE n.nspname = current_schema() AND t.relname = ${table}
            AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
          ORDER BY c.relname::text COLLATE "C"`)
  return rows.map((row) => ({ name: row.name, unique: typeof row.unique === "boolean" ? row.unique : Number(row.unique) === 1 }))
}

/** Whether the connection's database handle (SQLite) or pool (PostgreSQL, MySQL) is still open. */
const isOpen = (connection: Connection): boolean => {
  const driver = connection.driver
  if (driver instanceof SqliteDriver) return driver.database.open
  if (driver instanceof PostgresDriver) return !driver.pool.ending && !driver.pool.ended
  // mysql2's callback pool under the promise wrapper: `_closed` is set by end().
  if (driver instanceof MysqlDriver) return !(driver.pool as unknown as { pool: { _closed: boolean } }).pool._closed
  throw new Error(`unexpected driver for ${driver.dialect.name}`)
}

/** The message a query on a table that does not exist fails with. */
const noSuchTable = (dialect: "sqlite" | "postgres" | "mysql", table: string) =>
  dialect === "sqlite"
    ? new RegExp(`no such table: ${table}`)
    : dialect === "mysql"
      ? new RegExp(`Table '[^']*\\.${table}' doesn't exist`)
      : new RegExp(`relation "${table}" does not exist`)

const rejection = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error("expected a rejection")
    },
    (error: unknown) => error,
  )

describeEachBackend("connections", (backend) => {
  test("ping() inside a transaction asks on the transaction's connection (a pool of one, SQLite's single connection)", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true, pool: { max: 1 } })
    // Outside the transaction ping() would wait for the one pooled client (or, on SQLite, for
    // the connection the transaction holds until this block ends): it must not.
    const answered = await transaction(async () => {
      await Account.create({ email: "ping@x" })
      await ping()
      return Account.select().count()
    })
    expect(answered).toBe(1)
    await ping()
  })

  test("connect() registers the default connection and queries run on it", async () => {
    const connection = await connect((await backend.freshUrl()), { autoMigrate: true })
    expect(connection.name).toBe("default")
    expect(connection.driver.dialect.name).toBe(backend.dialect)
    expect(getConnection()).toBe(connection)
    expect(defaultConnectionName()).toBe("default")
    const account = await Account.create({ email: "a@x" })
    expect(await Account.get(account.id)).toBe(account)
    expect(await fetchOne("SELECT 1 + 1 AS two")).toEqual({ two: 2 })
  })

  test("named connections: the first is the default until another asks to be", async () => {
    await connect((await backend.freshUrl()), { name: "a", autoMigrate: true })
    expect(defaultConnectionName()).toBe("a")
    await connect((await backend.freshUrl()), { name: "b", autoMigrate: true })
    expect(defaultConnectionName()).toBe("a")
    await connect((await backend.freshUrl()), { name: "c", autoMigrate: true, default: true })
    expect(defaultConnectionName()).toBe("c")
    await Account.create({ email: "c@x" })
    expect(await Account.using("c").select().count()).toBe(1)
    expect(await Account.using("a").select().count()).toBe(0)
    // An unnamed connection is "default" and becomes the default.
    await connect((await backend.freshUrl()), { autoMigrate: true })
    expect(defaultConnectionName()).toBe("default")
    expect(await Account.select().count()).toBe(0)
  })

  test("setDefaultConnection routes unqualified operations", async () => {
    await connect((await backend.freshUrl()), { name: "a", autoMigrate: true })
    await connect((await backend.freshUrl()), { name: "b", autoMigrate: true })
    await Account.create({ email: "in-a@x" })
    setDefaultConnection("b")
    expect(defaultConnectionName()).toBe("b")
    await Account.create({ email: "in-b@x" })
    await execute("UPDATE cn_accounts SET rank = 5")
    expect(await fetchAll("SELECT email, rank FROM cn_accounts")).toEqual([{ email: "in-b@x", rank: 5 }])
    expect((await Account.select().all()).map((a) => a.email)).toEqual(["in-b@x"])
    setDefaultConnection("a")
    expect((await fetchAll("SELECT email, rank FROM cn_accounts"))).toEqual([{ email: "in-a@x", rank: 0 }])
    expect(() => setDefaultConnection("nope")).toThrow(ConnectionError)
    expect(defaultConnectionName()).toBe("a")
  })

  test("Model.using(name) routes create, get, where, select and the helpers", async () => {
    await connect((await backend.freshUrl()), { name: "a", autoMigrate: true })
    await connect((await backend.freshUrl()), { name: "b", autoMigrate: true })
    const b = Account.using("b")
    const created = await b.create({ email: "b@x", rank: 3 })
    expect(await b.get(created.id)).toBe(created)
    expect(await b.getOrNone(created.id)).toBe(created)
    expect(await b.where((x) => x.rank.eq(3)).all()).toEqual([created])
    expect(await b.select().count()).toBe(1)
    expect(await b.bulkCreate([{ email: "b2@x" }, { email: "b3@x" }])).toBe(2)
    const [got, made] = await b.getOrCreate({ email: "b4@x" }, { rank: 9 })
    expect(made).toBe(true)
    expect(got.rank).toBe(9)
    const [updated, createdAgain] = await b.updateOrCreate({ email: "b@x" }, { rank: 10 })
    expect(createdAgain).toBe(false)
    expect(updated).toBe(created)
    expect(await fetchAll("SELECT email, rank FROM cn_accounts ORDER BY id", [], { using: "b" })).toEqual([
      { email: "b@x", rank: 10 },
      { email: "b2@x", rank: 0 },
      { email: "b3@x", rank: 0 },
      { email: "b4@x", rank: 9 },
    ])
    // Nothing reached the default connection.
    expect(await Account.select().count()).toBe(0)
    expect(await Account.getOrNone(created.id)).toBeNull()
    // Query.using() routes a single query too.
    expect(await Account.select().using("b").count()).toBe(4)
  })

  test("instances remember their connection for save, delete and refresh", async () => {
    await connect((await backend.freshUrl()), { name: "a", autoMigrate: true })
    await connect((await backend.freshUrl()), { name: "b", autoMigrate: true })
    // Rows written behind the ORM's back; each is the first row of its table, so id 1. (The key
    // is left to the database: on PostgreSQL an explicit id would not advance the identity.)
    await execute("INSERT INTO cn_accounts (email, rank, tier) VALUES ('a@x', 0, 'free')", [], { using: "a" })
    await execute("INSERT INTO cn_accounts (email, rank, tier) VALUES ('b@x', 0, 'free')", [], { using: "b" })
    expect(await fetchAll("SELECT id FROM cn_accounts", [], { using: "a" })).toEqual([{ id: 1 }])
    expect(await fetchAll("SELECT id FROM cn_accounts", [], { using: "b" })).toEqual([{ id: 1 }])

    const fromB = await Account.using("b").get(1)
    expect(fromB.email).toBe("b@x")
    fromB.rank = 42
    await fromB.save()
    expect(await fetchOne("SELECT rank FROM cn_accounts WHERE id = 1", [], { using: "b" })).toEqual({ rank: 42 })
    expect(await fetchOne("SELECT rank FROM cn_accounts WHERE id = 1", [], { using: "a" })).toEqual({ rank: 0 })

    await execute("UPDATE cn_accounts SET tier = 'pro' WHERE id = 1", [], { using: "b" })
    await fromB.refresh()
    expect(fromB.tier).toBe("pro")

    // Still routed to b after the default changes.
    setDefaultConnection("a")
    const created = await Account.using("b").create({ email: "later@x" })
    created.rank = 7
    await created.save()
    expect(await fetchOne("SELECT rank FROM cn_accounts WHERE email = 'later@x'", [], { using: "b" })).toEqual({ rank: 7 })
    await fromB.delete()
    expect(await fetchAll("SELECT id FROM cn_accounts ORDER BY id", [], { using: "b" })).toEqual([{ id: created.id }])
    expect(await fetchAll("SELECT id FROM cn_accounts", [], { using: "a" })).toEqual([{ id: 1 }])
  })

  test("disconnect(name) closes one connection; disconnect() closes them all", async () => {
    const a = await connect((await backend.freshUrl()), { name: "a", autoMigrate: true })
    const b = await connect((await backend.freshUrl()), { name: "b", autoMigrate: true })
    const c = await connect((await backend.freshUrl()), { name: "c", autoMigrate: true })
    await disconnect("b")
    expect(() => getConnection("b")).toThrow(ConnectionError)
    expect(() => Account.using("b")).toThrow(ConnectionError)
    expect(isOpen(b)).toBe(false)
    expect(defaultConnectionName()).toBe("a")
    await expect(disconnect("b")).rejects.toBeInstanceOf(ConnectionError)
    // The name can be used again.
    await connect((await backend.freshUrl()), { name: "b" })

    await disconnect()
    for (const connection of [a, c]) expect(isOpen(connection)).toBe(false)
    expect(defaultConnectionName()).toBeNull()
    await expect(Account.select().count()).rejects.toBeInstanceOf(ConnectionError)
  })

  test("disconnecting the default picks the remaining connection, or none when ambiguous", async () => {
    await connect((await backend.freshUrl()), { name: "a", autoMigrate: true })
    await connect((await backend.freshUrl()), { name: "b", autoMigrate: true })
    await connect((await backend.freshUrl()), { name: "c", autoMigrate: true })
    await disconnect("a")
    expect(defaultConnectionName()).toBeNull()
    const error = await rejection(Account.select().count())
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as Error).message).toMatch(/setDefaultConnection/)
    setDefaultConnection("c")
    expect(await Account.select().count()).toBe(0)
    await disconnect("c")
    expect(defaultConnectionName()).toBe("b")
  })

  test("using an unknown connection name is a ConnectionError", async () => {
    await connect((await backend.freshUrl()), { name: "a", autoMigrate: true })
    expect(() => Account.using("nope")).toThrow(ConnectionError)
    expect(() => Account.using("nope")).toThrow(/nope/)
    await expect(Account.select().using("nope").all()).rejects.toBeInstanceOf(ConnectionError)
    await expect(fetchAll("SELECT 1", [], { using: "nope" })).rejects.toBeInstanceOf(ConnectionError)
    await expect(createTables({ using: "nope" })).rejects.toBeInstanceOf(ConnectionError)
    expect(() => setDefaultConnection("nope")).toThrow(ConnectionError)
  })

  test("a duplicate connection name is a ConnectionError and the first one keeps working", async () => {
    const url = (await backend.freshUrl())
    const first = await connect(url, { name: "a", autoMigrate: true })
    await Account.create({ email: "kept@x" })
    const error = await rejection(connect((await backend.freshUrl()), { name: "a" }))
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as Error).message).toContain("'a'")
    expect(getConnection("a")).toBe(first)
    expect(await Account.select().count()).toBe(1)
    // Connecting twice without a name collides on "default".
    await connect((await backend.freshUrl()))
    await expect(connect((await backend.freshUrl()))).rejects.toBeInstanceOf(ConnectionError)
  })

  test("an invalid connection name is refused and nothing is registered", async () => {
    await expect(connect((await backend.freshUrl()), { name: "has space" })).rejects.toBeInstanceOf(ConnectionError)
    await expect(connect((await backend.freshUrl()), { name: "" })).rejects.toBeInstanceOf(ConnectionError)
    expect(() => getConnection()).toThrow(ConnectionError)
  })

  test("with no connection every operation is a ConnectionError", async () => {
    const error = await rejection(Account.get(1))
    expect(error).toBeInstanceOf(ConnectionError)
    expect(error).toBeInstanceOf(FerroError)
    expect((error as ConnectionError)._tag).toBe("ConnectionError")
    expect((error as Error).message).toMatch(/connect/)
    await expect(Account.create({ email: "x@x" })).rejects.toBeInstanceOf(ConnectionError)
    await expect(Account.select().all()).rejects.toBeInstanceOf(ConnectionError)
    await expect(execute("SELECT 1")).rejects.toBeInstanceOf(ConnectionError)
    await expect(createTables()).rejects.toBeInstanceOf(ConnectionError)
    expect(() => getConnection()).toThrow(ConnectionError)
  })

  test("autoMigrate creates every registered table with its indexes", async () => {
    await connect((await backend.freshUrl()), { autoMigrate: true })
    expect(await schemaObjects()).toEqual([
      "index:idx_cn_accounts_rank",
      "index:uq_cn_accounts_email",
      "table:cn_accounts",
    ])
    expect(await createdIndexes("cn_accounts")).toEqual([
      { name: "idx_cn_accounts_rank", unique: false },
      { name: "uq_cn_accounts_email", unique: true },
    ])
  })

  test("without autoMigrate nothing is created; createTables() creates, and is idempotent", async () => {
    await connect((await backend.freshUrl()))
    await connect((await backend.freshUrl()), { name: "other" })
    expect(await schemaObjects()).toEqual([])
    const missing = await rejection(Account.select().count())
    expect(missing).toBeInstanceOf(QueryError)
    expect((missing as Error).message).toMatch(noSuchTable(backend.dialect, "cn_accounts"))
    await createTables()
    await Account.create({ email: "a@x" })
    await createTables()
    expect(await Account.select().count()).toBe(1)
    expect(await schemaObjects()).toEqual(["index:idx_cn_accounts_rank", "index:uq_cn_accounts_email", "table:cn_accounts"])
    expect(await schemaObjects("other")).toEqual([])
    await createTables({ using: "other" })
    expect(await schemaObjects("other")).toEqual(["index:idx_cn_accounts_rank", "index:uq_cn_accounts_email", "table:cn_accounts"])
  })

  test("resetEngine() closes and forgets every connection; models stay registered", async () => {
    const a = await connect((await backend.freshUrl()), { name: "a", autoMigrate: true })
    await connect((await backend.freshUrl()), { name: "b" })
    await resetEngine()
    expect(isOpen(a)).toBe(false)
    expect(defaultConnectionName()).toBeNull()
    expect(() => getConnection("a")).toThrow(ConnectionError)
    expect(() => getConnection("b")).toThrow(ConnectionError)
    await expect(Account.select().count()).rejects.toBeInstanceOf(ConnectionError)
    await resetEngine()
    // Names are free again and autoMigrate still knows the models.
    await connect((await backend.freshUrl()), { name: "a", autoMigrate: true })
    expect(await Account.select().count()).toBe(0)
  })
})

// SQLite URLs and files, and URL checks that never reach a database.
describe("connection URLs", () => {
  afterEach(async () => {
    await resetEngine()
  })

  test("sqlite::memory: databases are private to their connection", async () => {
    await connect("sqlite::memory:", { name: "m1", autoMigrate: true })
    await connect("sqlite::memory:", { name: "m2" })
    await Account.create({ email: "m1@x" })
    expect(await schemaObjects("m2")).toEqual([])
  })

  test("a file URL creates the file and its missing parent directories, and data persists", async () => {
    const dir = tempDir()
    const file = join(dir, "nested", "dir", "app.db")
    expect(existsSync(join(dir, "nested"))).toBe(false)
    await connect(`sqlite:${file}`, { autoMigrate: true })
    expect(existsSync(file)).toBe(true)
    await Account.create({ email: "persisted@x", rank: 4 })
    await disconnect()
    await connect(`sqlite:${file}`, { autoMigrate: true })
    expect((await Account.select().all()).map((a) => [a.email, a.rank])).toEqual([["persisted@x", 4]])
    // sqlite:///absolute/path spells the same file.
    await connect(`sqlite://${file}`, { name: "again" })
    expect(await Account.using("again").select().count()).toBe(1)
  })

  test("a read-only URL for a missing file is a ConnectionError and creates nothing", async () => {
    const file = join(tempDir(), "missing", "ro.db")
    const error = await rejection(connect(`sqlite:${file}?mode=ro`))
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as ConnectionError).cause).toBeInstanceOf(Error)
    expect(existsSync(file)).toBe(false)
    expect(() => getConnection()).toThrow(ConnectionError)
  })

  test("a path that cannot be created is a ConnectionError with the driver error as cause", async () => {
    const blocker = join(tempDir(), "a-file")
    writeFileSync(blocker, "not a directory")
    const error = await rejection(connect(`sqlite:${join(blocker, "sub", "app.db")}`))
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as ConnectionError).cause).toBeInstanceOf(Error)
    expect(() => getConnection()).toThrow(ConnectionError)
  })

  test("an unsupported scheme is a ConnectionError listing the supported ones, with the password redacted", async () => {
    const error = await rejection(connect("oracle://u:secret@h/db"))
    expect(error).toBeInstanceOf(ConnectionError)
    const { message, url } = error as ConnectionError
    expect(message).toContain("'oracle'")
    expect(message).toContain("sqlite")
    expect(message).toContain("postgres")
    expect(message).toContain("postgresql")
    expect(message).toContain("mysql")
    expect(message).toContain("mariadb")
    expect(message).not.toContain("secret")
    expect(String(url)).not.toContain("secret")
    expect(String((error as Error).stack)).not.toContain("secret")

    // A supported scheme with a secret in the query string: refused (MySQL URLs take no
    // user or password parameters) before connecting, the secret redacted, the rest shown.
    const query = await rejection(connect("mysql://h/db?user=u&password=secret&sslmode=require"))
    expect(query).toBeInstanceOf(ConnectionError)
    expect((query as Error).message).not.toContain("secret")
    expect((query as Error).message).toContain("sslmode=require")
    expect(String((query as ConnectionError).url)).not.toContain("secret")

    for (const bad of ["not a url", "http://example.com/db", "://nothing"]) {
      const e = await rejection(connect(bad))
      expect(e, bad).toBeInstanceOf(ConnectionError)
      expect((e as Error).message, bad).toContain("sqlite, postgres, postgresql")
    }
    // @ts-expect-error the URL must be a string
    await expect(connect(undefined)).rejects.toBeInstanceOf(ConnectionError)
    await expect(connect("")).rejects.toBeInstanceOf(ConnectionError)
    expect(() => getConnection()).toThrow(ConnectionError)
  })

  // BUG (core/src/redact.ts): the user-info pattern `[^/?#]*@` cannot cross '/', '#' or '?',
  // so an unencoded password containing one of them is not redacted at all and leaks into
  // ConnectionError messages. (A password containing '@' is handled since a35616f.)
  test("passwords with reserved characters are redacted too", async () => {
    for (const [url, secret] of [
      ["mysql://user:p@ssw0rd@host/db", "ssw0rd"],
      ["mysql://user:se/cret@host/db", "cret"],
      ["mysql://user:se#cret@host/db", "cret"],
      ["postgres://user:hunter?2@host/db", "hunter"],
    ] as const) {
      const error = await rejection(connect(url))
      expect(error, url).toBeInstanceOf(ConnectionError)
      expect((error as Error).message, url).not.toContain(secret)
      expect(String((error as ConnectionError).url), url).not.toContain(secret)
    }
  })

  // BUG (ferro/src/connect.ts): the connection name is validated by registerConnection(),
  // after the file was created and autoMigrate ran its DDL: bad input must fail first.
  test("an invalid connection name is refused before the database is touched", async () => {
    const file = join(tempDir(), "never.db")
    await expect(connect(`sqlite:${file}`, { name: "bad name", autoMigrate: true })).rejects.toBeInstanceOf(ConnectionError)
    expect(existsSync(file)).toBe(false)
  })

  // BUG (sqlite/src/url.ts + driver.ts): parseSqliteUrl runs decodeURIComponent outside the
  // constructor's try, so a '%' that is not an escape escapes as a raw URIError.
  test("a file name with a bare '%' opens, or fails as a ConnectionError", async () => {
    const file = join(tempDir(), "100%.db")
    const outcome = await connect(`sqlite:${file}`).then(
      () => "connected",
      (error: unknown) => error,
    )
    if (outcome !== "connected") expect(outcome).toBeInstanceOf(ConnectionError)
    else expect(existsSync(file)).toBe(true)
  })

  test("sqlite: with an empty path is a ConnectionError", async () => {
    for (const url of ["sqlite:", "sqlite://", "sqlite:?mode=rwc"]) {
      const error = await rejection(connect(url))
      expect(error, url).toBeInstanceOf(ConnectionError)
      expect((error as Error).message, url).toMatch(/sqlite::memory:/)
    }
    expect(() => getConnection()).toThrow(ConnectionError)
  })

  test("a failed autoMigrate rolls back and registers nothing", async () => {
    const file = join(tempDir(), "clash.db")
    await connect(`sqlite:${file}`)
    // A table squatting on the name of the unique index autoMigrate wants to create.
    await execute('CREATE TABLE "uq_cn_accounts_email" (x integer)')
    await disconnect()
    const error = await rejection(connect(`sqlite:${file}`, { autoMigrate: true }))
    expect(error).toBeInstanceOf(MigrationError)
    expect((error as MigrationError).cause).toBeInstanceOf(Error)
    expect(() => getConnection()).toThrow(ConnectionError)
    await connect(`sqlite:${file}`)
    // The CREATE TABLE that ran before the failing CREATE INDEX was rolled back.
    expect(await schemaObjects()).toEqual(["table:uq_cn_accounts_email"])
  })
})

/** The test server's URL with another password (encoded as a URL needs it). */
const withPassword = (password: string): string => {
  const url = new URL(postgresUrl())
  url.password = encodeURIComponent(password)
  return url.toString()
}

describe("PostgreSQL connection URLs", () => {
  afterEach(async () => {
    await resetEngine()
  })

  test("a wrong password is a ConnectionError that shows neither password", async () => {
    const rightPassword = decodeURIComponent(new URL(postgresUrl()).password)
    for (const wrong of ["Wr0ngSecret", "Wr0ng/Se?cr#et@x"]) {
      const error = await rejection(connect(withPassword(wrong), { autoMigrate: true }))
      expect(error, wrong).toBeInstanceOf(ConnectionError)
      expect(error, wrong).toBeInstanceOf(FerroError)
      const { message, url, stack } = error as ConnectionError
      expect(message, wrong).toMatch(/password authentication failed/)
      expect(message, wrong).toContain("<redacted>")
      for (const secret of [wrong, encodeURIComponent(wrong), "Wr0ng", rightPassword]) {
        expect(message, wrong).not.toContain(secret)
        expect(String(url), wrong).not.toContain(secret)
        expect(String(stack), wrong).not.toContain(secret)
      }
      expect(() => getConnection()).toThrow(ConnectionError)
    }
    // The right password connects.
    await connect(withPassword(rightPassword))
    expect(await fetchOne("SELECT 1 AS one")).toEqual({ one: 1 })
  })

  test("a password in the query string is redacted too", async () => {
    const url = new URL(postgresUrl())
    url.password = ""
    url.searchParams.set("password", "Qu3rySecret")
    url.searchParams.set("application_name", "ferro_redaction")
    const error = await rejection(connect(url.toString()))
    expect(error).toBeInstanceOf(ConnectionError)
    const { message, url: shown } = error as ConnectionError
    expect(message).toMatch(/password authentication failed/)
    expect(message).toContain("password=<redacted>")
    expect(message).not.toContain("Qu3rySecret")
    expect(String(shown)).not.toContain("Qu3rySecret")
    expect(String((error as Error).stack)).not.toContain("Qu3rySecret")
    expect(message).toContain("application_name=ferro_redaction")
  })

  test("an unreachable server is a ConnectionError with the password redacted, whatever it holds", async () => {
    for (const [url, secrets] of [
      ["postgres://someone:TopSecret1@127.0.0.1:1/db", ["TopSecret1"]],
      ["postgresql://someone:Top%2FSe%3Fcr%23et@127.0.0.1:1/db?sslmode=disable", ["Top%2FSe", "Top/Se", "cr#et", "cr%23et"]],
      ["postgres://someone:p@ssw0rd@127.0.0.1:1/db", ["ssw0rd"]],
    ] as const) {
      const error = await rejection(connect(url))
      expect(error, url).toBeInstanceOf(ConnectionError)
      expect((error as Error).message, url).toContain("someone:<redacted>@")
      for (const secret of secrets) {
        expect((error as Error).message, url).not.toContain(secret)
        expect(String((error as ConnectionError).url), url).not.toContain(secret)
        expect(String((error as Error).stack), url).not.toContain(secret)
      }
    }
    expect(() => getConnection()).toThrow(ConnectionError)
  })

  test("an invalid connection name is refused before the database is touched", async () => {
    const url = await freshPostgresUrl()
    await expect(connect(url, { name: "bad name", autoMigrate: true })).rejects.toBeInstanceOf(ConnectionError)
    expect(() => getConnection()).toThrow(ConnectionError)
    await connect(url)
    expect(await schemaObjects()).toEqual([])
  })

  test("a failed autoMigrate rolls back and registers nothing", async () => {
    const url = await freshPostgresUrl()
    await connect(url)
    // A table squatting on the name of the unique index autoMigrate wants to create.
    await execute('CREATE TABLE "uq_cn_accounts_email" (x integer)')
    await disconnect()
    const error = await rejection(connect(url, { autoMigrate: true }))
    expect(error).toBeInstanceOf(MigrationError)
    // Refused before any DDL ran (PostgreSQL would skip the index silently), saying what to do.
    expect((error as MigrationError).message).toMatch(/uq_cn_accounts_email.*already exists.*Rename or drop it/)
    expect(() => getConnection()).toThrow(ConnectionError)
    await connect(url)
    // No table was created either.
    expect(await schemaObjects()).toEqual(["table:uq_cn_accounts_email"])
  })
})
