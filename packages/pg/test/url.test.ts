/** `postgres://` URLs: what pg receives, the pinned schema, and errors that never show a password. */
import { ConnectionError } from "@ferro/core"
import { describe, expect, test } from "vitest"
import { parsePostgresUrl } from "../src/index.js"

describe("parsePostgresUrl", () => {
  test("passes pg every parameter but Ferro's own schema", () => {
    const location = parsePostgresUrl("postgresql://app:s3cret@db.local:6543/shop?schema=tenant_1&sslmode=require")
    expect(location.schema).toBe("tenant_1")
    const url = new URL(location.connectionString)
    expect(url.searchParams.get("sslmode")).toBe("require")
    expect(url.searchParams.has("schema")).toBe(false)
    expect(url.password).toBe("s3cret")
    expect(parsePostgresUrl("postgres://localhost/db").schema).toBeNull()
  })

  test.each([
    ["mysql://u:hunter2@h/db", /Not a PostgreSQL URL/],
    ["postgres://u:hunter2@[bad/db", /Invalid PostgreSQL URL/],
    ["postgres://u:hunter2@h/db?schema=pg_temp", /reserved/],
    ["postgres://u:hunter2@h/db?schema=1bad;drop", /letters, digits/],
  ])("refuses %s with a ConnectionError that hides the password", (url, message) => {
    let error: unknown
    try {
      parsePostgresUrl(url)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as Error).message).toMatch(message)
    expect(JSON.stringify(error)).not.toContain("hunter2")
    expect(String(error)).not.toContain("hunter2")
  })
})
