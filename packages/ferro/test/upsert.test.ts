/**
 * SPEC §2 "Writes beyond save": `upsert()` (one INSERT ... ON CONFLICT ... DO UPDATE),
 * `bulkCreate(items, { onConflict })`, and race-free `getOrCreate()` / `updateOrCreate()`, on
 * every backend: the insert and update paths, identity, bad input refused before any SQL,
 * transactions, the Effect API and 100 concurrent calls for one key.
 */
import { Effect } from "effect"
import { beforeEach, expect, test } from "vitest"
import { getConnection } from "@ferro/core/internal"
import {
  Ferro,
  Model,
  QueryError,
  ValidationError,
  connect,
  fetchAll,
  field,
  transaction,
} from "ferro-orm"
import { describeEachBackend } from "./support/backends.js"

class User extends Model("up_users", {
  id: field.id(),
  email: field.text({ unique: true }),
  name: field.text(),
  visits: field.int({ default: 0 }),
  bio: field.text({ nullable: true }),
}) {}

class Member extends Model(
  "up_members",
  {
    id: field.id(),
    team: field.text(),
    person: field.text(),
    role: field.text(),
  },
  { compositeUniques: [["team", "person"]] },
) {}

const statements = (): number => getConnection().driver.statementCount
/** The statement reading a written row back where the dialect has no RETURNING (MySQL): 1, else 0. */
const readBack = (): number => (getConnection().driver.dialect.returning ? 0 : 1)

/** Statements `fn` sends. */
const counted = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const before = statements()
  const result = await fn()
  return [result, statements() - before]
}

const users = () => fetchAll("SELECT email, name, visits, bio FROM up_users ORDER BY email")

