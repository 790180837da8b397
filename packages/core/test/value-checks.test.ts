/**
 * The plain predicates validation runs before a field's Effect Schema (value-checks.ts) may
 * only ever accept what the schema accepts: a value they let through skips the schema. Every
 * field kind with a predicate is checked against its own schema on values chosen at the edges
 * of each check, and a model built from them words its errors as the schema does.
 */
import { Result, Schema, SchemaParser } from "effect"
import { describe, expect, test } from "vitest"
import { Model, ValidationError, field } from "@ferro/core/internal"

class Sub extends Date {}

const candidates: ReadonlyArray<unknown> = [
  undefined, null, 0, -0, 1, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY,
  2147483647, 2147483648, -2147483648, -2147483649, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1,
  1n, "", "a", "abcd", "abcde", "\ud83d\ude00", "a\ud800", "\udc00b", "draft", "Draft", "published", true, false,
  new Date(0), new Date(Number.NaN), new Sub(1), {}, [], "2024-01-01T00:00:00Z", Symbol("s"), () => 1,
]

const fields = {
  int: field.int(),
  wideInt: field.int({ dbType: "bigint" }),
  id: field.id(),
  nullableInt: field.int({ nullable: true }),
  float: field.float(),
  bool: field.bool(),
  datetime: field.datetime(),
  nullableDatetime: field.datetime({ nullable: true }),
  text: field.text(),
  shortText: field.text({ maxLength: 4 }),
  enum: field.enum(["draft", "published"]),
}

describe("value checks", () => {
  for (const [name, built] of Object.entries(fields)) {
    test(`${name}: the predicate accepts only what the schema accepts, and exists`, () => {
      const { accepts, valueSchema } = built.spec
      expect(accepts).not.toBeNull()
      const parse = SchemaParser.decodeUnknownResult(Schema.toType(valueSchema as Schema.Top))
      let accepted = 0
      for (const value of candidates) {
        if (!accepts!(value)) continue
        accepted++
        expect(Result.isSuccess(parse(value)), `${name} accepted ${String(value)}`).toBe(true)
      }
      expect(accepted).toBeGreaterThan(0)
    })
  }

  test("a user schema, a decimal or a uuid field has no predicate: its schema validates every value", () => {
    expect(field.text({ schema: Schema.String.check(Schema.isMinLength(2)) }).spec.accepts).toBeNull()
    expect(field.decimal({ precision: 5, scale: 2 }).spec.accepts).toBeNull()
    expect(field.uuid().spec.accepts).toBeNull()
  })

  test("a model refuses with the schema's own words, and takes what passes", () => {
    class Checked extends Model("value_checks_things", {
      id: field.id(),
      n: field.int(),
      title: field.text({ maxLength: 4 }),
      at: field.datetime({ nullable: true }),
      code: field.uuid({ nullable: true }),
    }) {}
    const ok = new Checked({ n: 1, title: "abcd", at: new Date(0) })
    expect(ok.title).toBe("abcd")
    const messages = (input: Record<string, unknown>): Array<string> => {
      try {
        new Checked(input as never)
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError)
        return (error as ValidationError).issues.map((i) => `${i.path}: ${i.message}`)
      }
      throw new Error("accepted")
    }
    expect(messages({ n: 2147483648, title: "abcde" })).toEqual([
      expect.stringMatching(/^n: .*32-bit integer/),
      expect.stringMatching(/^title: .*at most 4/),
    ])
    expect(messages({ n: 1, title: "a", extra: 1 })).toEqual([expect.stringMatching(/^extra: /)])
    expect(messages({ n: 1, title: "a", code: "not-a-uuid" })).toEqual([expect.stringMatching(/^code: .*UUID/)])
    expect(messages({ n: 1 })).toEqual([expect.stringMatching(/^title: /)])
  })
})
