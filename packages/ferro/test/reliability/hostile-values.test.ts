/**
 * Reliability: hostile values (issue 12 item 6, SPEC §5). At least 2,000 deterministic hostile
 * strings (quotes, backslashes, injection attempts, comment sequences, LIKE metacharacters,
 * RTL / combining / emoji / astral Unicode, long strings up to 1 MB, NUL where the backend
 * can store it) go through every value position on every backend: create, save, query
 * update, where eq / in / like / between, getOrCreate lookups, the `sql` template and
 * execute() parameters. Each comes back exactly, or is refused with a typed error where the
 * design refuses it (NUL on PostgreSQL, lone surrogate halves everywhere). A sentinel table
 * is checked afterwards: nothing dropped, nothing altered.
 */
import { expect, test } from "vitest"
import {
  FerroError,
  Model,
  QueryError,
  ValidationError,
  connect,
  execute,
  fetchAll,
  fetchOne,
  field,
  sql,
} from "ferro-orm"
import { describeEachBackend } from "../support/backends.js"
import { describe as show, hostileStrings, likeLiteral } from "./hostile.js"

class Hostile extends Model("rel_hostile", {
  id: field.id(),
  name: field.text(),
  label: field.text({ nullable: true }),
  note: field.text({ nullable: true }),
  doc: field.json({ nullable: true }),
}) {}

class Sink extends Model("rel_raw", {
  id: field.int({ primaryKey: true }),
  v: field.text({ nullable: true }),
}) {}

class Sentinel extends Model("rel_sentinel", {
  id: field.id(),
  tag: field.text({ unique: true }),
  payload: field.text(),
}) {}

const SENTINELS = [
  { tag: "alpha", payload: "keep me" },
  { tag: "beta", payload: "'; DROP TABLE rel_sentinel; --" },
  { tag: "gamma", payload: "😀 \u202e RTL" },
  { tag: "delta", payload: "%_\\" },
  { tag: "epsilon", payload: "" },
]

/** Never a character of a hostile string: placeholders cannot collide with one. */
const PLACEHOLDER = "\ue000placeholder-"

const SET = hostileStrings()

const same = (got: unknown, want: unknown, what: string): void => {
  if (got !== want) throw new Error(`${what}: got ${typeof got === "string" ? show(got) : JSON.stringify(got)}`)
}

const sameIds = (got: ReadonlyArray<{ id: number }>, want: ReadonlyArray<number>, what: string): void => {
  const a = got.map((r) => Number(r.id)).sort((x, y) => x - y)
  const b = [...want].sort((x, y) => x - y)
  if (a.length !== b.length || a.some((v, i) => v !== b[i])) throw new Error(`${what}: ids ${JSON.stringify(a)}, expected ${JSON.stringify(b)}`)
}

const docOf = (raw: unknown): { s?: unknown } => (typeof raw === "string" ? JSON.parse(raw) : raw) as { s?: unknown }

