/**
 * The money invariant under concurrency (SPEC "Sessions and the identity map"): 200 concurrent
 * transfers between 20 accounts of 1,000 each, written the way application code writes them
 * (`get -> balance -= x -> save()` in a serializable transaction retried on serialization
 * failures), conserve exactly 20,000 with the identity map on: each transaction is its own
 * identity scope, so no transaction reads another in-flight one's uncommitted object. The
 * same holds inside sessions, and for the atomic read-committed variant
 * (`update({ balance: (a) => a.balance.add(x) })`). SQLite serializes transactions on its one
 * connection: the transfers queue, and the total must still be conserved.
 *
 * No timing: the transfers are started together and awaited; the pairs and amounts come from a
 * fixed seed.
 */
import { expect, test } from "vitest"
import {
  DeadlockDetected,
  Model,
  SerializationFailure,
  connect,
  fetchAll,
  field,
  session,
  transaction,
} from "ferro-orm"
import { type Backend, describeEachBackend } from "./support/backends.js"

class Account extends Model("tr_accounts", {
  id: field.int({ primaryKey: true }),
  owner: field.text(),
  balance: field.int(),
}) {}

const ACCOUNTS = 20
const START = 1_000
const TRANSFERS = 200
const TOTAL = ACCOUNTS * START

interface Transfer {
  readonly from: number
  readonly to: number
  readonly amount: number
}

/** The same 200 transfers every run (a small LCG, fixed seed). */
const transfers = (): ReadonlyArray<Transfer> => {
  let seed = 12345
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed % n
  }
  const out: Array<Transfer> = []
  for (let i = 0; i < TRANSFERS; i++) {
    const from = next(ACCOUNTS) + 1
    const to = ((from - 1 + 1 + next(ACCOUNTS - 1)) % ACCOUNTS) + 1
    out.push({ from, to, amount: next(50) + 1 })
  }
  return out
}

const setup = async (backend: Backend): Promise<ReadonlyArray<Account>> => {
  await connect(await backend.freshUrl(), { autoMigrate: true })
  await Account.bulkCreate(Array.from({ length: ACCOUNTS }, (_, i) => ({ id: i + 1, owner: `owner ${i + 1}`, balance: START })))
  // Held outside every transaction: the connection's map has an object for every account
  // (the situation in which transactions used to share objects).
  return Account.select().orderBy((a) => a.id).all()
}

/** The total as the database holds it. */
const storedTotal = async (): Promise<number> =>
  (await fetchAll<{ balance: number | string }>("SELECT balance FROM tr_accounts")).reduce((sum, r) => sum + Number(r.balance), 0)

/** The ORM way: read both, change both, save both, inside one serializable transaction. */
const transferByObjects = ({ from, to, amount }: Transfer): Promise<void> =>
  transaction(
    async () => {
      const a = await Account.get(from)
      const b = await Account.get(to)
      a.balance -= amount
      await a.save()
      b.balance += amount
      await b.save()
    },
    { isolation: "serializable", retry: 5 },
  )

/** The atomic way: two relative updates, read committed, rows locked in key order (no deadlock). */
const transferAtomic = ({ from, to, amount }: Transfer): Promise<void> =>
  transaction(
    async () => {
      const moves: ReadonlyArray<readonly [number, number]> = [
        [from, -amount],
        [to, amount],
      ]
      for (const [id, delta] of [...moves].sort((x, y) => x[0] - y[0])) {
        await Account.where((a) => a.id.eq(id)).update({ balance: (a) => a.balance.add(delta) })
      }
    },
    { isolation: "read committed", retry: 5 },
  )

/**
 * Runs every transfer concurrently. A transfer whose retries are exhausted on a
 * serialization failure or deadlock was rolled back whole (it moved nothing); any other
 * failure fails the test. Returns how many committed.
 */
const runAll = async (run: (t: Transfer) => Promise<void>): Promise<number> => {
  const outcomes = await Promise.allSettled(transfers().map(run))
  for (const outcome of outcomes) {
    if (outcome.status === "rejected") {
      const error = outcome.reason
      if (!(error instanceof SerializationFailure || error instanceof DeadlockDetected)) throw error
    }
  }
  return outcomes.filter((o) => o.status === "fulfilled").length
}

/** One line per run, as the reliability suite prints its areas (tried / held / failed). */
const report = (backend: { readonly name: string }, variant: string, committed: number, total: number): void => {
  const held = total === TOTAL ? TRANSFERS : 0
  console.log(
    `reliability transfers [${backend.name}] ${variant}: tried ${TRANSFERS}, held ${held}, failed ${TRANSFERS - held} (committed ${committed}, rolled back after retries ${TRANSFERS - committed}, total ${total})`,
  )
}

/** The total through fresh objects, in a session of its own. */
const sessionTotal = (): Promise<number> =>
  session(async () => (await Account.select().all()).reduce((sum, a) => sum + a.balance, 0))

describeEachBackend("concurrent transfers conserve the total", (backend) => {
  test("get -> balance -= x -> save() in serializable transactions with retry, identity map on", async () => {
    const held = await setup(backend)
    const committed = await runAll(transferByObjects)
    report(backend, "get/save serializable", committed, await storedTotal())
    expect(committed).toBeGreaterThan(0)
    expect(await storedTotal()).toBe(TOTAL)
    expect(await sessionTotal()).toBe(TOTAL)
    // What the transactions committed replaced the objects held outside (they carry the newest rows).
    const now = await Account.select().orderBy((a) => a.id).all()
    expect(now.reduce((sum, a) => sum + a.balance, 0)).toBe(TOTAL)
    expect(held).toHaveLength(ACCOUNTS)
  })

  test("the same transfers, each in a session of its own (one per request)", async () => {
    await setup(backend)
    const committed = await runAll((t) =>
      session(async () => {
        // The session holds its own object for the source account before the transaction.
        await Account.get(t.from)
        await transferByObjects(t)
      }),
    )
    report(backend, "get/save serializable, a session per transfer", committed, await storedTotal())
    expect(committed).toBeGreaterThan(0)
    expect(await storedTotal()).toBe(TOTAL)
    expect(await sessionTotal()).toBe(TOTAL)
  })

  test("the same transfers, all inside one session: concurrent transactions never share its objects", async () => {
    await setup(backend)
    const committed = await session(async () => {
      await Account.select().all() // the session holds every account
      return runAll(transferByObjects)
    })
    report(backend, "get/save serializable, one session for all", committed, await storedTotal())
    expect(committed).toBeGreaterThan(0)
    expect(await storedTotal()).toBe(TOTAL)
    expect(await sessionTotal()).toBe(TOTAL)
  })

  test("atomic relative updates in read-committed transactions, identity map on, with and without a session", async () => {
    await setup(backend)
    const committed = await runAll(transferAtomic)
    report(backend, "atomic read committed", committed, await storedTotal())
    expect(committed).toBe(TRANSFERS)
    expect(await storedTotal()).toBe(TOTAL)
    expect(await session(() => runAll((t) => session(() => transferAtomic(t))))).toBe(TRANSFERS)
    expect(await storedTotal()).toBe(TOTAL)
    expect(await sessionTotal()).toBe(TOTAL)
  })
})
