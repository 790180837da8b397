import { Schema, JSONSchema } from "effect"
import { test } from "vitest"
import { Model, field, fromSchema } from "@ferro/core"

test("scratch", () => {
  console.log("gc", typeof (globalThis as any).gc)
  class P extends Model("scr_p", { id: field.id(), name: field.text({ schema: Schema.String.pipe(Schema.minLength(8)) }), n: field.int(), d: field.date(), j: field.json(), at: field.datetime({defaultNow:true}), b: field.bytes({nullable:true}), big: field.bigint({default: 0n}) }) {}
  try { new (P as any)({ name: "hunter2", n: 1.5, d: "2023-02-30", extra: 1 }) } catch (e: any) { console.log(e.message, JSON.stringify(e.issues)) }
  const p = new (P as any)({ name: "longenough", n: 1, d: "2020-01-01", b: new Uint8Array([1,2,255]), big: 2n**60n })
  console.log(p, Object.keys(p), p instanceof P)
  const enc = Schema.encodeSync(P as any)(p)
  console.log(enc)
  const dec = Schema.decodeUnknownSync(P as any)(enc)
  console.log(dec, dec instanceof P)
  try { console.log(JSON.stringify(JSONSchema.make(P as any), null, 1)) } catch (e: any) { console.log("JSONSchema err", e.message) }
  for (const s of [Schema.String.pipe(Schema.minLength(1), Schema.maxLength(5)), Schema.Int.pipe(Schema.positive()), Schema.NonNegativeInt, Schema.NullOr(Schema.Literal("a","b")), Schema.Literal("a","b"), Schema.NullOr(Schema.Number), Schema.UUID, Schema.Date, Schema.BigInt, Schema.Uint8Array] as any[]) {
    const f = fromSchema(s).spec; console.log(String(s), f.type, f.nullable, f.enumValues)
  }
  try { new (P as any)({ name: "longenough", n: 1, d: "0001-01-01" }); console.log("0001 ok") } catch (e: any) { console.log("0001", e.message) }
})