describeEachBackend("reliability: hostile values", (backend) => {
  const sqlite = backend.dialect === "sqlite"
  /** `?` placeholders as this backend writes them (PostgreSQL numbers them). */
  const native = (text: string): string => {
    let n = 0
    return backend.dialect === "postgres" ? text.replace(/\?/g, () => `$${++n}`) : text
  }

  test("every hostile string round-trips exactly through every value position, or is refused with a typed error", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    for (const s of SENTINELS) await Sentinel.create(s)
    const sentinelsBefore = await fetchAll(sql`SELECT id, tag, payload FROM rel_sentinel ORDER BY id`)

    // PostgreSQL text cannot hold NUL; SQLite and MySQL store it like any other character.
    const nulStored = backend.dialect !== "postgres"
    const stored = nulStored ? [...SET.clean, ...SET.withNul] : SET.clean
    const refused = nulStored ? SET.loneSurrogates : [...SET.withNul, ...SET.loneSurrogates]
    let tried = 0
    let held = 0
    const failures: Array<string> = []
    const check = async (position: string, s: string, fn: () => Promise<void>): Promise<void> => {
      tried++
      try {
        await fn()
        held++
      } catch (error) {
        failures.push(`${position} ${show(s)}: ${error instanceof Error ? `${error.name}: ${error.message.slice(0, 300)}` : String(error)}`)
      }
    }

    const refusedBy = async (fn: () => Promise<unknown>): Promise<void> => {
      const error = await Promise.resolve()
        .then(fn)
        .then(
          () => null,
          (e: unknown) => e,
        )
      if (!(error instanceof ValidationError)) throw new Error(`expected a ValidationError, got ${String(error)}`)
    }

    const ids = new Map<string, number>()
    for (const [i, s] of stored.entries()) {
      let item: Hostile | undefined
      await check("create", s, async () => {
        item = await Hostile.create({ name: `${PLACEHOLDER}${i}`, label: s, doc: { s } })
        ids.set(s, item.id)
        const row = await fetchOne<{ label: unknown; doc: unknown }>(sql`SELECT label, doc FROM rel_hostile WHERE id = ${item.id}`)
        same(row?.label, s, "stored label")
        same(docOf(row?.doc).s, s, "stored json")
      })
      if (item === undefined) continue
      const id = item.id
      await check("save", s, async () => {
        item!.name = s
        await item!.save()
        const row = await fetchOne<{ name: unknown }>(sql`SELECT name FROM rel_hostile WHERE id = ${id}`)
        same(row?.name, s, "stored name")
        await item!.refresh()
        same(item!.name, s, "hydrated name")
        same(item!.label, s, "hydrated label")
        same((item!.doc as { s?: unknown } | null)?.s, s, "hydrated json")
      })
      await check("query update", s, async () => {
        same(await Hostile.where((p) => p.id.eq(id)).update({ note: s }), 1, "rows updated")
        const row = await fetchOne<{ note: unknown }>(sql`SELECT note FROM rel_hostile WHERE id = ${id}`)
        same(row?.note, s, "stored note")
      })
      await check("where eq", s, async () => sameIds(await Hostile.where((p) => p.name.eq(s)).all(), [id], "eq"))
      // A like pattern never holds NUL (SQLite's LIKE stops at it): refused by design. SQLite
      // refuses patterns over SQLITE_LIMIT_LIKE_PATTERN_LENGTH (50,000 bytes) with a QueryError.
      await check("where like (escaped)", s, async () => {
        const pattern = likeLiteral(s)
        if (s.includes("\u0000")) return refusedBy(() => Hostile.where((p) => p.name.like(pattern)).all())
        if (sqlite && Buffer.byteLength(pattern) > 50_000) {
          const error = await Hostile.where((p) => p.name.like(pattern)).all().then(() => null, (e: unknown) => e)
          if (!(error instanceof QueryError && /pattern too complex/.test(error.message))) throw new Error(`expected SQLite's QueryError, got ${String(error)}`)
          return
        }
        sameIds(await Hostile.where((p) => p.name.like(pattern)).all(), [id], "like")
      })
      await check("where between", s, async () => sameIds(await Hostile.where((p) => p.note.between(s, s)).all(), [id], "between"))
      await check("getOrCreate lookup", s, async () => {
        const [found, created] = await Hostile.getOrCreate({ name: s, label: s })
        same(created, false, "created")
        same(found.id, id, "found id")
      })
      await check("sql template", s, async () => {
        sameIds(await fetchAll<{ id: number }>(sql`SELECT id FROM rel_hostile WHERE name = ${s} AND note = ${s}`), [id], "sql`…`")
        same((await fetchOne<{ v: unknown }>(sql`SELECT ${s} AS v`))?.v, s, "echoed parameter")
      })
      await check("execute params", s, async () => {
        same(await execute(native("INSERT INTO rel_raw (id, v) VALUES (?, ?)"), [i, s]), 1, "rows inserted")
      })
    }
    // where in, in batches of 50 values.
    for (let at = 0; at < stored.length; at += 50) {
      const batch = stored.slice(at, at + 50).filter((s) => ids.has(s))
      await check("where in (batch of 50)", batch[0] ?? "", async () =>
        sameIds(await Hostile.where((p) => p.name.in(batch)).all(), batch.map((s) => ids.get(s)!), "in"),
      )
    }
    // What execute() bound is stored exactly.
    const sunk = new Map((await fetchAll<{ id: number; v: string }>("SELECT id, v FROM rel_raw")).map((r) => [Number(r.id), r.v]))
    for (const [i, s] of stored.entries()) await check("execute params, read back", s, async () => same(sunk.get(i), s, "stored v"))

    // Refused by design: a typed ValidationError before SQL on every ORM path; raw SQL either
    // stores the value exactly or fails with a typed FerroError.
    const victim = await Hostile.create({ name: `${PLACEHOLDER}victim`, label: "victim" })
    for (const [i, s] of refused.entries()) {
      await check("refused: create", s, () => refusedBy(() => Hostile.create({ name: s })))
      await check("refused: save", s, async () => {
        victim.label = s
        await refusedBy(() => victim.save())
        await victim.refresh()
        same(victim.label, "victim", "label after a refused save")
      })
      await check("refused: query update", s, () => refusedBy(() => Hostile.where((p) => p.id.gt(0)).update({ note: s })))
      await check("refused: where eq", s, () => refusedBy(() => Hostile.where((p) => p.name.eq(s)).all()))
      await check("refused: where in", s, () => refusedBy(() => Hostile.where((p) => p.name.in(["ok", s])).all()))
      await check("refused: where like", s, () => refusedBy(() => Hostile.where((p) => p.name.like(s)).all()))
      await check("refused: where between", s, () => refusedBy(() => Hostile.where((p) => p.name.between("a", s)).all()))
      await check("refused: getOrCreate lookup", s, () => refusedBy(() => Hostile.getOrCreate({ name: s })))
      await check("refused: raw params (exact or typed error)", s, async () => {
        const id = 1_000_000 + i
        const inserted = await execute(native("INSERT INTO rel_raw (id, v) VALUES (?, ?)"), [id, s]).then(
          () => true,
          (e: unknown) => {
            if (!(e instanceof FerroError)) throw e
            return false
          },
        )
        if (inserted) same((await fetchOne<{ v: unknown }>(sql`SELECT v FROM rel_raw WHERE id = ${id}`))?.v, s, "stored raw value")
      })
    }

    // The sentinel: every row, every byte, as before; every table still there.
    await check("sentinel table unchanged", "rel_sentinel", async () => {
      expect(await fetchAll(sql`SELECT id, tag, payload FROM rel_sentinel ORDER BY id`)).toEqual(sentinelsBefore)
      same(await Sentinel.select().count(), SENTINELS.length, "sentinel rows")
      same(await Hostile.select().count(), ids.size + 1, "hostile rows")
    })

    console.log(`reliability hostile-values [${backend.name}]: tried ${tried}, held ${held}, failed ${failures.length}`)
    expect(failures.slice(0, 20)).toEqual([])
    expect(tried).toBeGreaterThanOrEqual(2000 * 10)
  }, 300_000) // about 20,000 round trips: a bound for a loaded 2-core machine, not a timing assumption
})
