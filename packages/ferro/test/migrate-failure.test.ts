/**
 * A migration that fails halfway: on databases whose DDL is transactional (PostgreSQL) nothing
 * of it stays; on MySQL, which commits each DDL statement on its own, the statements before the
 * failing one stay applied, and the MigrationError says so; migrating again once the data fits
 * finishes the job.
 */
import { expect, test } from "vitest"
import { MigrationError, Model, connect, disconnect, execute, fetchAll, field, migrate } from "ferro-orm"
import { introspect } from "../../migrate/src/introspect.js"
import { getConnection } from "@ferro/core/internal"
import { describeEachBackend } from "./support/backends.js"

let counter = 0

const columnsOf = async (table: string): Promise<Array<string>> =>
  ((await introspect(getConnection().driver)).find((t) => t.table === table)?.columns ?? []).map((c) => c.column)

describeEachBackend("a migration that fails halfway", (backend) => {
  // SQLite does not enforce varchar lengths, so shrinking one never fails there.
  const enforcesLength = backend.dialect !== "sqlite"

  test.runIf(enforcesLength)("says what stayed applied, and migrating again finishes it", async () => {
    const table = `mf_t${counter++}_${process.pid}`
    const url = await backend.freshUrl()
    await connect(url)
    await execute(`CREATE TABLE "${table}" ("id" integer PRIMARY KEY, "b" varchar(20) NOT NULL)`)
    await execute(`INSERT INTO "${table}" ("id", "b") VALUES (1, 'longer than five')`)
    await disconnect()
    // The plan adds a column, then shrinks b below the stored value: the second statement fails.
    Model(table, { id: field.int({ primaryKey: true }), b: field.text({ maxLength: 5 }), c: field.text({ nullable: true }) })
    const error = await connect(url, { migrateUpdates: true }).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(MigrationError)
    await connect(url)
    const transactional = getConnection().driver.dialect.transactionalDdl
    if (transactional) {
      expect((error as Error).message).toMatch(/rolled back/)
      expect(await columnsOf(table)).toEqual(["id", "b"])
    } else {
      const [, at, of, before] = /failed at statement (\d+) of (\d+); .* the (\d+) before it stay applied/.exec((error as Error).message) ?? []
      expect(Number(at)).toBe(Number(of))
      expect(Number(before)).toBe(Number(at) - 1)
      expect(await columnsOf(table)).toEqual(["id", "b", "c"])
    }
    // Once the data fits, migrating again completes the plan from the live schema.
    await execute(`UPDATE "${table}" SET "b" = 'short'`)
    await migrate()
    expect(await columnsOf(table)).toEqual(["id", "b", "c"])
    expect(await fetchAll(`SELECT "b" FROM "${table}"`)).toEqual([{ b: "short" }])
    await disconnect()
  })
})
