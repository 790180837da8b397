/**
 * Raw SQL (SPEC §2 "Raw SQL", "Errors"): execute / fetchAll / fetchOne, the `sql` tagged
 * template, parameter encoding, and errors that never leak bound values.
 *
 * String statements are passed to the database as written, so they use the backend's own
 * placeholders: `?` on SQLite and MySQL, `$1, $2, ...` on PostgreSQL (the `sql` template writes the right
 * ones itself). `native()` spells a statement written with `?` for the backend under test.
 */
import { beforeEach, expect, test } from "vitest"
import { getConnection } from "@ferro/core/internal"
import { ConnectionError, FerroError, QueryError, connect, execute, fetchAll, fetchOne, sql } from "ferro-orm"
import { describeEachBackend } from "./support/backends.js"

const TABLE = "raw_items"

const statements = () => getConnection().driver.statementCount

describeEachBackend("raw SQL", (backend) => {
  const sqlite = backend.dialect === "sqlite"
  const mysql = backend.dialect === "mysql"
  const postgres = backend.dialect === "postgres"
  /** `?` placeholders as this backend writes them. */
  const native = (text: string): string => {
    let n = 0
    return postgres ? text.replace(/\?/g, () => `$${++n}`) : text
  }
  /** How many tables called `name` the database has (SQLite: sqlite_master; PostgreSQL: the pinned schema; MySQL: the database). */
  const tableCount = (name: string) =>
    sqlite
      ? fetchOne(sql`SELECT count(*) AS c FROM sqlite_master WHERE name = ${name}`)
      : mysql
        ? fetchOne(sql`SELECT count(*) AS c FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ${name}`)
        : fetchOne(sql`SELECT count(*) AS c FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ${name}`)

  beforeEach(async () => {
    await connect((await backend.freshUrl()))
    // Each backend's natural column types: SQLite stores booleans as integers and Dates as ISO
    // text; MySQL's BOOLEAN is tinyint(1) and DATETIME(3) holds a UTC time (the session is UTC).
    await execute(
      sqlite
        ? `CREATE TABLE ${TABLE} (id integer PRIMARY KEY, name text, n integer, flag integer, at text, data blob, big integer)`
        : mysql
          ? `CREATE TABLE ${TABLE} (id integer PRIMARY KEY, name text, n integer, flag boolean, at datetime(3), data longblob, big bigint)`
          : `CREATE TABLE ${TABLE} (id integer PRIMARY KEY, name text, n integer, flag boolean, at timestamptz, data bytea, big bigint)`,
    )
  })

  test.runIf(!postgres)("string statements bind ? placeholders in order (SQLite, MySQL)", async () => {
    expect(await execute(`INSERT INTO ${TABLE} (id, name, n) VALUES (?, ?, ?)`, [1, "a", 10])).toBe(1)
    expect(await fetchAll(`SELECT id, name FROM ${TABLE} WHERE n = ? AND name = ?`, [10, "a"])).toEqual([{ id: 1, name: "a" }])
    expect(await fetchOne(`SELECT name FROM ${TABLE} WHERE id = ?`, [1])).toEqual({ name: "a" })
  })

  test.runIf(postgres)("string statements bind $n placeholders by number (PostgreSQL)", async () => {
    expect(await execute(`INSERT INTO ${TABLE} (id, name, n) VALUES ($1, $2, $3)`, [1, "a", 10])).toBe(1)
    expect(await fetchAll(`SELECT id, name FROM ${TABLE} WHERE n = $1 AND name = $2`, [10, "a"])).toEqual([{ id: 1, name: "a" }])
    // A numbered placeholder may be used more than once and out of order.
    expect(await fetchAll(`SELECT id FROM ${TABLE} WHERE name = $2 AND (n = $1 OR id = $1)`, [10, "a"])).toEqual([{ id: 1 }])
    expect(await fetchOne(`SELECT name FROM ${TABLE} WHERE id = $1`, [1])).toEqual({ name: "a" })
    // `?` is not a placeholder on PostgreSQL: a clear QueryError, not a silent mis-bind.
    await expect(fetchAll(`SELECT name FROM ${TABLE} WHERE id = ?`, [1])).rejects.toBeInstanceOf(QueryError)
  })

  // PostgreSQL has richer column types than SQLite; raw SQL reads each as the JS value the
  // ORM would use for it, with nothing inexact: int8 as a number only when that is exact,
  // numeric as its exact digits.
  test.runIf(postgres)("raw SQL reads PostgreSQL types as exact JS values (PostgreSQL)", async () => {
    const row = await fetchOne(sql`
      SELECT true AS yes, false AS no, 5::int8 AS small, ${2n ** 60n + 1n}::int8 AS huge, 7::int4 AS int4, 1.5::float8 AS float,
        ${"12345678901234567890.10"}::numeric AS exact, '2024-02-29'::date AS day, '23:59:59.999999'::time AS clock,
        '2024-03-15 10:20:30.123+05:30'::timestamptz AS at, '{"a": [1, "ü"]}'::jsonb AS doc, '\\x00ff'::bytea AS bytes,
        'Ünïcødé'::text AS label, NULL::int8 AS nothing`)
    expect(row).toEqual({
      yes: true,
      no: false,
      small: 5,
      huge: 2n ** 60n + 1n,
      int4: 7,
      float: 1.5,
      exact: "12345678901234567890.10",
      day: "2024-02-29",
      clock: "23:59:59.999999",
      at: new Date("2024-03-15T04:50:30.123Z"),
      doc: { a: [1, "ü"] },
      bytes: Buffer.from([0, 255]),
      label: "Ünïcødé",
      nothing: null,
    })
    expect(row!.bytes).toBeInstanceOf(Uint8Array)
  })

  // MySQL has no boolean type and mysql2 reads dates, times and DECIMAL as text: raw SQL
  // returns what the driver gives, nothing inexact. BIGINT is a number when exact, else a
  // bigint, as on the other backends.
  test.runIf(mysql)("raw SQL reads MySQL types as the driver gives them, exactly (MySQL)", async () => {
    const row = await fetchOne(sql`
      SELECT TRUE AS yes, FALSE AS no, CAST(5 AS SIGNED) AS small, CAST(${2n ** 60n + 1n} AS SIGNED) AS huge, 7 AS "int4",
        CAST(1.5 AS DOUBLE) AS "float", CAST(${"12345678901234567890.10"} AS DECIMAL(30, 2)) AS exact, DATE '2024-02-29' AS day,
        CAST('23:59:59.999999' AS TIME(6)) AS clock, CAST('2024-03-15 04:50:30.123' AS DATETIME(3)) AS at,
        JSON_OBJECT('a', JSON_ARRAY(1, 'ü')) AS doc, X'00FF' AS bytes, 'Ünïcødé' AS label, NULL AS nothing`)
    expect(row).toEqual({
      yes: 1,
      no: 0,
      small: 5,
      huge: 2n ** 60n + 1n,
      int4: 7,
      float: 1.5,
      exact: "12345678901234567890.10",
      day: "2024-02-29",
      clock: "23:59:59.999999",
      at: "2024-03-15 04:50:30.123",
      // JSON as the text the server prints (MariaDB's JSON is text; mysql2 runs with jsonStrings).
      doc: '{"a": [1, "ü"]}',
      bytes: Buffer.from([0, 255]),
      label: "Ünïcødé",
      nothing: null,
    })
    expect(row!.bytes).toBeInstanceOf(Uint8Array)
  })

  test("execute returns the number of rows affected", async () => {
    expect(await execute(native(`INSERT INTO ${TABLE} (id, name, n) VALUES (?, ?, ?)`), [1, "a", 1])).toBe(1)
    expect(await execute(native(`INSERT INTO ${TABLE} (id, name, n) VALUES (?, ?, ?), (?, ?, ?)`), [2, "b", 2, 3, "c", 3])).toBe(2)
    expect(await execute(native(`UPDATE ${TABLE} SET n = n + 10 WHERE n >= ?`), [2])).toBe(2)
    expect(await execute(native(`UPDATE ${TABLE} SET n = 0 WHERE id = ?`), [404])).toBe(0)
    expect(await execute(`DELETE FROM ${TABLE}`)).toBe(3)
    expect(await fetchAll(`SELECT * FROM ${TABLE}`)).toEqual([])
  })

  test("fetchAll returns row objects keyed by column name; fetchOne a row or null", async () => {
    await execute(`INSERT INTO ${TABLE} (id, name, n) VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', NULL)`)
    const rows = await fetchAll<{ id: number; name: string; n: number | null }>(`SELECT id, name, n FROM ${TABLE} ORDER BY id`)
    expect(rows).toEqual([
      { id: 1, name: "a", n: 10 },
      { id: 2, name: "b", n: 20 },
      { id: 3, name: "c", n: null },
    ])
    expect(await fetchAll(native(`SELECT name AS label, n * 2 AS doubled FROM ${TABLE} WHERE id = ?`), [2])).toEqual([{ label: "b", doubled: 40 }])
    expect(await fetchAll(native(`SELECT * FROM ${TABLE} WHERE id > ?`), [99])).toEqual([])
    expect(await fetchOne(`SELECT name FROM ${TABLE} ORDER BY id DESC`)).toEqual({ name: "c" })
    expect(await fetchOne(native(`SELECT name FROM ${TABLE} WHERE id = ?`), [42])).toBeNull()
  })

  test("the sql template binds every interpolation: injection text is stored as data", async () => {
    const evil = `x'); DROP TABLE ${TABLE}; --`
    const alsoEvil = `'; DROP TABLE ${TABLE}; --`
    expect(await execute(sql`INSERT INTO ${sql.raw(TABLE)} (id, name) VALUES (${1}, ${evil})`)).toBe(1)
    expect(await execute(sql`INSERT INTO raw_items (id, name) VALUES (${2}, ${alsoEvil})`)).toBe(1)
    // The table survived and holds the text verbatim.
    expect(await fetchAll(sql`SELECT name FROM raw_items ORDER BY id`)).toEqual([{ name: evil }, { name: alsoEvil }])
    // In a WHERE clause the text is compared, not executed.
    expect(await fetchAll(sql`SELECT id FROM raw_items WHERE name = ${alsoEvil}`)).toEqual([{ id: 2 }])
    expect(await fetchAll(sql`SELECT id FROM raw_items WHERE name = ${"' OR '1'='1"}`)).toEqual([])
    expect(await tableCount(TABLE)).toEqual({ c: 1 })
  })

  test("nested fragments splice in, keeping parameter order", async () => {
    await execute(`INSERT INTO ${TABLE} (id, name, n) VALUES (1, 'a', 5), (2, 'b', 15), (3, 'b', 25), (4, 'c', 35)`)
    const minimum = sql`n > ${10}`
    const named = sql`name = ${"b"}`
    const both = sql`${minimum} AND ${named}`
    const rows = await fetchAll(sql`SELECT id FROM raw_items WHERE ${both} AND n < ${30} ORDER BY id`)
    expect(rows).toEqual([{ id: 2 }, { id: 3 }])
    // Deeper nesting and a fragment reused twice.
    const page = sql`LIMIT ${1} OFFSET ${sql`${1}`}`
    expect(await fetchAll(sql`SELECT id FROM raw_items WHERE ${named} OR (${named} AND ${minimum}) ORDER BY id ${page}`)).toEqual([{ id: 3 }])
  })

  test("sql.identifier quotes names, sql.join lists values and fragments", async () => {
    const weird = `we"ird table`
    await execute(sql`CREATE TABLE ${sql.identifier(weird)} (${sql.identifier("select")} integer, ${sql.identifier('co"l')} text)`)
    expect(await execute(sql`INSERT INTO ${sql.identifier(weird)} VALUES (${1}, ${"one"}), (${2}, ${"two"}), (${3}, ${"three"})`)).toBe(3)
    const ids = [1, 3]
    const rows = await fetchAll(
      sql`SELECT ${sql.join([sql.identifier("select"), sql.identifier('co"l')])} FROM ${sql.identifier(weird)} WHERE ${sql.identifier("select")} IN (${sql.join(ids)}) ORDER BY 1`,
    )
    expect(rows).toEqual([
      { select: 1, 'co"l': "one" },
      { select: 3, 'co"l': "three" },
    ])
    // Identifiers cannot break out of their quotes.
    await expect(fetchAll(sql`SELECT * FROM ${sql.identifier(`${TABLE}"; DROP TABLE "${TABLE}`)}`)).rejects.toBeInstanceOf(QueryError)
    expect(await tableCount(TABLE)).toEqual({ c: 1 })

    // Joined fragments with a custom separator; values inside stay bound.
    await execute(`INSERT INTO ${TABLE} (id, name, n) VALUES (1, 'a', 1), (2, 'b', 2), (3, 'b', 3)`)
    const conditions = [sql`name = ${"b"}`, sql`n >= ${3}`]
    expect(await fetchAll(sql`SELECT id FROM raw_items WHERE ${sql.join(conditions, " AND ")}`)).toEqual([{ id: 3 }])
    expect(await fetchAll(sql`SELECT id FROM raw_items WHERE ${sql.join(conditions, " OR ")} ORDER BY id`)).toEqual([{ id: 2 }, { id: 3 }])
  })

  test("raw parameters: booleans, Dates, bytes, bigints, null and JSON-able objects", async () => {
    const at = new Date("2024-03-15T10:20:30.123+05:30")
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
    const huge = 2n ** 63n - 1n
    await execute(native(`INSERT INTO ${TABLE} (id, flag, at, data, big, name) VALUES (?, ?, ?, ?, ?, ?)`), [1, true, at, bytes, huge, null])
    await execute(sql`INSERT INTO raw_items (id, flag, big, name) VALUES (${2}, ${false}, ${-(2n ** 63n)}, ${{ a: [1, "ü"] }})`)
    const first = await fetchOne<{ flag: number | boolean; at: string | Date; data: Uint8Array; big: bigint; name: null }>(
      `SELECT flag, at, data, big, name FROM ${TABLE} WHERE id = 1`,
    )
    // SQLite: a boolean is stored as 1/0 and a Date as its ISO text. PostgreSQL: boolean and
    // timestamptz columns, read back as a boolean and a Date. MySQL: BOOLEAN is tinyint(1),
    // read back as 1/0 as mysql2 gives it, and DATETIME as its UTC text (mysql2's dateStrings).
    expect(first!.flag).toBe(postgres ? true : 1)
    if (sqlite) expect(first!.at).toBe("2024-03-15T04:50:30.123Z")
    else if (mysql) expect(first!.at).toBe("2024-03-15 04:50:30.123")
    else expect(first!.at).toBeInstanceOf(Date)
    expect(new Date(mysql ? `${String(first!.at).replace(" ", "T")}Z` : first!.at).getTime()).toBe(at.getTime())
    expect(first!.data).toBeInstanceOf(Uint8Array)
    expect(Array.from(first!.data)).toEqual(Array.from(bytes))
    expect(first!.big).toBe(huge)
    expect(first!.name).toBeNull()
    const second = await fetchOne(`SELECT flag, big, name FROM ${TABLE} WHERE id = 2`)
    expect(second).toEqual({ flag: postgres ? false : 0, big: -(2n ** 63n), name: JSON.stringify({ a: [1, "ü"] }) })
    // Integers within the safe range come back as plain numbers. (PostgreSQL needs the type of
    // a bare parameter spelled out; untyped it would be text. So does MySQL: mysql2 binds a
    // bigint as its decimal text.)
    const pair = postgres
      ? "SELECT $1::bigint AS small, $2::bigint AS beyond"
      : mysql
        ? "SELECT CAST(? AS SIGNED) AS small, CAST(? AS SIGNED) AS beyond"
        : "SELECT ? AS small, ? AS beyond"
    expect(await fetchOne(pair, [2n ** 53n - 1n, 2n ** 53n])).toEqual({ small: 2 ** 53 - 1, beyond: 2n ** 53n })
    // Booleans and Dates bind the same way inside filters.
    expect(await fetchAll(sql`SELECT id FROM raw_items WHERE flag = ${true}`)).toEqual([{ id: 1 }])
    expect(await fetchAll(sql`SELECT id FROM raw_items WHERE at = ${new Date(at.getTime())}`)).toEqual([{ id: 1 }])
    expect(await fetchAll(sql`SELECT id FROM raw_items WHERE data = ${bytes}`)).toEqual([{ id: 1 }])
  })

  test("values that cannot be bound raise QueryError before any SQL runs, without the value", async () => {
    const secretFn = () => "hunter2-function-body"
    const cases: ReadonlyArray<readonly [string, () => Promise<unknown>]> = [
      ["function", () => execute(native(`INSERT INTO ${TABLE} (name) VALUES (?)`), [secretFn])],
      ["symbol", () => execute(native(`INSERT INTO ${TABLE} (name) VALUES (?)`), [Symbol("hunter2-symbol")])],
      ["undefined", () => execute(native(`INSERT INTO ${TABLE} (name) VALUES (?)`), [undefined])],
      ["template function", () => fetchAll(sql`SELECT * FROM raw_items WHERE name = ${secretFn}`)],
      ["template undefined", () => fetchOne(sql`SELECT * FROM raw_items WHERE name = ${undefined}`)],
      ["invalid Date", () => execute(native(`INSERT INTO ${TABLE} (at) VALUES (?)`), [new Date("hunter2")])],
    ]
    for (const [label, run] of cases) {
      const before = statements()
      const error = await run().then(
        () => null,
        (e: unknown) => e,
      )
      expect(error, label).toBeInstanceOf(QueryError)
      expect(error, label).toBeInstanceOf(FerroError)
      const queryError = error as QueryError
      expect(queryError._tag).toBe("QueryError")
      expect(queryError.message, label).not.toContain("hunter2")
      expect(queryError.message, label).toMatch(/parameter 1/)
      expect(queryError.parameterCount, label).toBe(1)
      expect(statements(), label).toBe(before)
    }
    expect(await fetchAll(`SELECT * FROM ${TABLE}`)).toEqual([])
  })

  // BUG (query/src/values.ts encodeRawValue): every non-Date/non-Uint8Array object is
  // JSON.stringify'd, so a Map, Set or ArrayBuffer is silently stored as the text "{}".
  test("a Map, Set or ArrayBuffer parameter is never silently stored as '{}'", async () => {
    for (const [label, value] of [
      ["Map", new Map([["secret", 1]])],
      ["Set", new Set([1, 2])],
    ] as const) {
      const before = statements()
      await expect(execute(native(`INSERT INTO ${TABLE} (name) VALUES (?)`), [value]), label).rejects.toBeInstanceOf(QueryError)
      expect(statements(), label).toBe(before)
    }
    const buffer = Uint8Array.from([0, 1, 255]).buffer
    const stored = await execute(native(`INSERT INTO ${TABLE} (id, data) VALUES (1, ?)`), [buffer]).then(
      async () => (await fetchOne<{ data: unknown }>(`SELECT data FROM ${TABLE} WHERE id = 1`))!.data,
      (error: unknown) => error,
    )
    // Either bound as its bytes, or refused: never the text "{}".
    if (stored instanceof QueryError) return
    expect(stored).toBeInstanceOf(Uint8Array)
    expect(Array.from(stored as Uint8Array)).toEqual([0, 1, 255])
  })

  test("a SQL error raises QueryError with the SQL text and parameter count, never the values", async () => {
    const secret = "sk_live_SUPERSECRET_4242"
    const text = native(`INSERT INTO ${TABLE} (id, name) VALUSE (?, ?)`)
    const error = await execute(text, [7, secret]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(QueryError)
    const queryError = error as QueryError
    expect(queryError.message).toContain(text)
    expect(queryError.message).toContain("2 parameters")
    expect(queryError.message).not.toContain(secret)
    expect(queryError.message).not.toContain("SUPERSECRET")
    expect(queryError.sql).toBe(text)
    expect(queryError.parameterCount).toBe(2)
    expect(queryError.cause).toBeInstanceOf(Error)
    expect(String(queryError.stack)).not.toContain(secret)

    // Errors raised while running (not preparing) behave the same.
    const unknown = await fetchAll(sql`SELECT * FROM no_such_table WHERE name = ${secret}`).catch((e: unknown) => e)
    expect(unknown).toBeInstanceOf(QueryError)
    expect((unknown as QueryError).message).toContain("no_such_table")
    expect((unknown as QueryError).message).toContain("1 parameter")
    expect((unknown as QueryError).message).not.toContain(secret)

    // MySQL: mysql2 sends every value given and the server does not refuse extra ones, it reads
    // the parameters misaligned (`SELECT ? AS a` with [1, 2] gives 2.5e-323); the driver
    // compares the count with the statement's placeholders and refuses before sending.
    const tooMany = await fetchAll(native(`SELECT * FROM ${TABLE} WHERE name = ?`), [secret, secret]).catch((e: unknown) => e)
    expect(tooMany).toBeInstanceOf(QueryError)
    expect((tooMany as QueryError).message).not.toContain(secret)
    expect((tooMany as QueryError).parameterCount).toBe(2)
  })

  test("malformed calls are rejected with QueryError", async () => {
    await expect(execute("   ")).rejects.toBeInstanceOf(QueryError)
    await expect(execute(sql`SELECT ${1}`, [2])).rejects.toBeInstanceOf(QueryError)
    // @ts-expect-error parameters must be an array
    await expect(execute(`SELECT ?`, 1)).rejects.toBeInstanceOf(QueryError)
    // @ts-expect-error the statement must be a string or a sql`` fragment
    await expect(fetchAll(42)).rejects.toBeInstanceOf(QueryError)
  })

  test("{ using } runs the statement on the named connection", async () => {
    await connect((await backend.freshUrl()), { name: "other" })
    await execute(`CREATE TABLE ${TABLE} (id integer PRIMARY KEY, name text)`, [], { using: "other" })
    expect(await execute(native(`INSERT INTO ${TABLE} (id, name) VALUES (?, ?)`), [1, "there"], { using: "other" })).toBe(1)
    expect(await fetchAll(`SELECT name FROM ${TABLE}`, [], { using: "other" })).toEqual([{ name: "there" }])
    expect(await fetchOne(sql`SELECT name FROM raw_items WHERE id = ${1}`, undefined, { using: "other" })).toEqual({ name: "there" })
    expect(await fetchAll(`SELECT name FROM ${TABLE}`)).toEqual([])
    await expect(execute("SELECT 1", [], { using: "missing" })).rejects.toBeInstanceOf(ConnectionError)
  })
})
