/**
 * Sessions and identity per unit of work (SPEC "Sessions and the identity map"): a session's
 * private map (one key, one object; strong while it runs, dropped when it ends; nested
 * sessions shadow; concurrent ones never share), each transaction its own identity scope
 * (a lookup inside never returns an object from outside it or from another in-flight
 * transaction), what a commit publishes, rollback of brought-in instances, and the Effect side.
 */
import { Effect } from "effect"
import { expect, test } from "vitest"
import { type Session, currentSession } from "@ferro/core/internal"
import {
  ConnectionError,
  Ferro,
  Model,
  beginTransaction,
  connect,
  execute,
  fetchOne,
  field,
  session,
  sql,
  transaction,
} from "ferro-orm"
import { type Backend, describeEachBackend } from "./support/backends.js"

class Wallet extends Model("ss_wallets", {
  id: field.id(),
  owner: field.text(),
  balance: field.int({ default: 0 }),
}) {}

class Boom extends Error {}

const setup = async (backend: Backend, name?: string): Promise<void> => {
  await connect(await backend.freshUrl(), { autoMigrate: true, ...(name === undefined ? {} : { name }) })
  await Wallet.using(name ?? "default").bulkCreate([
    { owner: "a", balance: 100 },
    { owner: "b", balance: 200 },
    { owner: "c", balance: 300 },
  ])
}

/** The session the calling code runs in (internal accessor, for checking its map). */
const here = (): Session => {
  const found = currentSession()
  if (found === undefined) throw new Error("no session")
  return found
}

