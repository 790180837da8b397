/**
 * Cell decoders per dialect object, for every logical type: what each backend's driver hands
 * over (SQLite cells; PostgreSQL text, since the pg driver disables pg's own parsing) becomes
 * the property value. NULL stays null everywhere.
 */
import type { ColumnMetadata, LogicalType } from "@ferro/core"
import { postgresDialect } from "@ferro/pg/dialect"
import { sqliteDialect } from "@ferro/sqlite/dialect"
import { describe, expect, test } from "vitest"
import { cellDecoder, needsBigints } from "../src/index.js"

const column = (type: LogicalType): ColumnMetadata => ({
  property: "value",
  column: "value",
  type,
  dbType: null,
  nullable: true,
  default: null,
  primaryKey: false,
  autoincrement: false,
  unique: false,
  index: false,
  enumValues: null,
  maxLength: null,
  precision: null,
  scale: null,
  onUpdateNow: false,
})

const instant = new Date("2024-05-06T07:08:09.123Z")

describe("SQLite cells", () => {
  test.each<[LogicalType, unknown, unknown, boolean]>([
    ["int", 42, 42, false],
    ["int", 42n, 42, true],
    ["bigint", 9007199254740993n, 9007199254740993n, true],
    ["bigint", 7, 7n, false],
    ["float", 1.5, 1.5, false],
    ["bool", 1, true, false],
    ["bool", 0, false, false],
    ["datetime", "2024-05-06T07:08:09.123Z", instant, false],
    ["json", '{"a":[1,2]}', { a: [1, 2] }, false],
    ["decimal", "12.50", "12.50", false],
    ["text", "héllo", "héllo", false],
    ["uuid", "0b6f6c3e-6a0e-4c55-9f43-7a6d2d0a3b11", "0b6f6c3e-6a0e-4c55-9f43-7a6d2d0a3b11", false],
    ["date", "2024-02-29", "2024-02-29", false],
  ])("%s: %o -> %o (bigints %s)", (type, raw, value, bigints) => {
    expect(cellDecoder(column(type), sqliteDialect, bigints)(raw)).toEqual(value)
    expect(cellDecoder(column(type), sqliteDialect, bigints)(null)).toBeNull()
  })

  test("bytes are copied, not viewed", () => {
    const raw = Buffer.from([0, 255, 7])
    const decoded = cellDecoder(column("bytes"), sqliteDialect, false)(raw) as Uint8Array
    expect([...decoded]).toEqual([0, 255, 7])
    raw[0] = 9
    expect(decoded[0]).toBe(0)
  })
})

describe("PostgreSQL text", () => {
  test.each<[LogicalType, string, unknown]>([
    ["int", "42", 42],
    ["bigint", "9007199254740993", 9007199254740993n],
    ["float", "1.5", 1.5],
    ["bool", "t", true],
    ["bool", "f", false],
    ["datetime", "2024-05-06 07:08:09.123+00", instant],
    ["json", '{"a": [1, 2]}', { a: [1, 2] }],
    ["decimal", "12.50", "12.50"],
    ["text", "héllo", "héllo"],
    ["time", "13:14:15", "13:14:15"],
  ])("%s: %o -> %o", (type, raw, value) => {
    expect(cellDecoder(column(type), postgresDialect, false)(raw)).toEqual(value)
    expect(cellDecoder(column(type), postgresDialect, false)(null)).toBeNull()
  })

  test("bytea hex text becomes bytes", () => {
    expect([...(cellDecoder(column("bytes"), postgresDialect, false)("\\x00ff07") as Uint8Array)]).toEqual([0, 255, 7])
  })
})

test("64-bit columns make SQLite read integers as bigint", () => {
  expect(needsBigints([column("int"), column("bigint")])).toBe(true)
  expect(needsBigints([column("int"), column("text")])).toBe(false)
})
