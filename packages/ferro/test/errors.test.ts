/**
 * Errors (SPEC §2 "Errors"): database failures are classified from the driver's error codes
 * (SQLite's result codes, PostgreSQL's SQLSTATEs) into typed errors that extend FerroError,
 * carry a `_tag`, keep the driver error as `cause`, and never put bound values into their
 * messages.
 */
import { expect, test } from "vitest"
import { getConnection } from "@ferro/core/internal"
import {
  CheckViolation,
  ConnectionError,
  FerroError,
  ForeignKeyViolation,
  MigrationError,
  ModelDoesNotExist,
  Model,
  NotNullViolation,
  QueryError,
  TransactionError,
  UniqueViolation,
  ValidationError,
  connect,
  execute,
  fetchAll,
  fetchOne,
  field,
  sql,
} from "ferro-orm"
import { describeEachBackend } from "./support/backends.js"

class Person extends Model("err_people", {
  id: field.id(),
  email: field.text({ unique: true }),
  name: field.text(),
  status: field.enum(["active", "banned"], { default: "active" }),
  age: field.int({ default: 0 }),
}) {}

class Code extends Model("err_codes", {
  code: field.text({ primaryKey: true }),
  label: field.text(),
}) {}

class Seat extends Model(
  "err_seats",
  {
    id: field.id(),
    row: field.int(),
    num: field.int(),
  },
  { compositeUniques: [["row", "num"]] },
) {}

const SECRET = "sk_live_TOPSECRET_9f8e7d"

const statements = () => getConnection().driver.statementCount

const failure = async (promise: Promise<unknown>): Promise<Error> =>
  promise.then(
    () => {
      throw new Error("expected the operation to fail")
    },
    (error: unknown) => error as Error,
  )

type Violation = "unique" | "primaryKey" | "notNull" | "check" | "foreignKey" | "foreignKeyReferenced"

/**
 * The code the driver error (the `cause`) carries for each violation, per dialect. MySQL's
 * are server error numbers (mysql2's `errno`): its symbolic `code` follows MySQL's numbering,
 * and MariaDB's 4025 (CHECK failed) is a different error there. MySQL tells a dangling
 * reference (1452) apart from deleting a referenced row (1451).
 */
const DRIVER_CODES: Record<"sqlite" | "postgres" | "mysql", Record<Violation, string | number>> = {
  sqlite: {
    unique: "SQLITE_CONSTRAINT_UNIQUE",
    primaryKey: "SQLITE_CONSTRAINT_PRIMARYKEY",
    notNull: "SQLITE_CONSTRAINT_NOTNULL",
    check: "SQLITE_CONSTRAINT_CHECK",
    foreignKey: "SQLITE_CONSTRAINT_FOREIGNKEY",
    foreignKeyReferenced: "SQLITE_CONSTRAINT_FOREIGNKEY",
  },
  postgres: {
    unique: "23505",
    primaryKey: "23505",
    notNull: "23502",
    check: "23514",
    foreignKey: "23503",
    foreignKeyReferenced: "23503",
  },
  mysql: {
    unique: 1062,
    primaryKey: 1062,
    notNull: 1048,
    check: 4025,
    foreignKey: 1452,
    foreignKeyReferenced: 1451,
  },
}

/** The shape every classified database error shares. */
const expectClassified = (
  error: Error,
  cls: abstract new (...args: never[]) => FerroError,
  tag: string,
  driverCode: string | number,
  ...mustNotContain: ReadonlyArray<string>
) => {
  expect(error).toBeInstanceOf(cls)
  expect(error).toBeInstanceOf(FerroError)
  expect(error).toBeInstanceOf(Error)
  expect((error as FerroError)._tag).toBe(tag)
  expect(error.name).toBe(tag)
  expect(error.cause).toBeInstanceOf(Error)
  if (typeof driverCode === "number") expect((error.cause as { errno?: unknown }).errno).toBe(driverCode)
  else expect((error.cause as { code?: unknown }).code).toBe(driverCode)
  for (const text of mustNotContain) {
    expect(error.message).not.toContain(text)
    expect(String(error.stack)).not.toContain(text)
  }
}