describeEachBackend("sessions", (backend) => {
  test("within a session one primary key is one object; concurrent sessions never share one", async () => {
    await setup(backend)
    const outside = await Wallet.get(1)
    const [first, second] = await Promise.all([
      session(async () => {
        const a = await Wallet.get(1)
        expect(await Wallet.where((w) => w.id.eq(1)).first()).toBe(a)
        expect((await Wallet.select().orderBy((w) => w.id).all())[0]).toBe(a)
        expect(await Wallet.getOrNone(1)).toBe(a)
        return a
      }),
      session(async () => {
        const a = await Wallet.get(1)
        expect(await Wallet.where((w) => w.owner.eq("a")).first()).toBe(a)
        return a
      }),
    ])
    expect(first).not.toBe(second)
    expect(first).not.toBe(outside)
    expect(second).not.toBe(outside)
    // Outside any session the connection's map is as before.
    expect(await Wallet.get(1)).toBe(outside)
  })

  test("nested sessions shadow the outer one, which is back when they end", async () => {
    await setup(backend)
    await session(async () => {
      const outer = await Wallet.get(2)
      const outerSession = here()
      const inner = await session(async () => {
        expect(here()).not.toBe(outerSession)
        const mine = await Wallet.get(2)
        expect(mine).not.toBe(outer)
        expect(await Wallet.get(2)).toBe(mine)
        return mine
      })
      expect(here()).toBe(outerSession)
      expect(await Wallet.get(2)).toBe(outer)
      expect(inner).not.toBe(outer)
    })
  })

  test("a session pins its connection; an unknown connection is a ConnectionError", async () => {
    await setup(backend)
    await setup(backend, "other")
    await Wallet.using("other").create({ owner: "only there" })
    expect(await session(() => Wallet.select().count(), { using: "other" })).toBe(4)
    expect(await session(() => Wallet.select().count())).toBe(3)
    // A transaction opened in the session runs on the session's connection.
    await session(
      () =>
        transaction(async () => {
          await Wallet.create({ owner: "there too" })
        }),
      { using: "other" },
    )
    expect(await Wallet.using("other").select().count()).toBe(5)
    expect(await Wallet.select().count()).toBe(3)
    await expect(session(async () => 1, { using: "missing" })).rejects.toBeInstanceOf(ConnectionError)
  })

  test("the session's map holds its instances strongly while it runs and is dropped when it ends", async () => {
    await setup(backend)
    let opened: Session | undefined
    let late: Promise<Wallet> | undefined
    await session(async () => {
      opened = here()
      expect(opened.identityMap?.strong).toBe(true)
      await Wallet.select().all()
      expect(opened.identityMap?.size("ss_wallets")).toBe(3)
      await Wallet.create({ owner: "d" })
      expect(opened.identityMap?.size()).toBe(4)
      late = new Promise<void>((resolve) => setImmediate(resolve)).then(() => Wallet.get(1))
    })
    expect(opened!.closed).toBe(true)
    expect(opened!.identityMap?.size()).toBe(0)
    // Work that outlives the session no longer fills its map: it uses the connection's.
    const loaded = await late!
    expect(opened!.identityMap?.size()).toBe(0)
    expect(await Wallet.get(1)).toBe(loaded)
  })

  test("a transaction is its own identity scope: a lookup inside never returns an object held outside it", async () => {
    await setup(backend)
    const held = await Wallet.get(1)
    await execute("UPDATE ss_wallets SET balance = 150 WHERE id = 1")
    const inside = await transaction(async () => {
      const mine = await Wallet.get(1)
      expect(mine).not.toBe(held)
      expect(mine.balance).toBe(150) // hydrated from the row the transaction reads
      expect(await Wallet.where((w) => w.id.eq(1)).first()).toBe(mine)
      // A savepoint is part of its transaction: same scope.
      await transaction(async () => {
        expect(await Wallet.get(1)).toBe(mine)
      })
      return mine
    })
    expect(held.balance).toBe(100)
    // Read only inside, while the connection's map still held `held`: `held` stays the object.
    expect(await Wallet.get(1)).toBe(held)
    expect(inside).not.toBe(held)

    // Inside a session, the same: the session's objects are not returned inside a transaction.
    await session(async () => {
      const mine = await Wallet.get(2)
      await transaction(async () => {
        expect(await Wallet.get(2)).not.toBe(mine)
      })
      expect(await Wallet.get(2)).toBe(mine)
    })

    // Concurrent transactions (queued on SQLite's one connection) each get their own object.
    const [x, y] = await Promise.all([transaction(() => Wallet.get(3)), transaction(() => Wallet.get(3))])
    expect(x).not.toBe(y)
  })

  test("commit publishes: changed instances replace, read ones join only where the key is free; rollback publishes nothing", async () => {
    await setup(backend)
    await session(async () => {
      const a = await Wallet.get(1)
      const changed = await transaction(async () => {
        const mine = await Wallet.get(1)
        mine.balance = 111
        await mine.save()
        return mine
      })
      expect(await Wallet.get(1)).toBe(changed)
      expect(changed.balance).toBe(111)
      expect(a).not.toBe(changed)

      const b = await Wallet.get(2)
      const [readHeld, readFree] = await transaction(async () => [await Wallet.get(2), await Wallet.get(3)] as const)
      expect(await Wallet.get(2)).toBe(b)
      expect(readHeld).not.toBe(b)
      expect(await Wallet.get(3)).toBe(readFree)

      const created = await transaction(() => Wallet.create({ owner: "new" }))
      expect(await Wallet.get(created.id)).toBe(created)

      let rolledBack: Wallet | null | undefined
      await expect(
        transaction(async () => {
          rolledBack = await Wallet.where((w) => w.owner.eq("new")).first()
          throw new Boom()
        }),
      ).rejects.toBeInstanceOf(Boom)
      expect(rolledBack).toBeInstanceOf(Wallet)
      expect(rolledBack).not.toBe(created)
      expect(await Wallet.get(created.id)).toBe(created)
    })
  })

  test("rollback restores an instance brought into a transaction and saved there", async () => {
    await setup(backend)
    await session(async () => {
      const brought = await Wallet.get(1)
      await expect(
        transaction(async () => {
          brought.balance = 5
          await brought.save()
          // Saved inside, it is the transaction's object for its key.
          expect(await Wallet.get(1)).toBe(brought)
          throw new Boom()
        }),
      ).rejects.toBeInstanceOf(Boom)
      expect(brought.balance).toBe(100)
      expect(await Wallet.get(1)).toBe(brought)
      expect(await fetchOne(sql`SELECT balance FROM ss_wallets WHERE id = ${1}`)).toEqual({ balance: 100 })
      // Committed, it stays the session's object with the new value.
      await transaction(async () => {
        brought.balance = 7
        await brought.save()
      })
      expect(await Wallet.get(1)).toBe(brought)
      expect(brought.balance).toBe(7)
    })
  })

  // Two transactions in flight at once need a pool (PostgreSQL, MySQL): SQLite's one connection
  // would queue the second behind the first.
  if (backend.dialect !== "sqlite") {
    test("two in-flight transactions never share an object nor see each other's uncommitted changes", async () => {
      await setup(backend)
      const held = await Wallet.get(1)
      const t1 = await beginTransaction()
      const t2 = await beginTransaction()
      const x1 = await t1.run(() => Wallet.get(1))
      x1.balance = 999
      await t1.run(() => x1.save())
      const x2 = await t2.run(() => Wallet.get(1))
      expect(x2).not.toBe(x1)
      expect(x2).not.toBe(held)
      expect(x2.balance).toBe(100)
      await t1.commit()
      // Still t2's own object, as t2 read it.
      expect(await t2.run(() => Wallet.get(1))).toBe(x2)
      await t2.commit()
      expect(await Wallet.get(1)).toBe(x1) // the changed instance was published
      expect(x1.balance).toBe(999)
    })
  }

  test("Ferro.session: one object per key, nested sessions shadow, transactions publish into it, dropped at the end", async () => {
    await setup(backend)
    let opened: Session | undefined
    const program = Ferro.session(
      Effect.gen(function* () {
        opened = currentSession()
        const a = yield* Wallet.get(1)
        expect(yield* Wallet.where((w) => w.id.eq(1)).first()).toBe(a)
        const inner = yield* Ferro.session(Wallet.get(1))
        expect(inner).not.toBe(a)
        expect(yield* Wallet.get(1)).toBe(a)
        const changed = yield* Ferro.transaction(
          Effect.gen(function* () {
            const mine = yield* Wallet.get(2)
            mine.balance = 222
            yield* mine.save()
            return mine
          }),
        )
        expect(yield* Wallet.get(2)).toBe(changed)
        expect(opened?.identityMap?.size()).toBe(2)
        return a
      }),
    )
    const a = await Effect.runPromise(program)
    expect(a.id).toBe(1)
    expect(opened?.closed).toBe(true)
    expect(opened?.identityMap?.size()).toBe(0)
    expect(await fetchOne(sql`SELECT balance FROM ss_wallets WHERE id = ${2}`)).toEqual({ balance: 222 })
  })
})

