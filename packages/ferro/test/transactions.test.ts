/**
 * Transactions (SPEC §2 "Transactions"): commit / rollback, routing of every ORM call in a
 * block to the transaction's connection (helpers, relation loads, raw SQL, batch writes),
 * savepoints, isolation and read-only, concurrency (a PostgreSQL pool; SQLite's single
 * connection queueing work), abort through a signal, manual handles, the identity map after a
 * rollback, and named connections.
 */
import type { Pool as MysqlCorePool } from "mysql2"
import type pg from "pg"
import { expect, test } from "vitest"
import { getConnection } from "@ferro/core/internal"
import {
  DeadlockDetected,
  FerroError,
  Model,
  type ModelClass,
  TransactionError,
  beginTransaction,
  connect,
  evictInstance,
  execute,
  fetchAll,
  fetchOne,
  field,
  isPersisted,
  sql,
  transaction,
} from "ferro-orm"
import { type Backend, describeEachBackend } from "./support/backends.js"

class TxItem extends Model("tx_items", {
  id: field.id(),
  name: field.text(),
  n: field.int({ default: 0 }),
}) {}

class TxAuthor extends Model("tx_authors", {
  id: field.id(),
  name: field.text(),
  posts: field.backRef((): ModelClass<TxPost> => TxPost),
}) {}

class TxPost extends Model("tx_posts", {
  id: field.id(),
  title: field.text(),
  author: field.foreignKey((): ModelClass<TxAuthor> => TxAuthor, { relatedName: "posts" }),
  tags: field.manyToMany((): ModelClass<TxTag> => TxTag, { relatedName: "posts" }),
}) {}

class TxTag extends Model("tx_tags", {
  id: field.id(),
  name: field.text({ unique: true }),
  posts: field.backRef((): ModelClass<TxPost> => TxPost),
}) {}

class TxAccount extends Model("tx_accounts", {
  id: field.id(),
  owner: field.text(),
  balance: field.int(),
}) {}

class TxLedger extends Model("tx_ledger", {
  id: field.id(),
  transfer: field.int({ unique: true }),
  fromId: field.int(),
  toId: field.int(),
  amount: field.int(),
}) {}

/** Tables the ORM-everything test compares before and after (join table found at run time). */
const BASE_TABLES = ["tx_items", "tx_authors", "tx_posts", "tx_tags"] as const

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** A failure thrown on purpose inside a block; tests check it comes back as the very same object. */
class Boom extends Error {
  constructor(readonly tag: string = "boom") {
    super(`boom: ${tag}`)
  }
}

interface Deferred<T> {
  readonly promise: Promise<T>
  readonly resolve: (value: T) => void
}
const deferred = <T = void>(): Deferred<T> => {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Rejects when `promise` has not settled within `ms` (a hang — e.g. a deadlocked SQLite queue —
 * fails with a message naming it). Generous, just under the 30 s test timeout: a loaded machine
 * is slow, not hung.
 */
const within = <T>(promise: Promise<T>, what: string, ms = 25_000): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })

/** Whether `promise` settles within a few event-loop turns. */
const settlesSoon = async (promise: Promise<unknown>, ms = 30): Promise<boolean> => {
  let settled = false
  promise.then(
    () => (settled = true),
    () => (settled = true),
  )
  await sleep(ms)
  return settled
}

/** Deterministic PRNG (mulberry32) so the "random" failures are the same on every run. */
const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Row count of `table` through raw SQL on whatever connection the caller's context routes to. */
const countRows = async (table: string, using?: string): Promise<number> => {
  const row = await fetchOne<{ c: unknown }>(`SELECT count(*) AS c FROM ${table}`, [], using === undefined ? undefined : { using })
  return Number(row?.c)
}

const itemNames = async (using?: string): Promise<Array<string>> =>
  (await fetchAll<{ name: string }>("SELECT name FROM tx_items ORDER BY name", [], using === undefined ? undefined : { using })).map(
    (r) => r.name,
  )

/** A helper that never receives a transaction handle: it must still join the caller's transaction. */
const addItemViaHelper = async (name: string, n = 0) => {
  const nested = async () => TxItem.create({ name, n })
  return nested()
}

const sqliteDatabase = (name?: string) =>
  (getConnection(name).driver as unknown as { database: { inTransaction: boolean } }).database
const pgPool = (name?: string) => (getConnection(name).driver as unknown as { pool: pg.Pool }).pool
/** mysql2's callback pool under the promise wrapper: its connection lists (no public counters). */
const mysqlPool = (name?: string) => (getConnection(name).driver as unknown as { pool: { pool: MysqlCorePool } }).pool.pool as unknown as {
  _allConnections: { length: number }
  _freeConnections: { length: number }
  _connectionQueue: { length: number }
}

/**
 * No transaction left open: SQLite is not inside BEGIN, every PostgreSQL client / MySQL
 * connection is back in the pool (or was discarded) and nobody waits for one.
 */
const expectNothingOpen = (backend: Backend, name?: string) => {
  if (backend.dialect === "sqlite") expect(sqliteDatabase(name).inTransaction).toBe(false)
  else if (backend.dialect === "mysql") {
    const pool = mysqlPool(name)
    expect(pool._connectionQueue.length).toBe(0)
    expect(pool._freeConnections.length).toBe(pool._allConnections.length)
  } else {
    const pool = pgPool(name)
    expect(pool.waitingCount).toBe(0)
    expect(pool.idleCount).toBe(pool.totalCount)
  }
}

const statementCount = (name?: string) => getConnection(name).driver.statementCount

// ---------------------------------------------------------------------------------------------

