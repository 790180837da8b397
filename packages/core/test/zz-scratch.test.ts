import { Schema } from "effect"
import { test } from "vitest"
import { Model, field, redactUrl, toSnakeCase } from "@ferro/core"

const tryNew = (C: any, v: any) => { try { const x = new C(v); return x } catch (e: any) { return "ERR " + e.message } }
test("scratch", () => {
  class A extends Model("scr_a", { n: field.int({ schema: Schema.Number.pipe(Schema.positive()) }), pw: field.text({ nullable: true, schema: Schema.String.pipe(Schema.minLength(8)) }), j: field.json({ default: () => 1 }), dec: field.decimal({ precision: 5, scale: 2, default: "0" }), i: Schema.Int.pipe(Schema.greaterThan(-1)), u: field.uuid({ schema: Schema.String, default: "x" }) }) {}
  console.log(tryNew(A, { n: 1.5, pw: "hunter2", j: 10n, dec: "1.234", i: 2 ** 40 }))
  console.log(tryNew(A, { n: 1, pw: null, j: () => 1, dec: "123456.7", i: 1 }))
  console.log(tryNew(A, { n: 1, pw: 5, i: 1 , u: "not-a-uuid"}))
  console.log(tryNew(A, { n: "s3cr3t-value", pw: "s3cr3t-value-2", i: "tok-abc" }))
  console.log(redactUrl("postgres://user:p@ss@host/db"), "skip")
  console.log(redactUrl("postgres://u:pw@h:5432/db?sslmode=require&password=a&token=b&api_key=c&application_name=x#frag"))
  console.log(["userIDs","createdAt","userID","HTMLParser","addressLine1","getHTTPResponseCode","already_snake"].map(toSnakeCase))
  const T = "a_rather_long_table_name_for_index_truncation"
  class L extends Model(T, { someLongColumnNameA: field.int(), someLongColumnNameB: field.int(), someLongColumnNameC: field.int(), aB: field.int({unique: true}), a: field.int(), b: field.int() }, { compositeIndexes: [["someLongColumnNameA", "someLongColumnNameB"], ["someLongColumnNameA", "someLongColumnNameC"]], compositeUniques: [["a", "b"]] }) {}
  console.log(L.metadata.indexes)
  try { Model("scr_dup", { a: field.int(), b: field.int() }, { compositeIndexes: [["a", "a"]] }); console.log("dup group accepted") } catch (e: any) { console.log(e.message) }
  const D = Model("scr_d", { o: field.json({ default: { x: 1 } }), big: field.bigint({ default: 5n }), sc: field.decimal({ scale: 2 , nullable: true}) })
  const d1: any = new D({}), d2: any = new D({})
  console.log("shared default", d1.o === d2.o, D.metadata.columns)
})
