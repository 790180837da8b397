import { afterEach, expect, test } from "vitest"
import { Schema } from "effect"
import { Model, field, connect, resetEngine, fetchAll, execute, FerroError } from "ferro-orm"
import { getConnection } from "@ferro/core"

class S extends Model("s_items", {
  id: field.id(),
  title: field.text({ schema: Schema.String.pipe(Schema.minLength(1)) }),
  price: field.decimal({ default: "0" }),
  data: field.json({ nullable: true }),
  views: field.int({ default: 0 }),
  name: field.text({ default: "" }),
}) {}
class NoPk extends Model("s_nopk", { a: field.int(), b: field.text() }) {}

afterEach(() => resetEngine())

const tryit = async (label: string, fn: () => Promise<unknown>) => {
  const before = getConnection().driver.statementCount
  try { const r = await fn(); console.log(label, "OK", r) } catch (e) { console.log(label, "ERR", (e as Error).constructor.name, e instanceof FerroError, (e as Error).message) }
  console.log("   stmts", getConnection().driver.statementCount - before)
}

test("probe", async () => {
  await connect("sqlite::memory:", { autoMigrate: true })
  await S.create({ title: "a", price: "9.50" })
  await S.create({ title: "b", price: "10.00" })
  await tryit("decimal gt", () => S.where((p) => p.price.gt("9.60")).all().then((r) => r.map((x) => x.price)))
  await tryit("decimal order", () => S.select().orderBy((p) => p.price).all().then((r) => r.map((x) => x.price)))
  await tryit("update title empty", () => S.where((p) => p.id.eq(1)).update({ title: "" }))
  await tryit("json bigint", () => S.create({ title: "x", data: { n: 1n } }))
  const circ: Record<string, unknown> = {}; circ.self = circ
  await tryit("json circular", () => S.create({ title: "x", data: circ }))
  await tryit("json fn", () => S.create({ title: "x", data: (() => 1) as unknown }))
  await tryit("json symbol", () => S.create({ title: "x", data: Symbol("x") as unknown }))
  await tryit("json undefined", () => S.create({ title: "x", data: undefined }))
  await tryit("limit0 first", () => S.select().limit(0).first())
  await tryit("limit0 exists", () => S.select().limit(0).exists())
  await tryit("limit0 count", () => S.select().limit(0).count())
  await tryit("ilike unicode", () => { return S.create({ title: "ÉLAN" }).then(() => S.where((p) => p.title.ilike("élan")).count()) })
  await tryit("like case", () => S.where((p) => p.title.like("A")).count())
  await NoPk.bulkCreate([{ a: 1, b: "x" }, { a: 2, b: "x" }, { a: 3, b: "x" }])
  await tryit("nopk delete limit 1", () => NoPk.where((p) => p.b.eq("x")).limit(1).delete())
  const [s1] = await S.where((p) => p.id.eq(1)).all()
  await tryit("updateOrCreate bad default", () => S.updateOrCreate({ id: 1 }, { views: "zz" as unknown as number }))
  console.log("s1.views after", s1!.views)
  await tryit("updateOrCreate unknown default", () => S.updateOrCreate({ id: 1 }, { bogus: 1 } as never))
  await tryit("getOrCreate unknown default (found)", () => S.getOrCreate({ id: 1 }, { bogus: 1 } as never))
  const s2 = await S.get(2)
  s2.data = { tags: ["a"] }; await s2.save()
  ;(s2.data as { tags: string[] }).tags.push("b"); await tryit("json inplace save", () => s2.save())
  console.log(await fetchAll("SELECT data FROM s_items WHERE id = 2"))
  await tryit("views overflow", () => S.where((p) => p.id.eq(1)).update({ views: (p) => p.views.add(2147483647) }).then(() => S.where(p=>p.id.eq(1)).update({ views: (p) => p.views.add(5) })))
  await tryit("refresh read", async () => { const x = await S.get(1); await x.refresh(); return x.views })
  await tryit("in too many", () => S.where((p) => p.id.in(Array.from({ length: 40000 }, (_, i) => i))).count())
  await tryit("raw symbol", () => execute("SELECT ?", [Symbol("x")]))
  await tryit("raw undefined", () => execute("SELECT ?", [undefined]))
})