describeEachBackend("errors", (backend) => {
  const code = DRIVER_CODES[backend.dialect]

  test("a duplicate unique column is a UniqueViolation naming table and column", async () => {
    await connect((await backend.freshUrl()), { autoMigrate: true })
    await Person.create({ email: SECRET, name: "first" })
    const error = await failure(Person.create({ email: SECRET, name: "second" }))
    expectClassified(error, UniqueViolation, "UniqueViolation", code.unique, SECRET, "TOPSECRET", "second")
    expect((error as UniqueViolation).table).toBe("err_people")
    expect((error as UniqueViolation).constraint).toBe("email")
    expect(await Person.select().count()).toBe(1)
  })

  test("a duplicate primary key is a UniqueViolation, never a silent update", async () => {
    await connect((await backend.freshUrl()), { autoMigrate: true })
    const ada = await Person.create({ email: "ada@x", name: "Ada" })
    const error = await failure(Person.create({ id: ada.id, email: "other@x", name: SECRET }))
    expectClassified(error, UniqueViolation, "UniqueViolation", code.primaryKey, SECRET)
    expect(await fetchAll("SELECT email, name FROM err_people")).toEqual([{ email: "ada@x", name: "Ada" }])

    await Code.create({ code: SECRET, label: "one" })
    const textKey = await failure(Code.create({ code: SECRET, label: "two" }))
    expectClassified(textKey, UniqueViolation, "UniqueViolation", code.primaryKey, SECRET)
    expect((textKey as UniqueViolation).table).toBe("err_codes")
    expect((textKey as UniqueViolation).constraint).toBe("code")
    expect(await fetchAll("SELECT label FROM err_codes")).toEqual([{ label: "one" }])
  })

  test("unique violations from save, batch update, bulkCreate, raw SQL and composite uniques", async () => {
    await connect((await backend.freshUrl()), { autoMigrate: true })
    await Person.create({ email: SECRET, name: "a" })
    const other = await Person.create({ email: "other@x", name: "b" })

    other.email = SECRET
    expectClassified(await failure(other.save()), UniqueViolation, "UniqueViolation", code.unique, SECRET)
    expectClassified(
      await failure(Person.where((p) => p.id.eq(other.id)).update({ email: SECRET })),
      UniqueViolation,
      "UniqueViolation",
      code.unique,
      SECRET,
    )
    // All or nothing: the valid first row is not left behind.
    expectClassified(
      await failure(Person.bulkCreate([{ email: "new@x", name: "c" }, { email: SECRET, name: "d" }])),
      UniqueViolation,
      "UniqueViolation",
      code.unique,
      SECRET,
    )
    expect(await fetchOne("SELECT count(*) AS n FROM err_people WHERE email = 'new@x'")).toEqual({ n: 0 })
    expectClassified(
      await failure(execute(sql`INSERT INTO err_people (email, name, status, age) VALUES (${SECRET}, ${"e"}, 'active', 0)`)),
      UniqueViolation,
      "UniqueViolation",
      code.unique,
      SECRET,
    )

    await Seat.create({ row: 1, num: 2 })
    await Seat.create({ row: 1, num: 3 })
    const seat = await failure(Seat.create({ row: 1, num: 2 }))
    expectClassified(seat, UniqueViolation, "UniqueViolation", code.unique)
    expect((seat as UniqueViolation).table).toBe("err_seats")
    expect((seat as UniqueViolation).constraint).toBe("row, num")
    expect(await fetchOne(sql`SELECT email FROM err_people WHERE id = ${other.id}`)).toEqual({ email: "other@x" })
  })

  test("NULL into a NOT NULL column is a NotNullViolation", async () => {
    await connect((await backend.freshUrl()), { autoMigrate: true })
    const insert = await failure(
      execute(sql`INSERT INTO err_people (email, name, status, age) VALUES (${SECRET}, NULL, 'active', 0)`),
    )
    expectClassified(insert, NotNullViolation, "NotNullViolation", code.notNull, SECRET)
    expect((insert as NotNullViolation).table).toBe("err_people")
    expect((insert as NotNullViolation).constraint).toBe("name")

    await Person.create({ email: "a@x", name: SECRET })
    const update = await failure(execute(sql`UPDATE err_people SET age = ${null} WHERE name = ${SECRET}`))
    expectClassified(update, NotNullViolation, "NotNullViolation", code.notNull, SECRET)
    expect((update as NotNullViolation).constraint).toBe("age")
    expect(await fetchAll("SELECT age FROM err_people")).toEqual([{ age: 0 }])
  })

  test("an enum column has a CHECK: a value outside the set is a CheckViolation", async () => {
    await connect((await backend.freshUrl()), { autoMigrate: true })
    // The table's DDL carries a CHECK on the enum column.
    const checks =
      backend.dialect === "sqlite"
        ? (await fetchAll<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'err_people'")).map((r) => r.sql)
        : backend.dialect === "mysql"
          ? (
              await fetchAll<{ def: string }>(
                `SELECT concat('CHECK (', CHECK_CLAUSE, ')') AS def FROM information_schema.CHECK_CONSTRAINTS
                 WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'err_people'`,
              )
            ).map((r) => r.def)
          : (
            await fetchAll<{ def: string }>(
              "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'err_people'::regclass AND contype = 'c'",
            )
          ).map((r) => r.def)
    expect(checks.some((text) => /CHECK\s*\(.*status/is.test(text))).toBe(true)
    const error = await failure(
      execute(sql`INSERT INTO err_people (email, name, status, age) VALUES ('a@x', 'A', ${SECRET}, 0)`),
    )
    expectClassified(error, CheckViolation, "CheckViolation", code.check, SECRET)
    expect((error as CheckViolation).constraint).toContain("status")

    const person = await Person.create({ email: "b@x", name: "B", status: "banned" })
    const update = await failure(execute(sql`UPDATE err_people SET status = ${SECRET} WHERE id = ${person.id}`))
    expectClassified(update, CheckViolation, "CheckViolation", code.check, SECRET)
    expect(await fetchAll("SELECT status FROM err_people")).toEqual([{ status: "banned" }])

    // Through the ORM the same mistake is caught before any SQL runs.
    const before = statements()
    await expect(
      // @ts-expect-error not one of the enum's values
      Person.create({ email: "c@x", name: "C", status: SECRET }),
    ).rejects.toBeInstanceOf(ValidationError)
    expect(statements()).toBe(before)
  })

  /**
   * Whether the connection enforces foreign keys: SQLite's per-connection pragma; on PostgreSQL
   * they are always checked unless the session disables the FK triggers (replica role); on
   * MySQL unless the session turns `foreign_key_checks` off.
   */
  const foreignKeysEnforced = async (using?: string): Promise<boolean> => {
    const options = using === undefined ? undefined : { using }
    if (backend.dialect === "sqlite") {
      return (await fetchOne<{ foreign_keys: number }>("PRAGMA foreign_keys", [], options))?.foreign_keys === 1
    }
    if (backend.dialect === "mysql") {
      return Number((await fetchOne<{ f: unknown }>("SELECT @@foreign_key_checks AS f", [], options))?.f) === 1
    }
    const row = await fetchOne<{ role: string }>("SELECT current_setting('session_replication_role') AS role", [], options)
    return row?.role === "origin"
  }

  test("foreign keys are enforced: a dangling reference is a ForeignKeyViolation", async () => {
    await connect((await backend.freshUrl()))
    expect(await foreignKeysEnforced()).toBe(true)
    await execute("CREATE TABLE parent(id integer primary key)")
    await execute("CREATE TABLE child(id integer primary key, parent_id integer REFERENCES parent(id))")
    await execute("INSERT INTO parent (id) VALUES (1)")
    expect(await execute(sql`INSERT INTO child (id, parent_id) VALUES (${1}, ${1})`)).toBe(1)

    const dangling = await failure(execute(sql`INSERT INTO child (id, parent_id) VALUES (${2}, ${987654321})`))
    expectClassified(dangling, ForeignKeyViolation, "ForeignKeyViolation", code.foreignKey, "987654321")
    const repoint = await failure(execute(sql`UPDATE child SET parent_id = ${555} WHERE id = 1`))
    expectClassified(repoint, ForeignKeyViolation, "ForeignKeyViolation", code.foreignKey, "555")
    const orphaning = await failure(execute(sql`DELETE FROM parent WHERE id = ${1}`))
    expectClassified(orphaning, ForeignKeyViolation, "ForeignKeyViolation", code.foreignKeyReferenced)
    expect(await fetchAll("SELECT id, parent_id FROM child")).toEqual([{ id: 1, parent_id: 1 }])
    expect(await fetchAll("SELECT id FROM parent")).toEqual([{ id: 1 }])

    // Every connection has them on, not just the first.
    await connect((await backend.freshUrl()), { name: "second" })
    expect(await foreignKeysEnforced("second")).toBe(true)
  })

  test("ModelDoesNotExist carries the model and key, but the message leaves the key out", async () => {
    await connect((await backend.freshUrl()), { autoMigrate: true })
    const error = await failure(Person.get(4242424))
    expect(error).toBeInstanceOf(ModelDoesNotExist)
    expect(error).toBeInstanceOf(FerroError)
    expect((error as ModelDoesNotExist)._tag).toBe("ModelDoesNotExist")
    expect((error as ModelDoesNotExist).model).toBe("Person")
    expect((error as ModelDoesNotExist).pk).toBe(4242424)
    expect(error.message).toContain("Person")
    expect(error.message).not.toContain("4242424")
    const textKey = await failure(Code.get(SECRET))
    expect(textKey).toBeInstanceOf(ModelDoesNotExist)
    expect((textKey as ModelDoesNotExist).pk).toBe(SECRET)
    expect(textKey.message).not.toContain(SECRET)
  })

  test("ValidationError names every failing field, runs no SQL and leaves values out", async () => {
    await connect((await backend.freshUrl()), { autoMigrate: true })
    const before = statements()
    const error = await failure(
      Person.create({
        // @ts-expect-error a number is not a string
        email: 31337424242,
        name: "ok",
        // @ts-expect-error not one of the enum's values
        status: SECRET,
        age: 1.5,
      }),
    )
    expect(error).toBeInstanceOf(ValidationError)
    expect(error).toBeInstanceOf(FerroError)
    expect((error as ValidationError)._tag).toBe("ValidationError")
    expect([...new Set((error as ValidationError).issues.map((i) => i.path))].sort()).toEqual(["age", "email", "status"])
    expect(error.message).not.toContain("name")
    for (const value of [SECRET, "31337424242", "1.5"]) expect(error.message).not.toContain(value)
    expect(statements()).toBe(before)
    expect(await Person.select().count()).toBe(0)
  })

  test("a failing ORM query is a QueryError with SQL text and parameter count, not values", async () => {
    await connect((await backend.freshUrl())) // no tables
    const error = await failure(Person.where((p) => p.email.eq(SECRET).and(p.age.gt(31337))).all())
    expect(error).toBeInstanceOf(QueryError)
    expect(error).toBeInstanceOf(FerroError)
    expect((error as QueryError)._tag).toBe("QueryError")
    expect(error.message).toContain("err_people")
    expect(error.message).toContain("SELECT")
    expect(error.message).toContain("2 parameters")
    expect((error as QueryError).sql).toMatch(/^SELECT .* FROM "err_people" WHERE/)
    expect((error as QueryError).parameterCount).toBe(2)
    expect(error.message).not.toContain(SECRET)
    expect(error.message).not.toContain("31337")
    expect(error.cause).toBeInstanceOf(Error)
  })

  test("every error class extends FerroError and has a distinct _tag", () => {
    const errors: ReadonlyArray<FerroError> = [
      new ModelDoesNotExist("M", 1),
      new ValidationError("M", [{ path: "x", message: "bad" }]),
      new UniqueViolation("u", {}),
      new ForeignKeyViolation("f", {}),
      new NotNullViolation("n", {}),
      new CheckViolation("c", {}),
      new ConnectionError("c"),
      new MigrationError("m"),
      new TransactionError("t"),
      new QueryError("q"),
    ]
    for (const error of errors) {
      expect(error).toBeInstanceOf(FerroError)
      expect(error).toBeInstanceOf(Error)
      expect(error._tag).toBe(error.constructor.name)
      expect(error.name).toBe(error._tag)
    }
    expect(new Set(errors.map((e) => e._tag)).size).toBe(errors.length)
    const cause = new Error("driver")
    expect(new UniqueViolation("u", { cause }).cause).toBe(cause)
    expect(new QueryError("q", "SELECT 1", 0, { cause }).cause).toBe(cause)
  })
})
