/**
 * The error classes added for faults (SPEC "Errors"): SerializationFailure and
 * DeadlockDetected (both TransactionErrors), LockTimeout, StatementTimeout and
 * ModelDefinitionError. Each extends FerroError, carries its own `_tag` for Effect's
 * `catchTag`, is exported from ferro-orm, and never shows bound values in its message.
 */
import { Effect } from "effect"
import { describe, expect, test } from "vitest"
import { clearRegistry, registerModel, registeredModels } from "@ferro/core/internal"
import {
  ConnectionError,
  DeadlockDetected,
  FerroError,
  type FerroFailure,
  LockTimeout,
  Model,
  ModelDefinitionError,
  type ModelClass,
  QueryError,
  SerializationFailure,
  StatementTimeout,
  TransactionError,
  beginTransaction,
  connect,
  execute,
  fetchOne,
  field,
  sql,
} from "ferro-orm"
import { describeEachBackend } from "./support/backends.js"

class Item extends Model("errclass_items", {
  id: field.id(),
  name: field.text(),
}) {}

const rejection = async (promise: PromiseLike<unknown>): Promise<unknown> =>
  Promise.resolve(promise).then(
    () => {
      throw new Error("expected a rejection")
    },
    (error: unknown) => error,
  )

const withScratchModels = async (fn: () => Promise<void>): Promise<void> => {
  const saved = registeredModels()
  try {
    await fn()
  } finally {
    clearRegistry()
    for (const entry of saved) registerModel(entry)
  }
}

describe("the new error classes", () => {
  const cases = [
    [SerializationFailure, "SerializationFailure", true],
    [DeadlockDetected, "DeadlockDetected", true],
    [LockTimeout, "LockTimeout", false],
    [StatementTimeout, "StatementTimeout", false],
    [ModelDefinitionError, "ModelDefinitionError", false],
  ] as const

  test.each(cases)("%o extends FerroError with its own _tag and name", (Class, tag, isTransactionError) => {
    const cause = new Error("driver")
    const error = new Class("message", { cause })
    expect(error).toBeInstanceOf(FerroError)
    expect(error).toBeInstanceOf(Error)
    expect(error._tag).toBe(tag)
    expect(error.name).toBe(tag)
    expect(error.cause).toBe(cause)
    expect(error instanceof TransactionError).toBe(isTransactionError)
  })

  test("a plain TransactionError keeps its tag", () => {
    expect(new TransactionError("x")._tag).toBe("TransactionError")
  })

  test("Effect.catchTag tells them apart", async () => {
    const program = (error: FerroFailure) =>
      Effect.fail(error).pipe(
        Effect.catchTag("SerializationFailure", () => Effect.succeed("serialization")),
        Effect.catchTag("DeadlockDetected", () => Effect.succeed("deadlock")),
        Effect.catchTag("LockTimeout", () => Effect.succeed("lock")),
        Effect.catchTag("StatementTimeout", () => Effect.succeed("statement")),
        Effect.catchTag("ModelDefinitionError", () => Effect.succeed("definition")),
        Effect.catchTag("TransactionError", () => Effect.succeed("transaction")),
        Effect.catch(() => Effect.succeed("other")),
      )
    expect(await Effect.runPromise(program(new SerializationFailure("x")))).toBe("serialization")
    expect(await Effect.runPromise(program(new DeadlockDetected("x")))).toBe("deadlock")
    expect(await Effect.runPromise(program(new LockTimeout("x")))).toBe("lock")
    expect(await Effect.runPromise(program(new StatementTimeout("x")))).toBe("statement")
    expect(await Effect.runPromise(program(new ModelDefinitionError("x")))).toBe("definition")
    expect(await Effect.runPromise(program(new TransactionError("x")))).toBe("transaction")
    expect(await Effect.runPromise(program(new QueryError("x")))).toBe("other")
  })

  test("model definition mistakes are ModelDefinitionErrors", () => {
    expect(() => field.text({ maxLength: 0 })).toThrow(ModelDefinitionError)
    // @ts-expect-error -- an empty list is refused by the types too
    expect(() => field.enum([])).toThrow(ModelDefinitionError)
    expect(() => Model("", { a: field.int() })).toThrow(ModelDefinitionError)
    expect(() => Model("errclass_two_pks", { id: field.id(), code: field.text({ primaryKey: true }) })).toThrow(
      ModelDefinitionError,
    )
  })
})

