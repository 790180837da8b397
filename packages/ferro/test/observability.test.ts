/**
 * Observability (SPEC §2 "Observability"): `connect(url, { log })` reports every statement
 * (queries, writes, raw SQL, transaction control, the DDL of autoMigrate) with its duration,
 * row count and parameter count, never values unless `logParams`; in Effect code every
 * operation runs in a `ferro.<operation>` span with OpenTelemetry's database attributes,
 * asserted here against a real in-memory tracer, on every backend.
 */
import { types } from "node:util"
import { Effect, Exit, Option, Tracer } from "effect"
import { afterEach, expect, test, vi } from "vitest"
import { getConnection } from "@ferro/core/internal"
import {
  Ferro,
  type LogEvent,
  Model,
  UniqueViolation,
  connect,
  execute,
  fetchAll,
  field,
  sql,
  transaction,
} from "ferro-orm"
import { describeEachBackend } from "./support/backends.js"

class Note extends Model("obs_notes", {
  id: field.id(),
  title: field.text({ unique: true }),
  views: field.int({ default: 0 }),
}) {}

const SECRET = "s3cret-value-never-logged"

/** Events as JSON (bigints as strings), for "this never appears" checks. */
const dump = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "bigint" ? String(v) : v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v,
  )

/** A tracer that keeps every span it makes. */
const memoryTracer = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    },
  })
  return { spans, tracer }
}

const parentOf = (span: Tracer.Span): string | undefined => Option.getOrUndefined(span.parent)?.spanId

afterEach(() => {
  vi.restoreAllMocks()
})