describeEachBackend("upsert", (backend) => {
  beforeEach(async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
  })

  test("upsert() inserts a missing row in one statement and returns it as an instance", async () => {
    const [ada, n] = await counted(() => User.upsert({ email: "ada@x.io", name: "Ada" }, { on: ["email"], update: ["name"] }))
    expect(n).toBe(1 + readBack())
    expect(ada).toBeInstanceOf(User)
    expect(typeof ada.id).toBe("number")
    expect([ada.email, ada.name, ada.visits, ada.bio]).toEqual(["ada@x.io", "Ada", 0, null])
    expect(await users()).toEqual([{ email: "ada@x.io", name: "Ada", visits: 0, bio: null }])
    expect(await User.get(ada.id)).toBe(ada)
  })

  test("upsert() updates the colliding row in one statement: only the update fields change", async () => {
    await User.bulkCreate([{ email: "ada@x.io", name: "Ada", visits: 7, bio: "first" }])
    const [updated, n] = await counted(() =>
      User.upsert({ email: "ada@x.io", name: "Ada L.", visits: 1, bio: "second" }, { on: ["email"], update: ["name"] }),
    )
    expect(n).toBe(1 + readBack())
    // The instance shows the stored row: the existing key and the columns left alone.
    expect([updated.email, updated.name, updated.visits, updated.bio]).toEqual(["ada@x.io", "Ada L.", 7, "first"])
    expect(await users()).toEqual([{ email: "ada@x.io", name: "Ada L.", visits: 7, bio: "first" }])
    expect((await fetchAll("SELECT id FROM up_users"))[0]).toEqual({ id: updated.id })
  })

  test("update defaults to every non-conflict field the input gives", async () => {
    await User.bulkCreate([{ email: "ada@x.io", name: "Ada", visits: 7, bio: "kept" }])
    const u = await User.upsert({ email: "ada@x.io", name: "Ada L.", visits: 8 }, { on: ["email"] })
    expect([u.name, u.visits, u.bio]).toEqual(["Ada L.", 8, "kept"])
    expect(await users()).toEqual([{ email: "ada@x.io", name: "Ada L.", visits: 8, bio: "kept" }])
  })

  test("update: [] leaves an existing row as it is and returns it", async () => {
    const ada = await User.create({ email: "ada@x.io", name: "Ada" })
    const same = await User.upsert({ email: "ada@x.io", name: "Other" }, { on: ["email"], update: [] })
    expect(same).toBe(ada)
    expect(ada.name).toBe("Ada")
    const fresh = await User.upsert({ email: "bob@x.io", name: "Bob" }, { on: ["email"], update: [] })
    expect(fresh.name).toBe("Bob")
    expect((await users()).map((u) => u.name)).toEqual(["Ada", "Bob"])
  })

  test("a composite unique is a conflict target", async () => {
    const a = await Member.upsert({ team: "core", person: "ada", role: "dev" }, { on: ["team", "person"] })
    const b = await Member.upsert({ team: "core", person: "ada", role: "lead" }, { on: ["person", "team"] })
    expect(b).toBe(a)
    expect(a.role).toBe("lead")
    expect(await fetchAll("SELECT team, person, role FROM up_members")).toEqual([{ team: "core", person: "ada", role: "lead" }])
  })

  test("identity: the instance the scope holds is updated in place and returned", async () => {
    const held = await User.create({ email: "ada@x.io", name: "Ada", visits: 3 })
    const [result, n] = await counted(() => User.upsert({ email: "ada@x.io", name: "Ada L.", visits: 4 }, { on: ["email"], update: ["name"] }))
    expect(n).toBe(1 + readBack())
    expect(result).toBe(held)
    expect([held.name, held.visits]).toEqual(["Ada L.", 3])
    // The snapshot is the stored row: nothing left to save.
    const [, saved] = await counted(() => held.save())
    expect(saved).toBe(0)
    // An unsaved edit of a column the upsert does not write survives it.
    held.bio = "local"
    await User.upsert({ email: "ada@x.io", name: "Ada B." }, { on: ["email"], update: ["name"] })
    expect([held.name, held.bio]).toEqual(["Ada B.", "local"])
    await held.save()
    expect(await users()).toEqual([{ email: "ada@x.io", name: "Ada B.", visits: 3, bio: "local" }])
  })

  test("bad input is refused before any SQL", async () => {
    await User.create({ email: "ada@x.io", name: "Ada" })
    const before = statements()
    const refused = async (run: () => PromiseLike<unknown>, kind: typeof QueryError | typeof ValidationError, message: RegExp) => {
      const error = await Promise.resolve()
        .then(run)
        .then(
          () => null,
          (e: unknown) => e,
        )
      expect(error).toBeInstanceOf(kind)
      expect(String((error as Error).message)).toMatch(message)
    }
    await refused(() => User.upsert({ email: "a@x.io", name: "A" }, { on: ["mail" as "email"] }), QueryError, /'mail'.*not a field/)
    await refused(() => User.upsert({ email: "a@x.io", name: "A" }, { on: ["email"], update: ["nam" as "name"] }), QueryError, /'nam'.*not a field/)
    await refused(() => User.upsert({ email: "a@x.io", name: "A" }, { on: ["name"] }), QueryError, /'name'.*not a unique or primary-key field set/)
    await refused(() => User.upsert({ email: "a@x.io", name: "A" }, { on: ["email", "name"] }), QueryError, /not a unique/)
    await refused(() => Member.upsert({ team: "t", person: "p", role: "r" }, { on: ["team"] }), QueryError, /'team'.*\['team', 'person'\]/)
    await refused(() => User.upsert({ email: "a@x.io", name: "A" }, { on: ["email"], update: ["email"] }), QueryError, /of 'on'/)
    await refused(() => User.upsert({ email: "a@x.io", name: "A" }, { on: ["email"], update: ["id"] }), QueryError, /primary key/)
    await refused(() => User.upsert({ email: "a@x.io", name: "A" }, { on: [] }), QueryError, /non-empty/)
    await refused(() => User.upsert({ email: "a@x.io", name: 5 as unknown as string }, { on: ["email"] }), ValidationError, /name/)
    await refused(() => User.upsert({ email: "a@x.io" } as never, { on: ["email"] }), ValidationError, /name/)
    await refused(() => User.upsert({ email: "a@x.io", name: "A", visits: 1.5 }, { on: ["email"] }), ValidationError, /visits/)
    await refused(() => User.bulkCreate([{ email: "a@x.io", name: "A" }], { onConflict: { on: ["name"] } }), QueryError, /not a unique/)
    await refused(() => User.bulkCreate([{ email: "a@x.io", name: "A" }], { onConflict: "merge" as "ignore" }), QueryError, /onConflict/)
    await refused(
      () => User.bulkCreate([{ email: "a@x.io", name: "A" }, { email: "b@x.io", name: "B" }, { email: "a@x.io", name: "C" }], { onConflict: { on: ["email"] } }),
      ValidationError,
      /\[2\].*same 'email' as item \[0\]/,
    )
    await refused(() => User.bulkCreate([{ email: "a@x.io", name: "A" }, { email: "b@x.io", name: 1 as unknown as string }], { onConflict: "ignore" }), ValidationError, /\[1\]\.name/)
    expect(statements()).toBe(before)
    expect(await users()).toEqual([{ email: "ada@x.io", name: "Ada", visits: 0, bio: null }])
  })

  test("bulkCreate onConflict 'ignore': colliding rows are skipped, the count is the rows inserted", async () => {
    await User.bulkCreate([
      { email: "a@x.io", name: "A", visits: 1 },
      { email: "b@x.io", name: "B", visits: 2 },
    ])
    const [inserted, n] = await counted(() =>
      User.bulkCreate(
        [
          { email: "a@x.io", name: "A2", visits: 10 },
          { email: "c@x.io", name: "C", visits: 3 },
          { email: "b@x.io", name: "B2", visits: 20 },
          { email: "d@x.io", name: "D", visits: 4 },
        ],
        { onConflict: "ignore" },
      ),
    )
    expect(inserted).toBe(2)
    expect(n).toBeGreaterThanOrEqual(1)
    expect(await users()).toEqual([
      { email: "a@x.io", name: "A", visits: 1, bio: null },
      { email: "b@x.io", name: "B", visits: 2, bio: null },
      { email: "c@x.io", name: "C", visits: 3, bio: null },
      { email: "d@x.io", name: "D", visits: 4, bio: null },
    ])
  })

  test("bulkCreate onConflict { on, update }: colliding rows are updated, the count is rows inserted plus updated", async () => {
    await User.bulkCreate([
      { email: "a@x.io", name: "A", visits: 1, bio: "kept" },
      { email: "b@x.io", name: "B", visits: 2 },
    ])
    const held = (await User.where((u) => u.email.eq("a@x.io")).first())!
    const [written, n] = await counted(() =>
      User.bulkCreate(
        [
          { email: "a@x.io", name: "A2", visits: 10 },
          { email: "c@x.io", name: "C", visits: 3 },
          { email: "b@x.io", name: "B2", visits: 20 },
          { email: "d@x.io", name: "D", visits: 4 },
        ],
        { onConflict: { on: ["email"], update: ["name"] } },
      ),
    )
    expect(written).toBe(4)
    expect(n).toBeGreaterThanOrEqual(1)
    expect(await users()).toEqual([
      { email: "a@x.io", name: "A2", visits: 1, bio: "kept" },
      { email: "b@x.io", name: "B2", visits: 2, bio: null },
      { email: "c@x.io", name: "C", visits: 3, bio: null },
      { email: "d@x.io", name: "D", visits: 4, bio: null },
    ])
    // The held instance of an updated row was reloaded.
    expect([held.name, held.visits]).toEqual(["A2", 1])
    // update left out: the fields every item gives (name and visits here).
    expect(await User.bulkCreate([{ email: "a@x.io", name: "A3", visits: 99 }], { onConflict: { on: ["email"] } })).toBe(1)
    expect((await users())[0]).toEqual({ email: "a@x.io", name: "A3", visits: 99, bio: "kept" })
  })

  test("many rows: one statement per batch, counts add up", async () => {
    const items = Array.from({ length: 3000 }, (_, i) => ({ email: `u${i}@x.io`, name: `U${i}`, visits: i }))
    expect(await User.bulkCreate(items.filter((_, i) => i % 2 === 0))).toBe(1500)
    const [ignored, ignoreStatements] = await counted(() => User.bulkCreate(items, { onConflict: "ignore" }))
    expect(ignored).toBe(1500)
    const [merged, mergeStatements] = await counted(() =>
      User.bulkCreate(items.map((u) => ({ ...u, name: `V${u.visits}` })), { onConflict: { on: ["email"], update: ["name"] } }),
    )
    expect(merged).toBe(3000)
    // As many statements as a plain bulkCreate of as many rows: one INSERT per batch.
    const [, plainStatements] = await counted(() => User.bulkCreate(items.map((u) => ({ ...u, email: `w${u.email}` }))))
    expect([ignoreStatements, mergeStatements]).toEqual([plainStatements, plainStatements])
    const [{ n }] = (await fetchAll("SELECT COUNT(*) AS n FROM up_users WHERE name LIKE 'V%'")) as [{ n: unknown }]
    expect(Number(n)).toBe(3000)
  })

  test("inside a transaction: upserts join it and roll back with it", async () => {
    const held = await User.create({ email: "a@x.io", name: "A", visits: 1 })
    await expect(
      transaction(async () => {
        const same = await User.upsert({ email: "a@x.io", name: "A2" }, { on: ["email"], update: ["name"] })
        expect(same).toBe(held)
        await User.upsert({ email: "b@x.io", name: "B" }, { on: ["email"] })
        expect(await User.bulkCreate([{ email: "c@x.io", name: "C" }], { onConflict: "ignore" })).toBe(1)
        expect((await users()).map((u) => u.name)).toEqual(["A2", "B", "C"])
        throw new Error("roll back")
      }),
    ).rejects.toThrow("roll back")
    expect(await users()).toEqual([{ email: "a@x.io", name: "A", visits: 1, bio: null }])
    expect(held.name).toBe("A")
    await transaction(async () => {
      await User.upsert({ email: "a@x.io", name: "A3" }, { on: ["email"] })
    })
    expect(held.name).toBe("A3")
    expect((await users()).map((u) => u.name)).toEqual(["A3"])
  })

  test("the Effect API: yield* User.upsert(...)", async () => {
    const program = Effect.gen(function* () {
      const a = yield* User.upsert({ email: "a@x.io", name: "A" }, { on: ["email"] })
      const b = yield* User.upsert({ email: "a@x.io", name: "A2" }, { on: ["email"] })
      const n = yield* User.bulkCreate([{ email: "a@x.io", name: "A3" }, { email: "b@x.io", name: "B" }], { onConflict: "ignore" })
      const [c, created] = yield* User.getOrCreate({ email: "a@x.io" }, { name: "never" })
      return { same: a === b && b === c, name: b.name, n, created }
    })
    expect(await Effect.runPromise(program)).toEqual({ same: true, name: "A2", n: 1, created: false })
    expect(await Effect.runPromise(Ferro.transaction(User.upsert({ email: "c@x.io", name: "C" }, { on: ["email"] })))).toBeInstanceOf(User)
    expect((await users()).map((u) => u.name)).toEqual(["A2", "B", "C"])
  })

  test("100 concurrent getOrCreate calls for one key: one row, one created, no UniqueViolation", async () => {
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => User.getOrCreate({ email: "race@x.io" }, { name: `N${i}` })))
    expect(results.filter(([, created]) => created)).toHaveLength(1)
    const [winner] = results.find(([, created]) => created)!
    expect(new Set(results.map(([u]) => u.id))).toEqual(new Set([winner.id]))
    expect(results.every(([u]) => u.name === winner.name)).toBe(true)
    expect(await fetchAll("SELECT email, name FROM up_users")).toEqual([{ email: "race@x.io", name: winner.name }])
  })

  test("100 concurrent updateOrCreate calls for one key: one row, one created, every call's write lands", async () => {
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => User.updateOrCreate({ email: "race@x.io" }, { name: `N${i}`, visits: i })),
    )
    expect(results.filter(([, created]) => created)).toHaveLength(1)
    const ids = new Set(results.map(([u]) => u.id))
    expect(ids.size).toBe(1)
    const rows = await fetchAll("SELECT name, visits FROM up_users")
    expect(rows).toHaveLength(1)
    const row = rows[0] as { name: string; visits: number }
    expect(row.name).toBe(`N${row.visits}`)
  })

  test("concurrent getOrCreate in concurrent transactions, and inside one transaction", async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        transaction(async () => {
          const [u, created] = await User.getOrCreate({ email: "tx@x.io" }, { name: `T${i}` })
          return { id: u.id, created }
        }),
      ),
    )
    expect(outcomes.filter((o) => o.created)).toHaveLength(1)
    expect(new Set(outcomes.map((o) => o.id)).size).toBe(1)
    const inside = await transaction(async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => User.getOrCreate({ email: "in@x.io" }, { name: "I" })))
      // The transaction stays usable: no statement failed inside it.
      expect(await User.where((u) => u.email.eq("in@x.io")).count()).toBe(1)
      return results.filter(([, created]) => created).length
    })
    expect(inside).toBe(1)
    expect((await users()).map((u) => u.email)).toEqual(["in@x.io", "tx@x.io"])
  })

  test("concurrent serializable transactions with retry (a lost race there may be a SerializationFailure): one row, one created", async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        transaction(
          async () => {
            const [u, created] = await User.getOrCreate({ email: "ser@x.io" }, { name: `S${i}` })
            return { id: u.id, created }
          },
          { isolation: "serializable", retry: 5 },
        ),
      ),
    )
    expect(outcomes.filter((o) => o.created)).toHaveLength(1)
    expect(new Set(outcomes.map((o) => o.id)).size).toBe(1)
    expect(await users()).toHaveLength(1)
  })

  test("getOrCreate keeps its checks: a lookup on a unique field with a mismatching other field surfaces the violation", async () => {
    await User.create({ email: "a@x.io", name: "A" })
    const [found, created] = await User.getOrCreate({ email: "a@x.io" }, { name: "B" })
    expect([found.name, created]).toEqual(["A", false])
    await expect(User.getOrCreate({ email: "a@x.io", name: "Not A" })).rejects.toMatchObject({ _tag: "UniqueViolation" })
    await expect(User.getOrCreate({ email: "b@x.io" }, { email: "c@x.io", name: "B" })).rejects.toBeInstanceOf(ValidationError)
  })
})