describeEachBackend("error classes", (backend) => {
  test("a relatedName without its back reference is a ModelDefinitionError at connect()", async () => {
    const url = await backend.freshUrl()
    await withScratchModels(async () => {
      class Parent extends Model("errclass_parents", { id: field.id() }) {}
      class Child extends Model("errclass_children", {
        id: field.id(),
        parent: field.foreignKey((): ModelClass<Parent> => Parent, { relatedName: "kids" }),
      }) {}
      expect(Child.name).toBe("Child")
      const error = await rejection(connect(url, { autoMigrate: true }))
      expect(error).toBeInstanceOf(ModelDefinitionError)
      expect((error as ModelDefinitionError)._tag).toBe("ModelDefinitionError")
      expect((error as Error).message).toContain("kids")
    })
  })

  test("statementTimeout and lockTimeout are validated before connecting", async () => {
    const url = await backend.freshUrl()
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "100", 2 ** 31]) {
      for (const option of ["statementTimeout", "lockTimeout"] as const) {
        const error = await rejection(connect(url, { [option]: bad } as never))
        expect(error).toBeInstanceOf(ConnectionError)
        expect((error as Error).message).toContain(option)
      }
    }
  })

  if (backend.dialect === "postgres") {
    test("PostgreSQL SQLSTATEs map to the classes", async () => {
      await connect(await backend.freshUrl())
      const raise = (code: string, message = "boom") =>
        rejection(execute(`DO $$ BEGIN RAISE EXCEPTION '${message}' USING ERRCODE = '${code}'; END $$`))
      expect(await raise("40001")).toBeInstanceOf(SerializationFailure)
      expect(await raise("40P01")).toBeInstanceOf(DeadlockDetected)
      expect(await raise("55P03")).toBeInstanceOf(LockTimeout)
      expect(await raise("57014", "canceling statement due to statement timeout")).toBeInstanceOf(StatementTimeout)
      // A cancel for another reason (a user request) stays a QueryError.
      const cancelled = await raise("57014", "canceling statement due to user request")
      expect(cancelled).toBeInstanceOf(QueryError)
      expect(cancelled).not.toBeInstanceOf(StatementTimeout)
      for (const code of ["40001", "40P01", "55P03"]) {
        expect(((await raise(code)) as Error & { cause: { code: string } }).cause.code).toBe(code)
      }
    })
  } else if (backend.dialect === "mysql") {
    test("MySQL error numbers map to the classes", async () => {
      await connect(await backend.freshUrl())
      // SIGNAL raises any server error number, as PostgreSQL's RAISE does a SQLSTATE.
      const raise = (errno: number, state = "HY000") =>
        rejection(execute(`SIGNAL SQLSTATE '${state}' SET MYSQL_ERRNO = ${errno}, MESSAGE_TEXT = 'boom'`))
      expect(await raise(1213, "40001")).toBeInstanceOf(DeadlockDetected)
      expect(await raise(1205)).toBeInstanceOf(LockTimeout)
      expect(await raise(1969, "70100")).toBeInstanceOf(StatementTimeout) // MariaDB max_statement_time
      expect(await raise(3024)).toBeInstanceOf(StatementTimeout) // MySQL max_execution_time
      // A statement interrupted for another reason (KILL QUERY) stays a QueryError.
      const interrupted = await raise(1317, "70100")
      expect(interrupted).toBeInstanceOf(QueryError)
      expect(interrupted).not.toBeInstanceOf(StatementTimeout)
      for (const errno of [1213, 1205, 1969]) {
        expect(((await raise(errno)) as Error & { cause: { errno: number } }).cause.errno).toBe(errno)
      }
      // No error number maps to SerializationFailure: MySQL's SERIALIZABLE works by locking, and
      // its conflicts are deadlocks (transactions.test.ts).
    })

    test("statementTimeout is MariaDB's max_statement_time: a longer statement is a StatementTimeout", async () => {
      const url = await backend.freshUrl()
      await connect(url, { autoMigrate: true })
      // 1 s: ordinary statements stay far from it even on a loaded machine.
      await connect(url, { name: "short", statementTimeout: 1000 })
      expect(Number((await fetchOne("SELECT @@max_statement_time AS t", [], { using: "short" }))!.t)).toBe(1)
      expect(Number((await fetchOne("SELECT @@max_statement_time AS t"))!.t)).toBe(0)
      // SLEEP(30) is the statement that runs too long: the server interrupts it after 1 s.
      const error = await rejection(fetchOne(sql`SELECT SLEEP(${30}) AS s, ${"s3cret-value"} AS v`, [], { using: "short" }))
      expect(error).toBeInstanceOf(StatementTimeout)
      expect((error as Error & { cause: { errno: number } }).cause.errno).toBe(1969)
      expect((error as Error).message).not.toContain("s3cret-value")
      // The connection goes on.
      await execute(sql`INSERT INTO errclass_items (name) VALUES (${"after"})`, [], { using: "short" })
      expect(await Item.select().count()).toBe(1)
    })

    test("lockTimeout is innodb_lock_wait_timeout in whole seconds; a lock held past it is a LockTimeout", async () => {
      const url = await backend.freshUrl()
      await connect(url, { autoMigrate: true })
      await connect(url, { name: "second", lockTimeout: 1 })
      await connect(url, { name: "third", lockTimeout: 2500 })
      await connect(url, { name: "unlimited", lockTimeout: 0 })
      // Rounded up to whole seconds (InnoDB's unit); 0 is no timeout, as on PostgreSQL.
      expect(Number((await fetchOne("SELECT @@innodb_lock_wait_timeout AS t", [], { using: "second" }))!.t)).toBe(1)
      expect(Number((await fetchOne("SELECT @@innodb_lock_wait_timeout AS t", [], { using: "third" }))!.t)).toBe(3)
      // The server's largest: MySQL 1073741824 s, MariaDB 100000000 s.
      expect(Number((await fetchOne("SELECT @@innodb_lock_wait_timeout AS t", [], { using: "unlimited" }))!.t)).toBeGreaterThanOrEqual(100_000_000)
      const row = await Item.create({ name: "held" })
      const holder = await beginTransaction()
      await holder.run(() => execute(sql`UPDATE errclass_items SET name = ${"holder"} WHERE id = ${row.id}`))
      // The row lock is held until the holder ends: the second connection gives up after 1 s.
      const error = await rejection(execute(sql`UPDATE errclass_items SET name = ${"s3cret-name"} WHERE id = ${row.id}`, [], { using: "second" }))
      expect(error).toBeInstanceOf(LockTimeout)
      expect((error as Error & { cause: { errno: number } }).cause.errno).toBe(1205)
      expect((error as Error).message).not.toContain("s3cret-name")
      await holder.commit()
      await execute(sql`UPDATE errclass_items SET name = ${"after"} WHERE id = ${row.id}`, [], { using: "second" })
      expect(await fetchOne(sql`SELECT name FROM errclass_items WHERE id = ${row.id}`)).toEqual({ name: "after" })
    })
  } else {
    test("statementTimeout is refused on SQLite", async () => {
      const error = await rejection(connect(await backend.freshUrl(), { statementTimeout: 100 }))
      expect(error).toBeInstanceOf(ConnectionError)
      expect((error as Error).message).toMatch(/statementTimeout is not supported on SQLite/)
    })

    test("lockTimeout is the driver's wait for a lock; SQLite's own busy timeout is 0 (it never sleeps inside a call)", async () => {
      const url = await backend.freshUrl()
      await connect(url)
      await connect(url, { name: "short", lockTimeout: 250 })
      // The waiting itself is tested in sqlite-locks.test.ts.
      expect(Object.values((await fetchOne("PRAGMA busy_timeout"))!)).toEqual([0])
      expect(Object.values((await fetchOne("PRAGMA busy_timeout", [], { using: "short" }))!)).toEqual([0])
    })

    if (backend.name !== "sqlite-memory") {
      test("a lock held past the busy timeout is a LockTimeout", async () => {
        const url = await backend.freshUrl()
        await connect(url, { autoMigrate: true })
        await connect(url, { name: "second", lockTimeout: 0 })
        const holder = await beginTransaction({ sqliteMode: "immediate" })
        await holder.run(() => Item.create({ name: "held" }))
        const error = await rejection(execute(sql`INSERT INTO errclass_items (name) VALUES (${"s3cret-name"})`, [], { using: "second" }))
        expect(error).toBeInstanceOf(LockTimeout)
        expect((error as Error).message).not.toContain("s3cret-name")
        await holder.commit()
        await execute(sql`INSERT INTO errclass_items (name) VALUES (${"after"})`, [], { using: "second" })
        expect(await Item.select().count()).toBe(2)
      })
    }
  }
})