describeEachBackend("transactions", (backend) => {
  const postgres = backend.dialect === "postgres"
  const mysql = backend.dialect === "mysql"
  const sqlite = backend.dialect === "sqlite"
  /** A server with a pool (PostgreSQL, MySQL): concurrent transactions run on their own connections. */
  const server = !sqlite
  const setup = async (options: { name?: string; pool?: { max: number } } = {}) =>
    connect(await backend.freshUrl(), { autoMigrate: true, ...options })

  // -------------------------------------------------------------------------------------------
  // Commit and rollback
  // -------------------------------------------------------------------------------------------

  test("commit: the block's result is returned and its work is visible after it", async () => {
    await setup()
    const result = await transaction(async () => {
      await TxItem.create({ name: "a", n: 1 })
      await addItemViaHelper("b", 2)
      expect(await TxItem.select().count()).toBe(2)
      return "done" as const
    })
    expect(result).toBe("done")
    expectNothingOpen(backend)
    // Raw SQL outside (on PostgreSQL: another pooled client) sees the committed rows.
    expect(await itemNames()).toEqual(["a", "b"])
    expect(await TxItem.select().count()).toBe(2)
  })

  test("rollback on throw: nothing is written and the error is rethrown unchanged", async () => {
    await setup()
    await TxItem.create({ name: "before", n: 0 })
    const boom = new Boom()
    const outcome = transaction(async () => {
      await TxItem.create({ name: "inside", n: 1 })
      await execute(sql`UPDATE tx_items SET n = ${42}`)
      expect(await countRows("tx_items")).toBe(2)
      throw boom
    })
    await expect(outcome).rejects.toBe(boom)
    expectNothingOpen(backend)
    expect(await itemNames()).toEqual(["before"])
    expect(await fetchAll("SELECT n FROM tx_items")).toEqual([{ n: 0 }])

    // A non-Error value thrown from the block comes back as is as well.
    const marker = { not: "an error" }
    await expect(
      transaction(async () => {
        await TxItem.create({ name: "inside 2" })
        throw marker
      }),
    ).rejects.toBe(marker)
    expect(await itemNames()).toEqual(["before"])
  })

  // -------------------------------------------------------------------------------------------
  // Routing: every ORM operation in the block runs on the transaction's connection
  // -------------------------------------------------------------------------------------------

  /** Every kind of ORM operation, with its effect checked from inside the block. */
  const everything = async (baseline: { keep: TxItem; gone: TxItem; touched: TxItem }) => {
    await addItemViaHelper("helper", 1)
    expect(await TxItem.bulkCreate([{ name: "bulk1" }, { name: "bulk2" }, { name: "bulk3", n: 3 }])).toBe(3)
    expect(await TxItem.where((i) => i.n.eq(0)).update({ n: (i) => i.n.add(10) })).toBe(4) // keep, gone, bulk1, bulk2
    expect(baseline.keep.n).toBe(10) // the held instance was refreshed from the transaction's row
    expect(await TxItem.where((i) => i.name.eq("gone")).delete()).toBe(1)
    expect(isPersisted(baseline.gone)).toBe(false)
    expect(await execute(sql`INSERT INTO tx_items (name, n) VALUES (${"raw"}, ${7})`)).toBe(1)
    expect((await fetchAll<{ name: string }>(sql`SELECT name FROM tx_items WHERE n = ${7}`)).map((r) => r.name)).toEqual(["raw"])
    expect(await fetchOne(sql`SELECT count(*) AS c FROM tx_items WHERE name LIKE ${"bulk%"}`)).toEqual({ c: 3 })

    baseline.touched.name = "touched-renamed"
    await baseline.touched.save()
    await baseline.keep.refresh()
    expect(baseline.keep.n).toBe(10)

    const [goc, created] = await TxItem.getOrCreate({ name: "goc" }, { n: 5 })
    expect(created).toBe(true)
    expect(goc.n).toBe(5)
    const [uoc, updated] = await TxItem.updateOrCreate({ name: "helper" }, { n: 99 })
    expect(updated).toBe(false)
    expect(uoc.n).toBe(99)

    const author = await TxAuthor.create({ name: "Ada" })
    const post = await TxPost.create({ title: "Hello", authorId: author.id })
    // Force a query for the relation load: it can only find the author on the transaction's connection.
    evictInstance(TxAuthor, author.id)
    const loaded = await post.author
    expect(loaded).not.toBeNull()
    expect(loaded.id).toBe(author.id)
    expect(loaded.name).toBe("Ada")
    expect(await author.posts.count()).toBe(1)
    expect((await author.posts.all()).map((p) => p.title)).toEqual(["Hello"])

    const tag = await TxTag.create({ name: "t" })
    await post.tags.add(tag)
    expect((await post.tags.all()).map((t) => t.name)).toEqual(["t"])
    expect(await tag.posts.count()).toBe(1)

    const extra = await TxItem.create({ name: "deleted-inside" })
    await extra.delete()

    expect(await itemNames()).toEqual(["bulk1", "bulk2", "bulk3", "goc", "helper", "keep", "raw", "touched-renamed"])
    return { author, post, tag }
  }

  const seedBaseline = async () => {
    const keep = await TxItem.create({ name: "keep", n: 0 })
    const gone = await TxItem.create({ name: "gone", n: 0 })
    const touched = await TxItem.create({ name: "touched", n: 1 })
    return { keep, gone, touched }
  }

  /** Every row of every table the test uses (the many-to-many join table included), in a stable order. */
  const dump = async () => {
    const joinTables = (
      sqlite
        ? await fetchAll<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'tx_%' ORDER BY name")
        : await fetchAll<{ name: string }>(
            `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ${mysql ? "database()" : "current_schema()"} AND table_name LIKE 'tx_%' ORDER BY table_name`,
          )
    )
      .map((r) => r.name)
      .filter((name) => !(BASE_TABLES as ReadonlyArray<string>).includes(name) && name.includes("tags") && name.includes("posts"))
    expect(joinTables).toHaveLength(1)
    const out: Record<string, unknown> = {}
    for (const table of [...BASE_TABLES, ...joinTables]) {
      out[table] = await fetchAll(`SELECT * FROM ${table} ORDER BY 1, 2`)
    }
    return out
  }

  test("every ORM operation in the block (helpers, relation loads, raw SQL, batch writes, bulkCreate) rolls back with it", async () => {
    await setup()
    const baseline = await seedBaseline()
    const before = await dump()
    const boom = new Boom()
    await expect(
      within(
        transaction(async () => {
          await everything(baseline)
          throw boom
        }),
        "transaction running every ORM operation",
      ),
    ).rejects.toBe(boom)
    expectNothingOpen(backend)
    expect(await dump()).toEqual(before)
    // Held instances are back as they were.
    // (Instances changed by batch writes are back as they were; instances edited by assignment
    // before save() are covered by the identity-map tests below.)
    expect(baseline.keep.n).toBe(0)
    expect(isPersisted(baseline.gone)).toBe(true)
    expect(await TxItem.get(baseline.gone.id)).toBe(baseline.gone)
  })

  test.runIf(server)("a concurrent reader outside sees none of the block's work before commit, all of it after (PostgreSQL, MySQL)", async () => {
    await setup()
    const baseline = await seedBaseline()
    const before = await dump()
    const reachedEnd = deferred()
    const release = deferred()
    const running = transaction(async () => {
      const made = await everything(baseline)
      reachedEnd.resolve()
      await release.promise
      return made
    })
    await within(reachedEnd.promise, "block reaching its end")
    // This code is outside the block: it runs on another pooled connection and sees only committed data.
    expect(await dump()).toEqual(before)
    expect(await TxItem.where((i) => i.name.eq("helper")).count()).toBe(0)
    expect(await TxAuthor.select().count()).toBe(0)
    release.resolve()
    const { author, post } = await running
    expectNothingOpen(backend)
    expect(await itemNames()).toEqual(["bulk1", "bulk2", "bulk3", "goc", "helper", "keep", "raw", "touched-renamed"])
    expect(await TxAuthor.select().count()).toBe(1)
    expect((await TxPost.get(post.id)).authorId).toBe(author.id)
    expect(await countRows("tx_tags")).toBe(1)
  })

  // -------------------------------------------------------------------------------------------
  // Nested blocks are savepoints
  // -------------------------------------------------------------------------------------------

  test("nested: an inner failure caught in the outer block rolls back only the inner work", async () => {
    await setup()
    const boom = new Boom("inner")
    let innerItem: TxItem | undefined
    await transaction(async () => {
      await TxItem.create({ name: "outer-1" })
      await expect(
        transaction(async () => {
          innerItem = await TxItem.create({ name: "inner" })
          await TxItem.where((i) => i.name.eq("outer-1")).update({ n: 5 })
          expect(await itemNames()).toEqual(["inner", "outer-1"])
          throw boom
        }),
      ).rejects.toBe(boom)
      // Inside the outer block, right after the savepoint rolled back.
      expect(await itemNames()).toEqual(["outer-1"])
      expect(await fetchAll("SELECT n FROM tx_items")).toEqual([{ n: 0 }])
      await TxItem.create({ name: "outer-2" })
    })
    expectNothingOpen(backend)
    expect(await itemNames()).toEqual(["outer-1", "outer-2"])
    expect(isPersisted(innerItem!)).toBe(false)
  })

  test("nested: an outer failure rolls back everything, committed inner blocks included", async () => {
    await setup()
    const boom = new Boom("outer")
    let innerItem: TxItem | undefined
    await expect(
      transaction(async () => {
        await TxItem.create({ name: "outer" })
        const inner = await transaction(async () => {
          innerItem = await TxItem.create({ name: "inner" })
          return "inner ok"
        })
        expect(inner).toBe("inner ok")
        expect(isPersisted(innerItem!)).toBe(true)
        expect(await itemNames()).toEqual(["inner", "outer"])
        throw boom
      }),
    ).rejects.toBe(boom)
    expectNothingOpen(backend)
    expect(await itemNames()).toEqual([])
    // The instance saved in the committed savepoint was rolled back with the outer transaction.
    expect(isPersisted(innerItem!)).toBe(false)
    expect(innerItem!.id).toBeUndefined()
  })

  test("nested: three levels deep, a failing middle level discards its committed inner level", async () => {
    await setup()
    const boom2 = new Boom("level 2")
    const boom3 = new Boom("level 3")
    let level3Item: TxItem | undefined
    await transaction(async () => {
      await TxItem.create({ name: "l1" })
      // Level 2 commits a level-3 savepoint, then fails: both go.
      await expect(
        transaction(async () => {
          await TxItem.create({ name: "l2-failed" })
          await transaction(async () => {
            level3Item = await TxItem.create({ name: "l3-in-failed-l2" })
          })
          expect(await itemNames()).toEqual(["l1", "l2-failed", "l3-in-failed-l2"])
          throw boom2
        }),
      ).rejects.toBe(boom2)
      expect(await itemNames()).toEqual(["l1"])
      expect(isPersisted(level3Item!)).toBe(false)
      // Level 2 succeeds; its level 3 fails and is caught: only level 3 goes.
      await transaction(async () => {
        await TxItem.create({ name: "l2" })
        await transaction(async () => {
          await TxItem.create({ name: "l3" })
          await expect(
            transaction(async () => {
              await TxItem.create({ name: "l4-failed" })
              throw boom3
            }),
          ).rejects.toBe(boom3)
          expect(await itemNames()).toEqual(["l1", "l2", "l3"])
        })
        await expect(
          transaction(async () => {
            await TxItem.create({ name: "l3-failed" })
            throw boom3
          }),
        ).rejects.toBe(boom3)
      })
      expect(await itemNames()).toEqual(["l1", "l2", "l3"])
    })
    expectNothingOpen(backend)
    expect(await itemNames()).toEqual(["l1", "l2", "l3"])
  })

  // Beyond the brief's list: sibling nested blocks started concurrently inside one transaction
  // (Promise.all) must still each be all-or-nothing. Savepoints are a stack, so the siblings
  // take turns: the second starts when the first has ended.
  test("nested: concurrent sibling blocks inside one transaction each commit or roll back on their own", async () => {
    await setup()
    const boom = new Boom("sibling")
    let running = 0
    let overlapped = false
    const sibling = (name: string, fail: boolean) =>
      transaction(async () => {
        if (++running > 1) overlapped = true
        await TxItem.create({ name })
        await sleep(fail ? 5 : 15)
        running--
        if (fail) throw boom
        await TxItem.create({ name: `${name}-2` })
      })
    await within(
      transaction(async () => {
        const [failed, ok] = await Promise.allSettled([sibling("failing", true), sibling("ok", false)])
        expect(failed).toEqual({ status: "rejected", reason: boom })
        expect(ok).toEqual({ status: "fulfilled", value: undefined })
      }),
      "outer transaction with concurrent siblings",
    )
    expectNothingOpen(backend)
    expect(overlapped).toBe(false)
    expect(await itemNames()).toEqual(["ok", "ok-2"])
  })

  test("nested blocks cannot set isolation, readOnly or sqliteMode (TransactionError); the outer block goes on", async () => {
    await setup()
    let ran = false
    await transaction(async () => {
      await TxItem.create({ name: "outer" })
      for (const options of [{ isolation: "serializable" as const }, { readOnly: true }, { readOnly: false }, { sqliteMode: "immediate" as const }]) {
        await expect(
          transaction(async () => {
            ran = true
            await TxItem.create({ name: "nested" })
          }, options),
        ).rejects.toBeInstanceOf(TransactionError)
      }
      await expect(beginTransaction({ isolation: "repeatable read" })).rejects.toBeInstanceOf(TransactionError)
      expect(await itemNames()).toEqual(["outer"])
    })
    expect(ran).toBe(false)
    expectNothingOpen(backend)
    expect(await itemNames()).toEqual(["outer"])
  })

  // -------------------------------------------------------------------------------------------
  // Isolation and read-only
  // -------------------------------------------------------------------------------------------

  // MySQL has no serialization failure: SERIALIZABLE makes InnoDB's plain reads take shared row
  // locks, so the two writers each wait for the other's lock and InnoDB breaks the deadlock by
  // rolling one back (errno 1213, DeadlockDetected, a TransactionError).
  test.runIf(server)(
    `serializable: two transactions reading then writing the same row: one fails with ${mysql ? "DeadlockDetected 1213 (MySQL)" : "TransactionError 40001 (PostgreSQL)"}`,
    async () => {
      await setup()
      const account = await TxAccount.create({ owner: "shared", balance: 100 })
      let reads = 0
      const bothRead = deferred()
      const deposit = (amount: number) =>
        transaction(
          async () => {
            const row = await fetchOne<{ balance: number }>(sql`SELECT balance FROM tx_accounts WHERE id = ${account.id}`)
            if (++reads === 2) bothRead.resolve()
            await bothRead.promise
            await TxAccount.where((a) => a.id.eq(account.id)).update({ balance: row!.balance + amount })
            return amount
          },
          { isolation: "serializable" },
        )
      const results = await within(Promise.allSettled([deposit(10), deposit(20)]), "two serializable transactions")
      const fulfilled = results.filter((r) => r.status === "fulfilled")
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected")
      expect(fulfilled).toHaveLength(1)
      expect(rejected).toHaveLength(1)
      const error = rejected[0]!.reason
      expect(error).toBeInstanceOf(TransactionError)
      if (mysql) {
        expect(error).toBeInstanceOf(DeadlockDetected)
        expect((error as TransactionError).cause).toMatchObject({ errno: 1213 })
      } else expect((error as TransactionError).cause).toMatchObject({ code: "40001" })
      const winner = (fulfilled[0] as PromiseFulfilledResult<number>).value
      expect(await fetchOne(sql`SELECT balance FROM tx_accounts WHERE id = ${account.id}`)).toEqual({ balance: 100 + winner })
      expectNothingOpen(backend)
    },
  )

  test("readOnly: a write fails and nothing is written; reads work; later transactions can write", async () => {
    await setup()
    await TxItem.create({ name: "existing", n: 1 })
    // The write fails and the block rolls back.
    await expect(
      transaction(
        async () => {
          expect(await TxItem.select().count()).toBe(1)
          await TxItem.create({ name: "written in read-only" })
        },
        { readOnly: true },
      ),
    ).rejects.toBeInstanceOf(FerroError)
    expectNothingOpen(backend)
    expect(await itemNames()).toEqual(["existing"])

    // Even when the block swallows the failures and commits, nothing was written.
    const outcomes = await transaction(
      async () => {
        const attempts = [
          () => execute(sql`INSERT INTO tx_items (name, n) VALUES (${"raw"}, ${0})`),
          () => TxItem.where((i) => i.n.eq(1)).update({ n: 2 }),
          () => TxItem.select().delete(),
        ]
        const errors: Array<unknown> = []
        for (const attempt of attempts) {
          // PostgreSQL aborts the transaction on the first error: later statements fail too.
          await attempt().then(
            () => errors.push(null),
            (e: unknown) => errors.push(e),
          )
        }
        return errors
      },
      { readOnly: true },
    ).catch((error: unknown) => [error])
    expect(outcomes.every((e) => e instanceof FerroError)).toBe(true)
    expectNothingOpen(backend)
    expect(await fetchAll("SELECT name, n FROM tx_items")).toEqual([{ name: "existing", n: 1 }])

    // The read-only mode ended with the transaction.
    await TxItem.create({ name: "after" })
    await transaction(() => TxItem.create({ name: "after-tx" }))
    expect(await itemNames()).toEqual(["after", "after-tx", "existing"])
  })

  // -------------------------------------------------------------------------------------------
  // Concurrency
  // -------------------------------------------------------------------------------------------

  test(`${server ? 50 : 20} concurrent transfers with seeded failures: isolation and the bank invariant hold`, async () => {
    const accounts = 5
    const initial = 1_000
    const count = server ? 50 : 20
    await setup(server ? { pool: { max: 10 } } : {})
    for (let i = 0; i < accounts; i++) await TxAccount.create({ owner: `acc${i}`, balance: initial })
    const ids = (await TxAccount.select().orderBy((a) => a.id).all()).map((a) => a.id)

    const random = mulberry32(0xfe770)
    const plan = Array.from({ length: count }, (_, transfer) => {
      const from = ids[Math.floor(random() * accounts)]!
      let to = ids[Math.floor(random() * accounts)]!
      if (to === from) to = ids[(ids.indexOf(from) + 1) % accounts]!
      return { transfer, from, to, amount: 1 + Math.floor(random() * 100), fail: random() < 0.3, delay: Math.floor(random() * 4) }
    })
    expect(plan.filter((p) => p.fail).length).toBeGreaterThan(2)
    expect(plan.filter((p) => !p.fail).length).toBeGreaterThan(2)

    /** Transfers whose block finished successfully (set just before their commit). */
    const finished = new Set<number>()
    const violations: Array<string> = []
    // MySQL: READ COMMITTED, PostgreSQL's default. Under InnoDB's default REPEATABLE READ a plain
    // SELECT reads the snapshot taken at the block's first read, while the UPDATEs changed the
    // latest rows: the sum mixes the two (transfers others committed since that first read show
    // on this block's two accounts only) and is off. The final balances hold either way.
    const readCommitted = mysql ? { isolation: "read committed" as const } : {}
    const run = (p: (typeof plan)[number]) =>
      transaction(async () => {
        await TxLedger.create({ transfer: p.transfer, fromId: p.from, toId: p.to, amount: p.amount })
        // Lock the two rows in id order (no deadlocks); atomic updates (no lost updates).
        for (const id of [p.from, p.to].sort((a, b) => a - b)) {
          await TxAccount.where((a) => a.id.eq(id)).update({ balance: (a) => a.balance.add(id === p.from ? -p.amount : p.amount) })
        }
        await sleep(p.delay)
        // Own uncommitted ledger row visible; others' only once they committed.
        const seen = (await fetchAll<{ transfer: number }>("SELECT transfer FROM tx_ledger")).map((r) => r.transfer)
        if (!seen.includes(p.transfer)) violations.push(`transfer ${p.transfer} does not see its own ledger row`)
        for (const other of seen) {
          if (other !== p.transfer && !finished.has(other)) violations.push(`transfer ${p.transfer} sees uncommitted transfer ${other}`)
        }
        if ((await TxLedger.where((l) => l.transfer.eq(p.transfer)).count()) !== 1) {
          violations.push(`transfer ${p.transfer}: ORM query misses its own row`)
        }
        const total = await fetchOne<{ s: unknown }>("SELECT sum(balance) AS s FROM tx_accounts")
        if (Number(total?.s) !== accounts * initial) violations.push(`transfer ${p.transfer} sees a total of ${String(total?.s)}`)
        if (p.fail) throw new Boom(`transfer ${p.transfer}`)
        finished.add(p.transfer)
        return p.transfer
      }, readCommitted)

    const results = await within(Promise.allSettled(plan.map(run)), `${count} concurrent transactions`)
    expect(violations).toEqual([])
    for (const [i, result] of results.entries()) {
      const p = plan[i]!
      if (p.fail) {
        expect(result.status).toBe("rejected")
        const reason = (result as PromiseRejectedResult).reason
        expect(reason).toBeInstanceOf(Boom)
        expect((reason as Boom).tag).toBe(`transfer ${p.transfer}`)
      } else {
        expect(result).toEqual({ status: "fulfilled", value: p.transfer })
      }
    }
    expectNothingOpen(backend)

    // The invariant: money is neither created nor destroyed; failed transfers left no trace.
    const succeeded = plan.filter((p) => !p.fail)
    const balances = new Map(
      (await fetchAll<{ id: number; balance: number }>("SELECT id, balance FROM tx_accounts")).map((r) => [r.id, r.balance]),
    )
    expect([...balances.values()].reduce((a, b) => a + b, 0)).toBe(accounts * initial)
    const expected = new Map(ids.map((id) => [id, initial]))
    for (const p of succeeded) {
      expected.set(p.from, expected.get(p.from)! - p.amount)
      expected.set(p.to, expected.get(p.to)! + p.amount)
    }
    expect(balances).toEqual(expected)
    const ledger = (await fetchAll<{ transfer: number }>("SELECT transfer FROM tx_ledger ORDER BY transfer")).map((r) => r.transfer)
    expect(ledger).toEqual(succeeded.map((p) => p.transfer))
  })

  test.runIf(server)(
    "a concurrent transaction does not see another one's uncommitted changes through shared instances (PostgreSQL, MySQL)",
    async () => {
      await setup()
      const account = await TxAccount.create({ owner: "a", balance: 100 })
      const written = deferred()
      const release = deferred()
      const writer = transaction(async () => {
        const mine = await TxAccount.get(account.id)
        mine.balance = 0
        await mine.save()
        written.resolve()
        await release.promise
        throw new Boom("writer")
      })
      await within(written.promise, "writer")
      // Another transaction, and code outside any, load the row: the committed balance is 100.
      const seenByReader = await transaction(async () => {
        const raw = await fetchOne<{ balance: number }>(sql`SELECT balance FROM tx_accounts WHERE id = ${account.id}`)
        const loaded = await TxAccount.get(account.id)
        return { raw: raw!.balance, orm: loaded.balance }
      })
      const outside = (await TxAccount.get(account.id)).balance
      release.resolve()
      await expect(writer).rejects.toBeInstanceOf(Boom)
      expect(seenByReader).toEqual({ raw: 100, orm: 100 })
      expect(outside).toBe(100)
      expect(account.balance).toBe(100)
    },
  )

  test.runIf(sqlite)("concurrent transaction() calls queue on the single connection and all complete (SQLite)", async () => {
    await setup()
    const order: Array<string> = []
    const runs = Array.from({ length: 20 }, (_, i) =>
      transaction(async () => {
        order.push(`begin ${i}`)
        await TxItem.create({ name: `item-${String(i).padStart(2, "0")}`, n: i })
        await sleep(i % 3)
        expect(await TxItem.where((t) => t.n.eq(i)).count()).toBe(1)
        order.push(`end ${i}`)
        if (i % 5 === 4) throw new Boom(`tx ${i}`)
        return i
      }),
    )
    const results = await within(Promise.allSettled(runs), "20 queued SQLite transactions")
    for (const [i, result] of results.entries()) {
      if (i % 5 === 4) {
        expect(result.status).toBe("rejected")
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(Boom)
      } else expect(result).toEqual({ status: "fulfilled", value: i })
    }
    // They ran one after another: each block ended before the next began.
    for (let i = 0; i < order.length; i += 2) {
      expect(order[i]!.startsWith("begin")).toBe(true)
      expect(order[i + 1]).toBe(`end ${order[i]!.slice(6)}`)
    }
    expectNothingOpen(backend)
    const kept = Array.from({ length: 20 }, (_, i) => i).filter((i) => i % 5 !== 4)
    expect(await itemNames()).toEqual(kept.map((i) => `item-${String(i).padStart(2, "0")}`))
  })

  test.runIf(sqlite)("queries outside a transaction wait while it is open, then succeed outside it (SQLite)", async () => {
    await setup()
    await TxItem.create({ name: "existing" })
    const opened = deferred()
    const release = deferred()
    const boom = new Boom()
    const tx = transaction(async () => {
      await TxItem.create({ name: "in-tx" })
      opened.resolve()
      await release.promise
      throw boom
    })
    await opened.promise
    // Issued while the transaction is open, from outside it.
    const outsideCreate = TxItem.create({ name: "outside" })
    const outsideCount = TxItem.select().count()
    const outsideRaw = fetchAll<{ name: string }>("SELECT name FROM tx_items ORDER BY name")
    expect(await settlesSoon(Promise.race([outsideCreate, outsideCount, outsideRaw]))).toBe(false)
    release.resolve()
    await expect(tx).rejects.toBe(boom)
    // The waiting work ran after the rollback, outside the transaction: the write is kept.
    const [created, counted, rows] = await within(Promise.all([outsideCreate, outsideCount, outsideRaw]), "queued queries")
    expect(isPersisted(created)).toBe(true)
    expect(counted).toBeGreaterThanOrEqual(1)
    expect(rows.map((r) => r.name)).not.toContain("in-tx")
    expectNothingOpen(backend)
    expect(await itemNames()).toEqual(["existing", "outside"])
  })

  test.runIf(sqlite)("a write queued behind a transaction does not end up inside the next queued transaction (SQLite)", async () => {
    await setup()
    const opened = deferred()
    const release = deferred()
    const first = transaction(async () => {
      opened.resolve()
      await release.promise
    })
    await opened.promise
    // Queued in this order: another transaction (which will roll back), then a plain write.
    const boom = new Boom("second")
    const second = transaction(async () => {
      await TxItem.create({ name: "second-tx" })
      await sleep(5)
      throw boom
    })
    const outsideWrite = TxItem.create({ name: "outside" })
    release.resolve()
    await within(first, "first transaction")
    await expect(within(second, "second transaction")).rejects.toBe(boom)
    const created = await within(outsideWrite, "queued write")
    expectNothingOpen(backend)
    expect(await itemNames()).toEqual(["outside"])
    expect(isPersisted(created)).toBe(true)
  })

  // -------------------------------------------------------------------------------------------
  // Abort through a signal
  // -------------------------------------------------------------------------------------------

  test("abort mid-block: rejects with TransactionError, rolls back, and the abandoned code cannot write afterwards", async () => {
    await setup()
    const controller = new AbortController()
    const firstWritten = deferred()
    const abandoned = deferred<unknown>()
    const running = transaction(
      async () => {
        await TxItem.create({ name: "first" })
        firstWritten.resolve()
        await sleep(60) // aborted while waiting here
        try {
          await TxItem.create({ name: "late" })
          abandoned.resolve("written")
        } catch (error) {
          abandoned.resolve(error)
        }
        try {
          await execute(sql`INSERT INTO tx_items (name, n) VALUES (${"late-raw"}, ${0})`)
          return "raw written"
        } catch (error) {
          return error
        }
      },
      { signal: controller.signal },
    )
    await firstWritten.promise
    const reason = new Error("user cancelled")
    controller.abort(reason)
    const error = await running.then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(TransactionError)
    expect((error as TransactionError).cause).toBe(reason)
    // Rolled back as soon as it was abandoned (not when fn finally returns).
    expectNothingOpen(backend)
    expect(await itemNames()).toEqual([])
    // The abandoned code carries on and tries to write: refused, not run outside the transaction.
    const late = await within(abandoned.promise, "abandoned block")
    expect(late).toBeInstanceOf(TransactionError)
    await sleep(10)
    expect(await itemNames()).toEqual([])
    expectNothingOpen(backend)
    // The connection is usable afterwards.
    await transaction(() => TxItem.create({ name: "after" }))
    expect(await itemNames()).toEqual(["after"])
  })

  test("an already-aborted signal rejects before BEGIN", async () => {
    await setup()
    const before = statementCount()
    let ran = false
    const controller = new AbortController()
    controller.abort()
    const error = await transaction(
      async () => {
        ran = true
        await TxItem.create({ name: "never" })
      },
      { signal: controller.signal },
    ).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(TransactionError)
    expect(ran).toBe(false)
    expect(statementCount()).toBe(before) // no BEGIN, no statement at all
    expectNothingOpen(backend)
    expect(await itemNames()).toEqual([])
  })

  // -------------------------------------------------------------------------------------------
  // Manual handles
  // -------------------------------------------------------------------------------------------

  test("beginTransaction: run twice, commit; outside sees it only after commit; the ended handle refuses everything", async () => {
    await setup()
    const tx = await beginTransaction()
    expect(tx.closed).toBe(false)
    const a = await tx.run(() => TxItem.create({ name: "a" }))
    const counted = await tx.run(async () => {
      await addItemViaHelper("b")
      await execute(sql`UPDATE tx_items SET n = ${1} WHERE name = ${"a"}`)
      return TxItem.select().count()
    })
    expect(counted).toBe(2)
    // Outside the handle's run(): PostgreSQL and MySQL read committed data on another pooled
    // connection; SQLite waits.
    const outside = TxItem.select().count()
    if (server) expect(await outside).toBe(0)
    else expect(await settlesSoon(outside)).toBe(false)
    await tx.commit()
    expect(tx.closed).toBe(true)
    expect(await within(outside, "outside count")).toBe(server ? 0 : 2)
    expectNothingOpen(backend)
    expect(await fetchAll("SELECT name, n FROM tx_items ORDER BY name")).toEqual([
      { name: "a", n: 1 },
      { name: "b", n: 0 },
    ])
    expect(isPersisted(a)).toBe(true)

    let ran = false
    await expect(
      tx.run(async () => {
        ran = true
        await TxItem.create({ name: "after commit" })
      }),
    ).rejects.toBeInstanceOf(TransactionError)
    expect(ran).toBe(false)
    await expect(tx.commit()).rejects.toBeInstanceOf(TransactionError)
    await expect(tx.rollback()).rejects.toBeInstanceOf(TransactionError)
    expectNothingOpen(backend)
    expect(await itemNames()).toEqual(["a", "b"])
  })

  test("beginTransaction: rollback discards the work; the ended handle refuses everything", async () => {
    await setup()
    await TxItem.create({ name: "kept" })
    const tx = await beginTransaction()
    const created = await tx.run(() => TxItem.create({ name: "discarded" }))
    await tx.run(() => TxItem.select().delete())
    expect(await tx.run(() => TxItem.select().count())).toBe(0)
    await tx.rollback()
    expect(tx.closed).toBe(true)
    expectNothingOpen(backend)
    expect(await itemNames()).toEqual(["kept"])
    expect(isPersisted(created)).toBe(false)
    await expect(tx.run(() => TxItem.create({ name: "after" }))).rejects.toBeInstanceOf(TransactionError)
    await expect(tx.rollback()).rejects.toBeInstanceOf(TransactionError)
    await expect(tx.commit()).rejects.toBeInstanceOf(TransactionError)
    expect(await itemNames()).toEqual(["kept"])
  })

  test("a promise started in handle.run() that outlives the rollback cannot write outside the transaction", async () => {
    await setup()
    const tx = await beginTransaction()
    const gate = deferred()
    let late: Promise<unknown> | undefined
    await tx.run(async () => {
      await TxItem.create({ name: "in" })
      late = (async () => {
        await gate.promise
        return TxItem.create({ name: "leaked" })
      })()
      late.catch(() => {})
    })
    await tx.rollback()
    gate.resolve()
    await expect(within(late!, "late write")).rejects.toBeInstanceOf(TransactionError)
    expect(await itemNames()).toEqual([])
  })

  // -------------------------------------------------------------------------------------------
  // Identity map after a rollback
  // -------------------------------------------------------------------------------------------

  test("rollback: an instance created inside is no longer persisted, its key is reset and it leaves the identity map", async () => {
    await setup()
    const boom = new Boom()
    let created: TxItem | undefined
    let createdId: number | undefined
    await expect(
      transaction(async () => {
        created = await TxItem.create({ name: "new", n: 3 })
        createdId = created.id
        expect(isPersisted(created)).toBe(true)
        expect(await TxItem.get(createdId)).toBe(created)
        throw boom
      }),
    ).rejects.toBe(boom)
    expect(isPersisted(created!)).toBe(false)
    expect(created!.id).toBeUndefined()
    expect(created!.name).toBe("new")
    expect(await TxItem.getOrNone(createdId!)).toBeNull()
    // A row that later gets the same key is a new object, not the rolled-back one.
    await execute(sql`INSERT INTO tx_items (id, name, n) VALUES (${createdId!}, ${"reused key"}, ${0})`)
    const reused = await TxItem.get(createdId!)
    expect(reused).not.toBe(created)
    expect(reused.name).toBe("reused key")
    // Saving the restored instance inserts it afresh.
    await created!.save()
    expect(isPersisted(created!)).toBe(true)
    expect(created!.id).not.toBe(createdId)
    expect(await itemNames()).toEqual(["new", "reused key"])
  })

  test("rollback: an instance loaded before and updated inside gets its old values back; get() returns that object", async () => {
    await setup()
    const original = await TxItem.create({ name: "old", n: 1 })
    evictInstance(TxItem, original.id)
    const held = await TxItem.get(original.id) // loaded before the transaction
    const boom = new Boom()
    await expect(
      transaction(async () => {
        held.name = "changed"
        held.n = 5
        await held.save()
        expect(await fetchOne(sql`SELECT name, n FROM tx_items WHERE id = ${held.id}`)).toEqual({ name: "changed", n: 5 })
        throw boom
      }),
    ).rejects.toBe(boom)
    expect(await fetchOne(sql`SELECT name, n FROM tx_items WHERE id = ${held.id}`)).toEqual({ name: "old", n: 1 })
    expect(isPersisted(held)).toBe(true)
    const again = await TxItem.get(held.id)
    expect(again).toBe(held)
    expect({ name: again.name, n: again.n }).toEqual({ name: "old", n: 1 })
    // Its change tracking matches the database again: a new change is saved as an UPDATE of just that.
    held.n = 7
    await held.save()
    expect(await fetchOne(sql`SELECT name, n FROM tx_items WHERE id = ${held.id}`)).toEqual({ name: "old", n: 7 })
  })

  test("rollback: an instance deleted inside is persisted again and back in the identity map", async () => {
    await setup()
    const doomed = await TxItem.create({ name: "doomed", n: 2 })
    const id = doomed.id
    const boom = new Boom()
    await expect(
      transaction(async () => {
        await doomed.delete()
        expect(isPersisted(doomed)).toBe(false)
        expect(await TxItem.getOrNone(id)).toBeNull()
        throw boom
      }),
    ).rejects.toBe(boom)
    expect(isPersisted(doomed)).toBe(true)
    expect(doomed.id).toBe(id)
    expect(await TxItem.get(id)).toBe(doomed)
    expect(await TxItem.where((i) => i.name.eq("doomed")).first()).toBe(doomed)
    // It can be changed and deleted again, for real this time.
    doomed.n = 3
    await doomed.save()
    expect(await fetchAll("SELECT name, n FROM tx_items")).toEqual([{ name: "doomed", n: 3 }])
    await doomed.delete()
    expect(await itemNames()).toEqual([])
  })

  test("rollback restores instances changed by batch update/delete and refresh", async () => {
    await setup()
    const a = await TxItem.create({ name: "a", n: 1 })
    const b = await TxItem.create({ name: "b", n: 2 })
    const c = await TxItem.create({ name: "c", n: 3 })
    await expect(
      transaction(async () => {
        expect(await TxItem.where((i) => i.n.lte(2)).update({ n: (i) => i.n.add(100) })).toBe(2)
        expect([a.n, b.n]).toEqual([101, 102])
        expect(await TxItem.where((i) => i.name.eq("c")).delete()).toBe(1)
        expect(isPersisted(c)).toBe(false)
        await execute(sql`UPDATE tx_items SET name = ${"B"} WHERE id = ${b.id}`)
        await b.refresh()
        expect(b.name).toBe("B")
        throw new Boom()
      }),
    ).rejects.toBeInstanceOf(Boom)
    expect([a.name, a.n, b.name, b.n, c.name, c.n]).toEqual(["a", 1, "b", 2, "c", 3])
    expect(isPersisted(c)).toBe(true)
    expect(await TxItem.get(a.id)).toBe(a)
    expect(await TxItem.get(b.id)).toBe(b)
    expect(await TxItem.get(c.id)).toBe(c)
    expect(await fetchAll("SELECT name, n FROM tx_items ORDER BY id")).toEqual([
      { name: "a", n: 1 },
      { name: "b", n: 2 },
      { name: "c", n: 3 },
    ])
  })

  // -------------------------------------------------------------------------------------------
  // Named connections
  // -------------------------------------------------------------------------------------------

  test('transaction({ using: "other" }) runs the block on that connection', async () => {
    await setup()
    await setup({ name: "other" })
    const result = await transaction(
      async () => {
        await TxItem.create({ name: "there" })
        await execute(sql`INSERT INTO tx_items (name, n) VALUES (${"there-raw"}, ${0})`)
        await transaction(() => addItemViaHelper("there-nested"))
        expect(await TxItem.select().count()).toBe(3)
        return itemNames()
      },
      { using: "other" },
    )
    expect(result).toEqual(["there", "there-nested", "there-raw"])
    expectNothingOpen(backend, "other")
    expect(await itemNames()).toEqual([])
    expect(await itemNames("other")).toEqual(["there", "there-nested", "there-raw"])
    expect(await TxItem.using("other").select().count()).toBe(3)

    // Rolled back on that connection; an explicit using() of the default one that opts out of
    // the transaction is not part of it (without the opt-out it is refused: values.test.ts).
    const boom = new Boom()
    await expect(
      transaction(
        async () => {
          await TxItem.create({ name: "there-rolled-back" })
          await TxItem.using("default", { outsideTransaction: true }).create({ name: "here-explicit" })
          throw boom
        },
        { using: "other" },
      ),
    ).rejects.toBe(boom)
    expectNothingOpen(backend, "other")
    expect(await itemNames("other")).toEqual(["there", "there-nested", "there-raw"])
    expect(await itemNames()).toEqual(["here-explicit"])

    // The inverse: a transaction on the default connection leaves "other" alone.
    await expect(
      transaction(async () => {
        await TxItem.create({ name: "here-rolled-back" })
        throw boom
      }),
    ).rejects.toBe(boom)
    expect(await itemNames()).toEqual(["here-explicit"])
  })
})
