import { afterEach, expect, test } from "vitest"
import { Schema } from "effect"
import { Model, field, connect, resetEngine, fetchAll, fetchOne, execute, FerroError } from "ferro-orm"
import { getConnection } from "@ferro/core"

class S extends Model("s_items", {
  id: field.id(),
  title: field.text(),
  views: field.int({ default: 0 }),
  email: field.text({ unique: true, nullable: true }),
}) {}
const W = Model("s_wide", Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`c${i}`, field.int()])) as Record<string, ReturnType<typeof field.int>>)

afterEach(() => resetEngine())

const tryit = async (label: string, fn: () => Promise<unknown>) => {
  const before = getConnection().driver.statementCount
  try { const r = await fn(); console.log(label, "OK", r) } catch (e) { console.log(label, "ERR", (e as Error).constructor.name, e instanceof FerroError, (e as Error).message.slice(0, 300)) }
  console.log("   stmts", getConnection().driver.statementCount - before)
}

test("probe", async () => {
  await connect("sqlite::memory:", { autoMigrate: true })
  const a = await S.create({ title: "a" })
  await tryit("uoc unknown", () => S.updateOrCreate({ id: a.id }, { bogus: 1 } as never))
  console.log("has bogus", "bogus" in a)
  await tryit("create(persisted)", () => S.create(a as never))
  a.title = "changed"
  await tryit("create(persisted dirty)", () => S.create(a as never))
  console.log(await fetchAll("SELECT * FROM s_items"))
  const inst = new S({ title: "bulk" })
  await tryit("bulk inst", () => S.bulkCreate([inst]))
  await tryit("save after bulk", () => inst.save())
  console.log(await fetchAll("SELECT * FROM s_items"))
  await tryit("bulk 20000", () => S.bulkCreate(Array.from({ length: 20000 }, (_, i) => ({ title: `t${i}`, views: i }))))
  const rows = Array.from({ length: 2000 }, (_, r) => Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`c${i}`, r])))
  await tryit("bulk wide", () => (W as any).bulkCreate(rows))
  await tryit("bulk atomic", () => S.bulkCreate([...Array.from({ length: 5000 }, (_, i) => ({ title: "z", email: `e${i}` })), { title: "z", email: "e1" }]))
  console.log(await fetchOne("SELECT COUNT(*) AS n FROM s_items WHERE title = 'z'"))
  console.log(await fetchOne("select sqlite_version() as v"))
  await tryit("get with string", () => S.get("1" as unknown as number))
  await tryit("refresh gone", async () => { const x = await S.create({ title: "gone" }); await execute("DELETE FROM s_items WHERE id = ?", [x.id]); await x.refresh() })
  await tryit("delete gone", async () => { const x = await S.create({ title: "gone" }); await execute("DELETE FROM s_items WHERE id = ?", [x.id]); await x.delete() })
  await tryit("gt on nullable null", () => S.where((p) => p.email.eq(null)).count())
})
