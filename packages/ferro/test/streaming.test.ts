/**
 * Streaming (SPEC §2 "Streaming"): `stream()` and `toStream()` on every backend — order and
 * completeness across batch sizes, projections, leaving early (break, throw, Effect
 * interruption) gives the connection back, streams join transactions, eager loading per
 * batch, the identity-map rule, and batchSize validation before any SQL.
 */
import { Effect, Stream } from "effect"
import type { Pool as MysqlCorePool } from "mysql2"
import type pg from "pg"
import { beforeEach, expect, test } from "vitest"
import { getConnection } from "@ferro/core/internal"
import { Model, type ModelClass, QueryError, connect, disconnect, execute, field, fetchOne, session, sql, transaction } from "ferro-orm"
import { type Backend, describeEachBackend } from "./support/backends.js"

class Writer extends Model("st_writers", {
  id: field.id(),
  name: field.text(),
  posts: field.backRef((): ModelClass<Entry> => Entry),
}) {}

class Entry extends Model("st_entries", {
  id: field.id(),
  title: field.text(),
  views: field.int({ default: 0 }),
  writer: field.foreignKey((): ModelClass<Writer> => Writer, { relatedName: "posts" }),
}) {}

const ROWS = 2500

const collect = async <T>(iterable: AsyncIterable<T>): Promise<Array<T>> => {
  const out: Array<T> = []
  for await (const item of iterable) out.push(item)
  return out
}

const statements = (): number => getConnection().driver.statementCount
const pgPool = () => (getConnection().driver as unknown as { pool: pg.Pool }).pool
/** mysql2's callback pool under the promise wrapper: its connection lists (no public counters). */
const mysqlPool = () =>
  (getConnection().driver as unknown as { pool: { pool: MysqlCorePool } }).pool.pool as unknown as {
    _allConnections: { length: number }
    _freeConnections: { length: number }
    _connectionQueue: { length: number }
  }
const sqliteDatabase = () => (getConnection().driver as unknown as { database: { inTransaction: boolean } }).database

