/**
 * The native addon's own contract, below the driver: what it binds, what it hands back, how
 * it fails, and that its ISO-8601 fast path agrees with `Date.parse` everywhere.
 */
import { describe, expect, test } from "vitest"
import { type NativeDatabase, loadNativeEngine } from "../src/index.js"

const open = (): NativeDatabase => {
  const engine = loadNativeEngine()
  if (!engine.available) throw new Error(`native engine unavailable: ${engine.reason}`)
  return new engine.binding.NativeDatabase(":memory:", false, 1000)
}

const collect = (db: NativeDatabase, sql: string, params: Array<unknown> = [], bigints = false, epoch?: Uint8Array) => {
  const rows: Array<Array<unknown>> = []
  db.prepare(sql).each(params, bigints, (...cells) => rows.push(cells), epoch)
  return rows
}

describe("native engine", () => {
  test("it compiles the SQLite better-sqlite3 ships", async () => {
    const engine = loadNativeEngine()
    expect(engine.available).toBe(true)
    const Database = (await import("better-sqlite3")).default
    const reference = new Database(":memory:")
    const { v } = reference.prepare("SELECT sqlite_version() AS v").get() as { v: string }
    reference.close()
    expect(engine.available && engine.binding.sqliteVersion).toBe(v)
  })

  test("binds and returns every storage class as better-sqlite3 does", () => {
    const db = open()
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
    const [row] = collect(db, "SELECT ?, ?, ?, ?, ?, ?, typeof(?)", [1.5, 2n ** 62n, "ü 🎉", bytes, null, undefined, 3], true)
    expect(row).toEqual([1.5, 2n ** 62n, "ü 🎉", Buffer.from(bytes), null, null, "real"])
    expect(collect(db, "SELECT 9007199254740993")).toEqual([[9007199254740992]])
    expect(collect(db, "SELECT 9007199254740993", [], true)).toEqual([[9007199254740993n]])
    db.close()
  })

  test("bad input fails with a typed error that quotes no value", () => {
    const db = open()
    const statement = db.prepare("SELECT ?")
    expect(() => statement.each([true], false, () => {})).toThrow(TypeError)
    expect(() => statement.each([{ secret: "hunter2" }], false, () => {})).toThrow(/can only bind/)
    expect(() => statement.each([2n ** 64n], false, () => {})).toThrow(RangeError)
    expect(() => statement.each([], false, () => {})).toThrow(expect.objectContaining({ code: "SQLITE_RANGE" }))
    expect(() => db.prepare("SELECT 1; SELECT 2")).toThrow(/more than one statement/)
    expect(() => db.prepare("SELEC 1")).toThrow(expect.objectContaining({ code: "SQLITE_ERROR", name: "SqliteError" }))
    db.exec("CREATE TABLE t (x TEXT UNIQUE NOT NULL)")
    db.prepare("INSERT INTO t VALUES (?)").run(["hunter2"])
    let error: unknown
    try {
      db.prepare("INSERT INTO t VALUES (?)").run(["hunter2"])
    } catch (caught) {
      error = caught
    }
    expect(error).toMatchObject({ code: "SQLITE_CONSTRAINT_UNIQUE", message: "UNIQUE constraint failed: t.x" })
    expect(db.prepare("INSERT INTO t VALUES (?)").run(["other"])).toBe(1)
    db.close()
    expect(() => statement.each([1], false, () => {})).toThrow(/not open/)
  })

  test("a JS function's exception surfaces as itself, and only for its statement", () => {
    const db = open()
    db.function("boom", 1, true, false, (v) => {
      if (v === 1) throw new RangeError("boom")
      return v
    })
    expect(() => collect(db, "SELECT boom(1)")).toThrow(RangeError)
    expect(collect(db, "SELECT boom(2)")).toEqual([[2]])
    // A callback that throws stops the read, and the statement stays usable.
    const statement = db.prepare("SELECT value FROM json_each('[1,2,3]')")
    expect(() =>
      statement.each([], false, (v) => {
        if (v === 2) throw new Error("stop")
      }),
    ).toThrow("stop")
    expect(statement.each([], false, () => {})).toBe(3)
    db.close()
  })

  test("ISO datetimes handed over as epoch milliseconds agree with Date.parse", () => {
    const db = open()
    db.exec("CREATE TABLE d (t TEXT)")
    const insert = db.prepare("INSERT INTO d VALUES (?)")
    const samples: Array<string> = [
      "0001-01-01T00:00:00.000Z",
      "1969-12-31T23:59:59.999Z",
      "1970-01-01T00:00:00.000Z",
      "2000-02-29T12:00:00.000Z",
      "2100-02-28T23:59:59.999Z",
      "9999-12-31T23:59:59.999Z",
    ]
    let seed = 42
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (let i = 0; i < 5000; i++) {
      samples.push(new Date(Date.UTC(1, 0, 1) + random() * (Date.UTC(9999, 11, 31) - Date.UTC(1, 0, 1))).toISOString())
    }
    // Not the exact toISOString form: stays text, and JS parses it as before.
    const other = ["2024-01-02 03:04:05", "2024-02-30T00:00:00.000Z", "+010000-01-01T00:00:00.000Z", "2024-01-02T03:04:05Z", "garbage"]
    for (const text of [...samples, ...other]) insert.run([text])
    const rows = collect(db, "SELECT t, t FROM d", [], false, Uint8Array.of(0, 1))
    const mismatches = rows.filter(([text, cell]) =>
      typeof cell === "number" ? cell !== Date.parse(text as string) : cell !== text,
    )
    expect(mismatches).toEqual([])
    expect(rows.filter(([, cell]) => typeof cell === "number")).toHaveLength(samples.length)
    db.close()
  })

  test("columnar results: typed columns, a UTF-8 heap per text column, null flags", () => {
    const db = open()
    const result = db
      .prepare("SELECT * FROM (VALUES (1, 2.5, 'é', x'00ff', 7), (NULL, NULL, NULL, NULL, NULL))")
      .columnar([], [0, 0, 2, 3, 1])
    expect(result.rows).toBe(2)
    const [a, b, c, d, e] = result.columns
    expect(a).toMatchObject({ kind: 0, values: Float64Array.of(1, 0), nulls: Uint8Array.of(0, 1) })
    expect(b).toMatchObject({ kind: 0, values: Float64Array.of(2.5, 0) })
    expect(c!.kind === 2 && Buffer.from(c!.heap).toString("utf8", c!.offsets[0], c!.offsets[1])).toBe("é")
    expect(d!.kind === 3 && [...d!.heap.subarray(d!.offsets[0], d!.offsets[1])]).toEqual([0, 255])
    expect(e).toMatchObject({ kind: 1, values: BigInt64Array.of(7n, 0n), nulls: Uint8Array.of(0, 1) })
    db.close()
  })
})
