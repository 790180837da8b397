/**
 * `mysql://` URL parsing (packages/mysql/src/url.ts): what mysql2 gets, TLS parameters, and
 * bad input refused with a ConnectionError that never shows the password. The last tests
 * connect to the MariaDB server the global setup started (wrong password, unreachable port).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, inject, test } from "vitest"
import { ConnectionError } from "@ferro/core/internal"
import { MysqlDriver, openMysql, parseMysqlUrl } from "../src/index.js"

declare module "vitest" {
  export interface ProvidedContext {
    mysqlUrl: string
  }
}

const dir = mkdtempSync(join(tmpdir(), "ferro-mysql-url-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The error `fn` throws (fails the test when it returns). */
const thrown = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error("expected a throw")
}

const rejection = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error("expected a rejection")
    },
    (error: unknown) => error,
  )

/** A ConnectionError whose message, url and stack show none of `secrets`. */
const expectRedacted = (error: unknown, secrets: ReadonlyArray<string>): void => {
  expect(error).toBeInstanceOf(ConnectionError)
  const { message, url, stack } = error as ConnectionError
  for (const secret of secrets) {
    expect(message).not.toContain(secret)
    expect(String(url)).not.toContain(secret)
    expect(String(stack)).not.toContain(secret)
  }
}

describe("parseMysqlUrl", () => {
  test("host, port, user, password, database", () => {
    expect(parseMysqlUrl("mysql://app:pw@db.example.com:3307/shop")).toEqual({
      host: "db.example.com",
      port: 3307,
      user: "app",
      password: "pw",
      database: "shop",
      ssl: null,
    })
    // Defaults: port 3306, no database, no TLS; mariadb:// is the same scheme.
    expect(parseMysqlUrl("mariadb://root@localhost")).toMatchObject({ host: "localhost", port: 3306, user: "root", password: "", database: null })
    expect(parseMysqlUrl("MYSQL://u@h/")).toMatchObject({ host: "h", database: null })
    // IPv6 literal without its brackets.
    expect(parseMysqlUrl("mysql://u:p@[::1]:3306/db").host).toBe("::1")
  })

  test("percent-encoded user, password and database are decoded", () => {
    const parsed = parseMysqlUrl("mysql://us%40er:p%2Fw%3F%23%40x@h/my%20db")
    expect(parsed.user).toBe("us@er")
    expect(parsed.password).toBe("p/w?#@x")
    expect(parsed.database).toBe("my db")
  })

  test("TLS: sslmode, ssl, and PEM files", () => {
    expect(parseMysqlUrl("mysql://u@h/db?sslmode=disable").ssl).toBeNull()
    expect(parseMysqlUrl("mysql://u@h/db?sslmode=prefer").ssl).toBeNull()
    expect(parseMysqlUrl("mysql://u@h/db?sslmode=require").ssl).toEqual({ rejectUnauthorized: false })
    for (const mode of ["verify-ca", "verify-full", "verify-identity", "VERIFY-FULL"]) {
      expect(parseMysqlUrl(`mysql://u@h/db?sslmode=${mode}`).ssl, mode).toEqual({ rejectUnauthorized: true })
    }
    expect(parseMysqlUrl("mysql://u@h/db?ssl-mode=require").ssl).toEqual({ rejectUnauthorized: false })
    expect(parseMysqlUrl("mysql://u@h/db?ssl=true").ssl).toEqual({ rejectUnauthorized: true })
    expect(parseMysqlUrl("mysql://u@h/db?ssl=false").ssl).toBeNull()
    const ca = join(dir, "ca.pem")
    const cert = join(dir, "cert.pem")
    const key = join(dir, "key.pem")
    writeFileSync(ca, "CA PEM")
    writeFileSync(cert, "CERT PEM")
    writeFileSync(key, "KEY PEM")
    // Files alone mean a verified connection; with sslmode=require they are sent, unverified.
    expect(parseMysqlUrl(`mysql://u@h/db?sslrootcert=${encodeURIComponent(ca)}`).ssl).toEqual({ rejectUnauthorized: true, ca: "CA PEM" })
    expect(
      parseMysqlUrl(`mysql://u@h/db?sslmode=require&sslrootcert=${ca}&sslcert=${cert}&sslkey=${key}`).ssl,
    ).toEqual({ rejectUnauthorized: false, ca: "CA PEM", cert: "CERT PEM", key: "KEY PEM" })
  })

  test("bad input is a ConnectionError that shows no password", () => {
    const cases: ReadonlyArray<readonly [string, RegExp]> = [
      ["postgres://u:TopSecret1@h/db", /Not a MySQL URL/],
      ["mysql://u:TopSecret1@h/db?sslmode=sometimes", /Invalid sslmode 'sometimes'/],
      ["mysql://u:TopSecret1@h/db?ssl=yes", /Invalid ssl 'yes'/],
      ["mysql://u:TopSecret1@h/db?sslmod=require", /Unknown parameter 'sslmod'/],
      ["mysql://u:TopSecret1@h/db?password=TopSecret1", /Unknown parameter 'password'/],
      ["mysql://u:TopSecret1@h/one/two", /one database name/],
      ["mysql://u:TopSecret1@h:99999/db", /Invalid MySQL URL/],
      ["mysql://u:TopSecret1%zz@h/db", /password is not valid percent-encoding/],
      [`mysql://u:TopSecret1@h/db?sslrootcert=${join(dir, "missing.pem")}`, /Cannot read sslrootcert/],
    ]
    for (const [url, message] of cases) {
      const error = thrown(() => parseMysqlUrl(url))
      expect(error, url).toBeInstanceOf(ConnectionError)
      expect((error as Error).message, url).toMatch(message)
      expectRedacted(error, ["TopSecret1"])
    }
  })

  test("timeouts are checked before anything connects", () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 31, "100"]) {
      for (const option of ["statementTimeout", "lockTimeout"] as const) {
        const error = thrown(() => new MysqlDriver("mysql://u:TopSecret1@127.0.0.1:1/db", {}, { [option]: bad } as never))
        expect((error as Error).message).toContain(option)
        expectRedacted(error, ["TopSecret1"])
      }
    }
  })
})

describe("connecting", () => {
  const serverUrl = (): URL => new URL(inject("mysqlUrl"))

  test("a wrong password is a ConnectionError that shows neither password", async () => {
    const url = serverUrl()
    const right = decodeURIComponent(url.password)
    for (const wrong of ["Wr0ngSecret", "Wr0ng/Se?cr#et@x"]) {
      url.password = encodeURIComponent(wrong)
      const error = await rejection(openMysql(url.toString()))
      expect((error as Error).message, wrong).toMatch(/Access denied/)
      expect((error as Error).message, wrong).toContain("<redacted>")
      expectRedacted(error, [wrong, encodeURIComponent(wrong), "Wr0ng", right])
    }
  })

  test("an unreachable server is a ConnectionError with the password redacted", async () => {
    const error = await rejection(openMysql("mysql://someone:TopSecret1@127.0.0.1:1/db"))
    expect((error as Error).message).toContain("someone:<redacted>@")
    expectRedacted(error, ["TopSecret1"])
  })

  test("the right URL connects and says whether the server is MariaDB", async () => {
    const driver = await openMysql(serverUrl().toString())
    try {
      expect(driver.mariadb).toBe(true)
      expect(await driver.objects({ sql: "SELECT 1 + 1 AS two", params: [] })).toEqual([{ two: 2 }])
      expect(driver.url).not.toContain(decodeURIComponent(serverUrl().password))
    } finally {
      await driver.close()
    }
  })
})
