/**
 * The Effect side: operations are Effects with typed errors, `Ferro.layer`,
 * `Ferro.transaction` (commit, rollback on failure / defect / interruption), Effect and Promise
 * code joining each other's transactions, and `effect/sql`'s SqlClient sharing them.
 */
import { expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Latch, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { test } from "vitest"
import {
  Ferro,
  Model,
  ModelDoesNotExist,
  UniqueViolation,
  connect,
  fetchAll,
  field,
  sql,
  transaction,
} from "ferro-orm"
import { describeEachBackend } from "./support/backends.js"

class Account extends Model("fx_accounts", {
  id: field.id(),
  owner: field.text({ unique: true }),
  balance: field.int({ default: 0 }),
}) {}

const owners = () => fetchAll<{ owner: string }>(sql`SELECT owner FROM fx_accounts ORDER BY owner`).then((rows) => rows.map((r) => r.owner))

class Boom {
  readonly _tag = "Boom"
}

describeEachBackend("Effect API", (backend) => {
  const connected = Effect.promise(async () => connect(await backend.freshUrl(), { autoMigrate: true }))

  it.effect("operations are Effects: yield* returns values and fails with typed errors", () =>
    Effect.gen(function* () {
      yield* connected
      const ada = yield* Account.create({ owner: "ada", balance: 10 })
      expect(yield* Account.get(ada.id)).toBe(ada)
      expect(yield* Account.where((a) => a.balance.gte(5)).count()).toBe(1)
      const missing = yield* Effect.flip(Account.get(999))
      expect(missing).toBeInstanceOf(ModelDoesNotExist)
      expect(missing._tag).toBe("ModelDoesNotExist")
      const recovered = yield* Account.get(999).pipe(Effect.catchTag("ModelDoesNotExist", (e) => Effect.succeed(`no ${String(e.pk)}`)))
      expect(recovered).toBe("no 999")
      const duplicate = yield* Effect.flip(Account.create({ owner: "ada" }))
      expect(duplicate).toBeInstanceOf(UniqueViolation)
      // An operation Effect can run again (a retry re-executes it).
      const count = Account.select().count()
      expect(yield* count).toBe(1)
      yield* Account.create({ owner: "bob" })
      expect(yield* count).toBe(2)
    }),
  )

  test("an operation built in a fiber runs when Promise code awaits it outside; one built in Promise code is awaited as a promise", async () => {
    await Effect.runPromise(connected)
    await Account.create({ owner: "carol", balance: 3 })
    // Built inside a fiber, not started there: the await outside starts it.
    // (Wrapped in an object: a Promise resolved with the operation itself would call its then().)
    const { pending } = await Effect.runPromise(Effect.sync(() => ({ pending: Account.where((a) => a.owner.eq("carol")).first() })))
    expect((await pending)?.balance).toBe(3)
    // Started where it was built: awaiting twice gives the same instance, and it is still an Effect.
    const operation = Account.where((a) => a.owner.eq("carol")).first()
    const first = await operation
    expect(await operation).toBe(first)
    expect(await Promise.resolve(operation)).toBe(first)
    expect((await Effect.runPromise(operation))?.owner).toBe("carol")
  })

  it.effect("Ferro.transaction commits on success and rolls back on failure, defect and interruption", () =>
    Effect.gen(function* () {
      yield* connected
      yield* Ferro.transaction(Account.create({ owner: "kept" }))
      const failed = yield* Effect.exit(
        Ferro.transaction(Effect.gen(function* () {
          yield* Account.create({ owner: "failed" })
          return yield* Effect.fail(new Boom())
        })),
      )
      expect(Exit.isFailure(failed) && Cause.squash(failed.cause)).toBeInstanceOf(Boom)
      const died = yield* Effect.exit(
        Ferro.transaction(Effect.gen(function* () {
          yield* Account.create({ owner: "died" })
          return yield* Effect.die("defect")
        })),
      )
      expect(Exit.isFailure(died)).toBe(true)
      const started = yield* Latch.make(false)
      const fiber = yield* Effect.forkChild(
        Ferro.transaction(Effect.gen(function* () {
          yield* Account.create({ owner: "interrupted" })
          yield* started.open
          return yield* Effect.never
        })),
      )
      yield* started.await
      yield* Fiber.interrupt(fiber)
      expect(yield* Effect.promise(owners)).toEqual(["kept"])
    }),
  )

  it.effect("nested Ferro.transaction is a savepoint", () =>
    Effect.gen(function* () {
      yield* connected
      yield* Ferro.transaction(Effect.gen(function* () {
        yield* Account.create({ owner: "outer" })
        yield* Effect.exit(Ferro.transaction(Effect.andThen(Account.create({ owner: "inner" }), Effect.fail(new Boom()))))
        yield* Account.create({ owner: "outer-2" })
      }))
      expect(yield* Effect.promise(owners)).toEqual(["outer", "outer-2"])
    }),
  )

  it.effect("child fibers inherit the transaction (fork, concurrent Effect.all) and roll back with it", () =>
    Effect.gen(function* () {
      yield* connected
      const failed = yield* Effect.exit(
        Ferro.transaction(Effect.gen(function* () {
          const child = yield* Effect.forkChild(Account.create({ owner: "forked" }))
          yield* Fiber.join(child)
          yield* Effect.all([Account.create({ owner: "all-1" }), Account.create({ owner: "all-2" })], { concurrency: 2 })
          expect(yield* Account.select().count()).toBe(3)
          return yield* Effect.fail(new Boom())
        })),
      )
      expect(Exit.isFailure(failed)).toBe(true)
      expect(yield* Effect.promise(owners)).toEqual([])
    }),
  )

  it.effect("Effect and Promise code join each other's transactions", () =>
    Effect.gen(function* () {
      yield* connected
      // Promise code inside an Effect transaction joins it, and rolls back with it.
      yield* Effect.exit(
        Ferro.transaction(Effect.gen(function* () {
          yield* Effect.promise(() => Account.create({ owner: "promise-in-effect" }))
          yield* Effect.promise(async () => {
            await Account.create({ owner: "promise-helper" })
          })
          return yield* Effect.fail(new Boom())
        })),
      )
      expect(yield* Effect.promise(owners)).toEqual([])
      // An Effect run from inside a Promise transaction joins it (as a savepoint).
      yield* Effect.promise(() =>
        transaction(async () => {
          await Effect.runPromise(Ferro.transaction(Account.create({ owner: "effect-in-promise" })))
          await Account.create({ owner: "promise" })
        }).catch(() => undefined),
      )
      expect(yield* Effect.promise(owners)).toEqual(["effect-in-promise", "promise"])
      yield* Effect.promise(() =>
        transaction(async () => {
          await Effect.runPromise(Account.create({ owner: "rolled-back-effect" }))
          throw new Error("undo")
        }).catch(() => undefined),
      )
      expect(yield* Effect.promise(owners)).toEqual(["effect-in-promise", "promise"])
    }),
  )

  it.effect("effect/sql's SqlClient and Ferro share transactions both ways", () =>
    Effect.gen(function* () {
      yield* connected
      const program = Effect.gen(function* () {
        const client = yield* SqlClient.SqlClient
        // SqlClient statements inside a Ferro transaction roll back with Ferro's work.
        yield* Effect.exit(
          Ferro.transaction(Effect.gen(function* () {
            yield* Account.create({ owner: "ferro-1" })
            yield* client`INSERT INTO fx_accounts (owner, balance) VALUES (${"sql-1"}, ${1})`
            return yield* Effect.fail(new Boom())
          })),
        )
        expect(yield* Effect.promise(owners)).toEqual([])
        // Ferro calls inside SqlClient.withTransaction join it and roll back with it.
        yield* Effect.exit(
          client.withTransaction(Effect.gen(function* () {
            yield* client`INSERT INTO fx_accounts (owner, balance) VALUES (${"sql-2"}, ${2})`
            yield* Account.create({ owner: "ferro-2" })
            const seen = yield* client<{ owner: string }>`SELECT owner FROM fx_accounts ORDER BY owner`
            expect(seen.map((r) => r.owner)).toEqual(["ferro-2", "sql-2"])
            return yield* Effect.fail(new Boom())
          })),
        )
        expect(yield* Effect.promise(owners)).toEqual([])
        // And both commit together.
        yield* client.withTransaction(Effect.gen(function* () {
          yield* client`INSERT INTO fx_accounts (owner, balance) VALUES (${"sql-3"}, ${3})`
          yield* Account.create({ owner: "ferro-3" })
        }))
        expect(yield* Effect.promise(owners)).toEqual(["ferro-3", "sql-3"])
        // Ferro begins the transaction itself: a custom BEGIN statement is refused, not run.
        const custom = yield* Effect.flip(
          client.withTransaction(client`INSERT INTO fx_accounts (owner, balance) VALUES (${"sql-4"}, ${4})`).pipe(
            Effect.provideService(SqlClient.BeginTransaction, "BEGIN IMMEDIATE"),
          ),
        )
        expect(custom.message).toMatch(/isolation/)
        expect(yield* Effect.promise(owners)).toEqual(["ferro-3", "sql-3"])
      })
      yield* program.pipe(Effect.provide(Ferro.sqlClient()))
    }),
  )
})

test("Ferro.layer connects for the layer's lifetime and provides the connection", async () => {
  const { freshUrl } = (await import("./support/backends.js")).backends[0]!
  const url = await freshUrl()
  const program = Effect.gen(function* () {
    const connection = yield* Ferro.FerroConnection
    expect(connection.driver.dialect.name).toBe("sqlite")
    const created = yield* Account.create({ owner: "layered" })
    return (yield* Account.get(created.id)).owner
  })
  expect(await Effect.runPromise(program.pipe(Effect.provide(Ferro.layer({ url, autoMigrate: true }))))).toBe("layered")
  // Released: the connection is closed again.
  await expect(Account.select().count()).rejects.toThrow(/No connection/)
  void Layer
})