/** Server sessions still inside a stream's transaction (PostgreSQL). */
const openCursorSessions = async (): Promise<number> => {
  const row = await fetchOne<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()
        AND state LIKE 'idle in transaction%' AND (query LIKE 'FETCH FORWARD%' OR query LIKE 'DECLARE%')`,
  )
  return Number(row!.n)
}

/** The stream is closed and the connection handed back: nothing open, writes work at once. */
const expectReleased = async (backend: Backend): Promise<void> => {
  if (backend.dialect === "postgres") {
    const pool = pgPool()
    expect(pool.waitingCount).toBe(0)
    expect(pool.idleCount).toBe(pool.totalCount)
    expect(await openCursorSessions()).toBe(0)
  } else if (backend.dialect === "mysql") {
    // A stream left early destroys its connection (the rest of the result is still on the
    // wire, MySQL has no cursor to close): it is gone from the pool, every other connection is
    // back in it, nobody waits. (The server ends that session when it sees the socket close,
    // asynchronously; its plain SELECT held no row locks, so the writes below never wait for it.)
    const pool = mysqlPool()
    expect(pool._connectionQueue.length).toBe(0)
    expect(pool._freeConnections.length).toBe(pool._allConnections.length)
  } else {
    expect(sqliteDatabase().inTransaction).toBe(false)
  }
  // Writes right after (better-sqlite3 refuses them while an iterator is open).
  const writer = await Writer.create({ name: "after" })
  await Entry.where((e) => e.id.eq(1)).update({ views: 7 })
  await writer.delete()
  expect(await Entry.select().count()).toBe(ROWS)
}

describeEachBackend("streaming", (backend) => {
  let ids: Array<number>

  beforeEach(async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    const writers = [await Writer.create({ name: "Ada" }), await Writer.create({ name: "Alan" }), await Writer.create({ name: "Grace" })]
    await Entry.bulkCreate(
      Array.from({ length: ROWS }, (_, i) => new Entry({ title: `entry ${i}`, views: i % 10, writer: writers[i % 3]! })),
    )
    ids = (await Entry.select((e) => e.id).orderBy((e) => e.id).all()) as Array<number>
    expect(ids).toHaveLength(ROWS)
  })

  test("streams every row in order, whatever the batch size", async () => {
    for (const batchSize of [1, 7, 500, 2500, 4000]) {
      const query = batchSize === 1 ? Entry.select().orderBy((e) => e.id).limit(40) : Entry.select().orderBy((e) => e.id)
      const rows = await collect(query.stream({ batchSize }))
      const expected = batchSize === 1 ? ids.slice(0, 40) : ids
      expect(rows.map((r) => r.id)).toEqual(expected)
      expect(rows.every((r) => r instanceof Entry)).toBe(true)
    }
    // The default batch size, a filter and descending order.
    const filtered = await collect(Entry.where((e) => e.views.gt(0)).orderBy((e) => e.id, "desc").stream())
    expect(filtered.map((r) => r.id)).toEqual(ids.filter((_, i) => i % 10 > 0).reverse())
    expect(filtered[0]!.title).toBe(`entry ${ROWS - 1}`)
    // Empty result.
    expect(await collect(Entry.where((e) => e.views.gt(100)).stream({ batchSize: 10 }))).toEqual([])
    await expectReleased(backend)
  })

  test("projections stream plain rows", async () => {
    const objects = await collect(Entry.select((e) => ({ id: e.id, title: e.title })).orderBy((e) => e.id).stream({ batchSize: 300 }))
    expect(objects).toHaveLength(ROWS)
    expect(objects[0]).toEqual({ id: ids[0], title: "entry 0" })
    expect(objects.map((o) => o.id)).toEqual(ids)
    const values = await collect(Entry.select((e) => e.views).where((e) => e.id.lte(ids[4]!)).orderBy((e) => e.id).stream({ batchSize: 2 }))
    expect(values).toEqual([0, 1, 2, 3, 4])
    const tuples = await collect(Entry.select((e) => [e.id, e.writer.name] as const).orderBy((e) => e.id).limit(3).stream())
    expect(tuples).toEqual([
      [ids[0], "Ada"],
      [ids[1], "Alan"],
      [ids[2], "Grace"],
    ])
    await expectReleased(backend)
  })

  test("break closes the cursor and gives the connection back", async () => {
    let seen = 0
    for await (const entry of Entry.select().orderBy((e) => e.id).stream({ batchSize: 100 })) {
      expect(entry.id).toBe(ids[seen])
      seen++
      if (seen === 150) break
    }
    expect(seen).toBe(150)
    await expectReleased(backend)
    // Many early exits leak nothing either.
    for (let i = 0; i < 15; i++) {
      for await (const entry of Entry.select().stream({ batchSize: 10 })) {
        void entry
        break
      }
    }
    await expectReleased(backend)
  })

  test("a throw in the loop body closes the cursor and gives the connection back", async () => {
    const boom = new Error("boom")
    await expect(
      (async () => {
        for await (const entry of Entry.select().orderBy((e) => e.id).stream({ batchSize: 64 })) {
          if (entry.id === ids[70]) throw boom
        }
      })(),
    ).rejects.toBe(boom)
    await expectReleased(backend)
  })

  test("statements issued while a stream is open run (reads and writes in the loop body)", async () => {
    let n = 0
    for await (const entry of Entry.where((e) => e.id.lte(ids[29]!)).orderBy((e) => e.id).stream({ batchSize: 7 })) {
      entry.views = 100 + n++
      await entry.save()
      expect(await Writer.select().count()).toBe(3)
    }
    expect(n).toBe(30)
    expect(await Entry.where((e) => e.views.gte(100)).count()).toBe(30)
    // A transaction in the loop body: on SQLite the next batch waits for it, nothing deadlocks.
    let m = 0
    for await (const entry of Entry.where((e) => e.views.gte(100)).orderBy((e) => e.id).stream({ batchSize: 4 })) {
      await transaction(async () => {
        entry.views = 0
        await entry.save()
        await Entry.where((e) => e.id.eq(entry.id)).update({ title: `done ${m++}` })
      })
    }
    expect(m).toBe(30)
    // Raw SQL writes too.
    for await (const entry of Entry.where((e) => e.id.lte(ids[2]!)).stream({ batchSize: 1 })) {
      await execute(sql`UPDATE st_entries SET views = ${entry.views + 1} WHERE id = ${entry.id}`)
    }
    expect(await Entry.where((e) => e.title.like("done %")).count()).toBe(30)
    await expectReleased(backend)
  })

  test("inside a transaction the stream joins it and sees its uncommitted rows", async () => {
    const ada = (await Writer.where((w) => w.name.eq("Ada")).first())!
    await transaction(async () => {
      await Entry.create({ title: "uncommitted", views: 5, writer: ada })
      const rows = await collect(Entry.select().orderBy((e) => e.id).stream({ batchSize: 333 }))
      expect(rows).toHaveLength(ROWS + 1)
      expect(rows.at(-1)!.title).toBe("uncommitted")
      // Writes between batches stay in the transaction.
      let n = 0
      for await (const entry of Entry.where((e) => e.title.eq("uncommitted")).stream({ batchSize: 1 })) {
        entry.views = 99
        await entry.save()
        n++
      }
      expect(n).toBe(1)
      // Left early inside the transaction: the transaction goes on.
      for await (const entry of Entry.select().stream({ batchSize: 10 })) {
        void entry
        break
      }
      expect(await Entry.where((e) => e.views.eq(99)).count()).toBe(1)
    })
    expect(await Entry.where((e) => e.views.eq(99)).count()).toBe(1)
    // A rolled-back transaction's rows are gone.
    await expect(
      transaction(async () => {
        await Entry.create({ title: "rolled back", views: 5, writer: ada })
        expect((await collect(Entry.where((e) => e.title.eq("rolled back")).stream())).length).toBe(1)
        throw new Error("rollback")
      }),
    ).rejects.toThrow("rollback")
    expect(await collect(Entry.where((e) => e.title.eq("rolled back")).stream())).toEqual([])
    await Entry.where((e) => e.title.eq("uncommitted")).delete()
    await expectReleased(backend)
  })

  test("with() loads relations per batch: a constant number of statements per batch", async () => {
    const before = statements()
    let n = 0
    for await (const entry of Entry.select().orderBy((e) => e.id).with("writer").stream({ batchSize: 500 })) {
      const writer = await entry.writer
      expect(writer.name).toBe(["Ada", "Alan", "Grace"][n % 3])
      n++
    }
    expect(n).toBe(ROWS)
    // 5 batches: per batch one FETCH (or stepping turn) and one eager load, plus opening and closing.
    expect(statements() - before).toBeLessThanOrEqual(5 * 2 + 8)
    await expectReleased(backend)
  })

  test("the Effect Stream: runCollect, take (interruption closes the cursor), transactions", async () => {
    const all = await Effect.runPromise(Stream.runCollect(Entry.select().orderBy((e) => e.id).toStream({ batchSize: 400 })))
    expect(Array.from(all).map((e) => e.id)).toEqual(ids)
    const firstFive = await Effect.runPromise(
      Stream.runCollect(Entry.select((e) => e.id).orderBy((e) => e.id).toStream({ batchSize: 2 }).pipe(Stream.take(5))),
    )
    expect(Array.from(firstFive)).toEqual(ids.slice(0, 5))
    await expectReleased(backend)
    // Interrupted part-way through a batch.
    const taken = await Effect.runPromise(
      Stream.runCollect(Entry.select().orderBy((e) => e.id).toStream({ batchSize: 1000 }).pipe(Stream.take(1001))),
    )
    expect(Array.from(taken)).toHaveLength(1001)
    await expectReleased(backend)
    const ada = (await Writer.where((w) => w.name.eq("Ada")).first())!
    await transaction(async () => {
      await Entry.create({ title: "effect-visible", writer: ada })
      const found = await Effect.runPromise(Stream.runCollect(Entry.where((e) => e.title.eq("effect-visible")).toStream()))
      expect(Array.from(found)).toHaveLength(1)
      throw new Error("undo")
    }).catch(() => undefined)
    expect(await Entry.where((e) => e.title.eq("effect-visible")).count()).toBe(0)
    await expectReleased(backend)
  })

  test("a stream yields the objects a scope holds but registers none of its own", async () => {
    await session(async () => {
      const held = (await Entry.get(ids[0]!))!
      const streamed = await collect(Entry.select().orderBy((e) => e.id).limit(3).stream())
      expect(streamed[0]).toBe(held)
      // Not registered: a later get() builds its own object for the row.
      expect(await Entry.get(ids[1]!)).not.toBe(streamed[1])
      // Nor does a transaction in the session publish them on commit.
      const inTransaction = await transaction(async () => (await collect(Entry.where((e) => e.id.eq(ids[2]!)).stream()))[0]!)
      expect(await Entry.get(ids[2]!)).not.toBe(inTransaction)
    })
    // A transaction outside a session does not publish streamed instances either.
    const notPublished = await transaction(async () => (await collect(Entry.where((e) => e.id.eq(ids[3]!)).stream()))[0]!)
    expect(await Entry.get(ids[3]!)).not.toBe(notPublished)
    // Outside a session the connection's weak map is consulted, not filled.
    const held = (await Entry.get(ids[4]!))!
    const [first, second] = await collect(Entry.where((e) => e.id.in([ids[4]!, ids[5]!])).orderBy((e) => e.id).stream())
    expect(first).toBe(held)
    expect(await Entry.get(ids[5]!)).not.toBe(second)
    expect(await Entry.get(ids[5]!)).toBe(await Entry.get(ids[5]!))
  })

  test("a failing statement rejects the loop with Ferro's error and releases the connection", async () => {
    const bad = Entry.where(() => sql<boolean>`no_such_column = 1`)
    await expect(collect(bad.stream({ batchSize: 10 }))).rejects.toBeInstanceOf(QueryError)
    const failure = await Effect.runPromise(Effect.flip(Stream.runCollect(bad.toStream())))
    expect(failure).toBeInstanceOf(QueryError)
    await expectReleased(backend)
  })

  test("the driver's stream: nothing is sent before the first next(), return() is idempotent", async () => {
    const driver = getConnection().driver
    const statement = { sql: "SELECT id FROM st_entries ORDER BY id", params: [] }
    const before = statements()
    const unused = driver.stream!(statement, {}, 10)
    await unused.return!()
    expect(statements()).toBe(before)
    const iterator = driver.stream!(statement, {}, 100)
    const first = await iterator.next()
    expect(first.done).toBe(false)
    expect(first.value).toHaveLength(100)
    expect(Number(first.value![0]![0])).toBe(ids[0])
    await iterator.return!()
    await iterator.return!()
    expect((await iterator.next()).done).toBe(true)
    await expectReleased(backend)
  })

  test("disconnect() with an abandoned stream open closes it (no hang); the stream then fails", async () => {
    const iterator = Entry.select().orderBy((e) => e.id).stream({ batchSize: 10 })[Symbol.asyncIterator]()
    expect((await iterator.next()).value!.id).toBe(ids[0])
    await disconnect()
    await expect((async () => {
      for (let i = 0; i < 20; i++) await iterator.next()
    })()).rejects.toThrow()
    await iterator.return!()
  })

  test("a bad batchSize is a QueryError before any SQL", async () => {
    const before = statements()
    for (const batchSize of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "10" as unknown as number, 2 ** 60]) {
      expect(() => Entry.select().stream({ batchSize })).toThrow(QueryError)
      expect(() => Entry.select((e) => e.id).stream({ batchSize })).toThrow(QueryError)
    }
    expect(() => Entry.select().stream({ batchSize: 0 })).toThrow("stream() batchSize must be a positive integer, got 0")
    const failure = await Effect.runPromise(Effect.flip(Stream.runCollect(Entry.select().toStream({ batchSize: -3 }))))
    expect(failure).toBeInstanceOf(QueryError)
    expect(statements()).toBe(before)
  })
})