describeEachBackend("observability", (backend) => {
  const system = backend.dialect === "sqlite" ? "sqlite" : backend.dialect === "mysql" ? "mysql" : "postgresql"
  /**
   * MySQL has no RETURNING: an INSERT is followed by a SELECT reading the new row back (its
   * generated key and defaults), so each create() is two statements there, one elsewhere.
   */
  const mysql = backend.dialect === "mysql"

  const open = async (options: Parameters<typeof connect>[1] = {}) => {
    const url = await backend.freshUrl()
    const events: Array<LogEvent> = []
    await connect(url, { autoMigrate: true, log: (event) => events.push(event), ...options })
    return { url, events }
  }

  test("each statement is an event: sql, parameter count, rows, duration; no values", async () => {
    const { events } = await open()
    events.length = 0
    const note = await Note.create({ title: SECRET, views: 3 })
    await Note.create({ title: "second" })
    const found = await Note.where((n) => n.views.gte(0)).all()
    expect(found).toHaveLength(2)
    expect(await Note.where((n) => n.title.eq(SECRET)).count()).toBe(1)
    note.views = 4
    await note.save()

    const insert = events.find((e) => /^INSERT INTO "obs_notes"/.test(e.sql))!
    expect(insert).toBeDefined()
    expect(insert.connection).toBe("default")
    expect(insert.params).toBeGreaterThanOrEqual(2)
    expect(insert.rows).toBe(1)
    expect(insert.durationMs).toBeGreaterThanOrEqual(0)
    expect(insert.error).toBeUndefined()
    expect(insert.values).toBeUndefined()

    const select = events.find((e) => /^SELECT/.test(e.sql) && />=/.test(e.sql) && !/COUNT/i.test(e.sql))!
    expect(select.params).toBe(1)
    expect(select.rows).toBe(2)
    const inserts = events.filter((e) => /^INSERT INTO "obs_notes"/.test(e.sql))
    expect(inserts).toHaveLength(2)
    if (mysql) {
      // Each INSERT is followed by the SELECT of its row, by key: one parameter, one row.
      for (const each of inserts) {
        const readBack = events[events.indexOf(each) + 1]!
        expect(readBack.sql).toMatch(/^SELECT .* FROM "obs_notes" WHERE/)
        expect(readBack).toMatchObject({ params: 1, rows: 1 })
      }
      // Two creates, the query, the count, and save(): its UPDATE then the SELECT of its row.
      expect(events).toHaveLength(2 * 2 + 1 + 1 + 2)
    } else expect(events).toHaveLength(2 + 1 + 1 + 1)
    const count = events.find((e) => /COUNT\(\*\)/i.test(e.sql))!
    expect(count.params).toBe(1)
    expect(count.rows).toBe(1)
    const update = events.find((e) => /^UPDATE "obs_notes"/.test(e.sql))!
    expect(update.rows).toBe(1)
    if (mysql) expect(events[events.indexOf(update) + 1]).toMatchObject({ sql: expect.stringMatching(/^SELECT .* FROM "obs_notes" WHERE/), params: 1, rows: 1 })
    for (const event of events) expect(event.durationMs).toBeGreaterThanOrEqual(0)
    expect(dump(events)).not.toContain(SECRET)
  })

  test("without log the driver is the backend's own: nothing is wrapped", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    expect(types.isProxy(getConnection().driver)).toBe(false)
    await connect(await backend.freshUrl(), { autoMigrate: true, name: "logged", log: () => {} })
    expect(types.isProxy(getConnection("logged").driver)).toBe(true)
  })

  test("values only with logParams: true", async () => {
    const { events } = await open({ logParams: true })
    events.length = 0
    await Note.create({ title: SECRET, views: 7 })
    const insert = events.find((e) => /^INSERT INTO "obs_notes"/.test(e.sql))!
    expect(insert.values).toContain(SECRET)
    expect(insert.values).toHaveLength(insert.params)
  })

  test("a failing statement reports the Ferro error (value-free) and no rows", async () => {
    const { events } = await open()
    await Note.create({ title: SECRET })
    events.length = 0
    await expect(Note.create({ title: SECRET })).rejects.toBeInstanceOf(UniqueViolation)
    const failed = events.find((e) => e.error !== undefined)!
    expect(failed.sql).toMatch(/^INSERT INTO "obs_notes"/)
    expect(failed.error).toBeInstanceOf(UniqueViolation)
    expect(failed.rows).toBe(0)
    expect(failed.durationMs).toBeGreaterThanOrEqual(0)
    expect(dump(events)).not.toContain(SECRET)
  })

  test("DDL from autoMigrate, raw SQL, batches and transaction statements are logged", async () => {
    const { events } = await open()
    expect(events.some((e) => /^CREATE TABLE.*"obs_notes"/s.test(e.sql))).toBe(true)
    events.length = 0
    await Note.bulkCreate([{ title: "a" }, { title: "b" }])
    expect(events.map((e) => e.sql.split(" ")[0])).toEqual(["BEGIN", "INSERT", "COMMIT"])
    expect(events[1]!.rows).toBe(2)
    events.length = 0
    expect(await execute(sql`UPDATE obs_notes SET views = ${5} WHERE views = ${0}`)).toBe(2)
    expect(events).toEqual([expect.objectContaining({ params: 2, rows: 2 })])
    expect((await fetchAll("SELECT title FROM obs_notes ORDER BY title")).length).toBe(2)
    expect(events[1]).toMatchObject({ sql: "SELECT title FROM obs_notes ORDER BY title", params: 0, rows: 2 })
    events.length = 0
    await transaction(async () => {
      await Note.create({ title: "c" })
      await transaction(async () => {
        await Note.create({ title: "d" })
      })
      await expect(
        transaction(async () => {
          await Note.create({ title: "e" })
          throw new Error("undo")
        }),
      ).rejects.toThrow("undo")
    })
    const kinds = events.map((e) => (/^(SAVEPOINT|RELEASE|ROLLBACK TO)/.test(e.sql) ? e.sql.replace(/ ".*$/, "") : e.sql.split(" ")[0]))
    // On MySQL each INSERT is followed by the SELECT reading its row back (no RETURNING).
    const insert = mysql ? ["INSERT", "SELECT"] : ["INSERT"]
    expect(kinds).toEqual([
      "BEGIN",
      ...insert,
      "SAVEPOINT",
      ...insert,
      "RELEASE SAVEPOINT",
      "SAVEPOINT",
      ...insert,
      "ROLLBACK TO SAVEPOINT",
      "COMMIT",
    ])
    expect(await Note.select().count()).toBe(4)
  })

  test("log: true prints one line per statement to stderr; no values, no password", async () => {
    const lines: Array<string> = []
    const write = process.stderr.write.bind(process.stderr)
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array, ...rest: Array<unknown>) => {
      const text = String(chunk)
      if (text.startsWith("[ferro]")) {
        lines.push(text)
        return true
      }
      return (write as (...args: Array<unknown>) => boolean)(chunk, ...rest)
    })
    const url = await backend.freshUrl()
    await connect(url, { autoMigrate: true, log: true, name: "noisy" })
    lines.length = 0
    await Note.using("noisy").create({ title: SECRET })
    await expect(Note.using("noisy").create({ title: SECRET })).rejects.toBeInstanceOf(UniqueViolation)
    vi.restoreAllMocks()
    // MySQL: the INSERT, the SELECT reading the row back (no RETURNING), the failed INSERT.
    expect(lines).toHaveLength(mysql ? 3 : 2)
    expect(lines[0]).toMatch(/^\[ferro\] noisy \d+\.\d{3} ms 1 row INSERT INTO "obs_notes" .*\n$/)
    if (mysql) expect(lines[1]).toMatch(/^\[ferro\] noisy \d+\.\d{3} ms 1 row SELECT .* FROM "obs_notes" WHERE .*\n$/)
    expect(lines.at(-1)).toMatch(/^\[ferro\] noisy \d+\.\d{3} ms failed \(UniqueViolation\) INSERT INTO "obs_notes" /)
    const all = lines.join("")
    expect(all).not.toContain(SECRET)
    const password = new URL(url.replace(/^sqlite:/, "sqlite://x/")).password
    if (password !== "") expect(all).not.toContain(decodeURIComponent(password))
  })

  test("the password of the URL appears in no event", async () => {
    const { url, events } = await open()
    await Note.create({ title: "x" })
    await expect(Note.create({ title: "x" })).rejects.toBeInstanceOf(UniqueViolation)
    const password = backend.dialect === "sqlite" ? "" : decodeURIComponent(new URL(url).password)
    if (backend.dialect !== "sqlite") expect(password.length).toBeGreaterThan(0)
    const text = dump(events)
    if (password !== "") expect(text).not.toContain(password)
    expect(text).not.toContain(url)
  })

  test("a throwing logger does not break queries (reported once)", async () => {
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {})
    const url = await backend.freshUrl()
    await connect(url, {
      autoMigrate: true,
      log: () => {
        throw new Error("logger down")
      },
    })
    await Note.create({ title: "a" })
    await transaction(() => Note.create({ title: "b" }))
    expect(await Note.select().count()).toBe(2)
    await expect(Note.create({ title: "a" })).rejects.toBeInstanceOf(UniqueViolation)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toContain("logger down")
  })

  test("Effect operations run in ferro.<operation> spans with the database attributes", async () => {
    await open()
    const { spans, tracer } = memoryTracer()
    const program = Effect.gen(function* () {
      const note = yield* Note.create({ title: SECRET })
      yield* Note.where((n) => n.views.gte(0)).all()
      yield* Note.where((n) => n.views.gte(0)).first()
      yield* Note.where((n) => n.views.gte(0)).count()
      const got = yield* Note.get(note.id)
      got.views = 2
      yield* got.save()
      yield* Note.where((n) => n.views.eq(2)).update({ views: 3 })
      yield* execute(sql`UPDATE obs_notes SET views = ${4}`)
      yield* got.delete()
      yield* Note.where((n) => n.views.gt(100)).delete()
    })
    await Effect.runPromise(Effect.withTracer(program, tracer))
    expect(spans.map((s) => s.name)).toEqual([
      "ferro.create",
      "ferro.all",
      "ferro.first",
      "ferro.count",
      "ferro.get",
      "ferro.save",
      "ferro.update",
      "ferro.execute",
      "ferro.delete",
      "ferro.delete",
    ])
    // The batch update reloads the instance it changed that the program holds (`got`): a second statement.
    // MySQL (no RETURNING): create() and save() read their row back after writing it, and the
    // batch update selects the keys of the rows it is about to change first (then reloads `got`
    // with another SELECT: the operations a span names are distinct).
    expect(spans.map((s) => s.attributes.get("db.operation.name"))).toEqual([
      mysql ? "INSERT SELECT" : "INSERT",
      "SELECT",
      "SELECT",
      "SELECT",
      "SELECT",
      mysql ? "UPDATE SELECT" : "UPDATE",
      mysql ? "SELECT UPDATE" : "UPDATE SELECT",
      "UPDATE",
      "DELETE",
      "DELETE",
    ])
    spans.forEach((span) => {
      expect(span.kind).toBe("client")
      expect(span.status._tag).toBe("Ended")
      expect(span.attributes.get("db.system.name")).toBe(system)
      expect(span.attributes.get("db.query.text")).toEqual(expect.stringMatching(/obs_notes/))
      if (span.name !== "ferro.execute") expect(span.attributes.get("db.collection.name")).toBe("obs_notes")
      else expect(span.attributes.has("db.collection.name")).toBe(false)
    })
    expect(spans[0]!.attributes.get("db.query.text")).toMatch(/^INSERT INTO "obs_notes"/)
    expect(dump([...spans.map((s) => [...s.attributes])])).not.toContain(SECRET)
  })

  test("spans nest under ferro.transaction; failures end them with an error", async () => {
    await open()
    await Note.create({ title: "taken" })
    const { spans, tracer } = memoryTracer()
    const ok = Ferro.transaction(
      Effect.gen(function* () {
        yield* Note.create({ title: "fresh" })
        return yield* Note.select().count()
      }),
    )
    expect(await Effect.runPromise(Effect.withTracer(ok, tracer))).toBe(2)
    const [tx, create, count] = spans
    expect(spans.map((s) => s.name)).toEqual(["ferro.transaction", "ferro.create", "ferro.count"])
    expect(tx!.attributes.get("db.system.name")).toBe(system)
    expect(parentOf(create!)).toBe(tx!.spanId)
    expect(parentOf(count!)).toBe(tx!.spanId)
    expect(create!.traceId).toBe(tx!.traceId)
    expect(tx!.status._tag === "Ended" && Exit.isSuccess(tx!.status.exit)).toBe(true)

    spans.length = 0
    const failing = Ferro.transaction(Effect.suspend(() => Note.create({ title: "taken" })))
    const exit = await Effect.runPromise(Effect.exit(Effect.withTracer(failing, tracer)))
    expect(Exit.isFailure(exit)).toBe(true)
    const [failedTx, failedCreate] = spans
    expect(spans.map((s) => s.name)).toEqual(["ferro.transaction", "ferro.create"])
    expect(parentOf(failedCreate!)).toBe(failedTx!.spanId)
    for (const span of [failedTx!, failedCreate!]) {
      expect(span.status._tag).toBe("Ended")
      if (span.status._tag === "Ended") expect(Exit.isFailure(span.status.exit)).toBe(true)
    }
    expect(failedCreate!.attributes.get("db.operation.name")).toBe("INSERT")
    // Promise code makes no span.
    spans.length = 0
    await Effect.runPromise(Effect.withTracer(Effect.promise(() => Note.select().count()), tracer))
    expect(spans).toEqual([])
  })
})
