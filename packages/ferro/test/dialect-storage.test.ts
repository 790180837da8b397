/**
 * Storage types are the dialects' (`dialect.storageType(column)`): the same table the model
 * contract held per dialect before it kept only the logical type and the `dbType` override.
 */
import { Schema } from "effect"
import { describe, expect, test } from "vitest"
import { postgresDialect } from "@ferro/pg/dialect"
import { sqliteDialect } from "@ferro/sqlite/dialect"
import { Model, type ModelMetadata, field } from "ferro-orm"

/** One model using every scalar field kind and every column option. */
class Everything extends Model(
  "ds_everything",
  {
    id: field.id(),
    viewCount: field.int({ default: 0, index: true }),
    bigCounter: field.bigint({ nullable: true }),
    ratio: field.float({ default: 1.5 }),
    price: field.decimal({ precision: 10, scale: 2 }),
    body: field.text(),
    title: field.text({ maxLength: 200, unique: true }),
    isActive: field.bool({ default: true }),
    createdAt: field.datetime({ defaultNow: true }),
    birthDate: field.date({ nullable: true }),
    alarmTime: field.time({ column: "alarm_at" }),
    avatar: field.bytes({ nullable: true }),
    settings: field.json({
      schema: Schema.Struct({ theme: Schema.Literals(["light", "dark"]) }),
      default: () => ({ theme: "light" as const }),
    }),
    status: field.enum(["draft", "published", "archived"], { default: "draft" }),
    legacyCode: field.text({ dbType: "char(8)" }),
    searchName: field.text({ dbType: { postgres: "citext" } }),
    externalRef: field.uuid({ nullable: true, unique: true, index: true }),
    nickname: field.text({ default: "anon" }),
  },
  {
    compositeIndexes: [["status", "createdAt"]],
    compositeUniques: [["body", "birthDate"]],
  },
) {}

/** A UUID primary key, per-dialect dbType for both dialects. */
class Preserved extends Model(
  "ds_preserved_things",
  {
    uid: field.uuid({ primaryKey: true }),
    displayName: field.text({ index: true }),
    ownerId: field.int({ dbType: { sqlite: "int", postgres: "int8" } }),
  },
  { naming: "preserve" },
) {}

const column = (metadata: ModelMetadata, property: string) => {
  const found = metadata.columns.find((c) => c.property === property)
  if (found === undefined) throw new Error(`no column for ${property}`)
  return found
}

const storage = (c: ModelMetadata["columns"][number]) => ({
  sqlite: sqliteDialect.storageType(c),
  postgres: postgresDialect.storageType(c),
})

describe("dialect storage types", () => {
  test("storage types per dialect, dbType overrides applied", () => {
    expect(Object.fromEntries(Everything.metadata.columns.map((c) => [c.property, storage(c)]))).toEqual({
      id: { sqlite: "integer", postgres: "integer" },
      viewCount: { sqlite: "integer", postgres: "integer" },
      bigCounter: { sqlite: "integer", postgres: "bigint" },
      ratio: { sqlite: "real", postgres: "double precision" },
      price: { sqlite: "text", postgres: "numeric(10, 2)" },
      body: { sqlite: "text", postgres: "text" },
      title: { sqlite: "varchar(200)", postgres: "varchar(200)" },
      isActive: { sqlite: "integer", postgres: "boolean" },
      createdAt: { sqlite: "text", postgres: "timestamp with time zone" },
      birthDate: { sqlite: "text", postgres: "date" },
      alarmTime: { sqlite: "text", postgres: "time" },
      avatar: { sqlite: "blob", postgres: "bytea" },
      settings: { sqlite: "text", postgres: "jsonb" },
      status: { sqlite: "text", postgres: "text" },
      legacyCode: { sqlite: "char(8)", postgres: "char(8)" },
      // A per-dialect override only changes the dialect it names.
      searchName: { sqlite: "text", postgres: "citext" },
      externalRef: { sqlite: "text", postgres: "uuid" },
      nickname: { sqlite: "text", postgres: "text" },
    })
    expect(storage(column(Preserved.metadata, "ownerId"))).toEqual({ sqlite: "int", postgres: "int8" })
    expect(storage(column(Preserved.metadata, "uid"))).toEqual({ sqlite: "text", postgres: "uuid" })
  })

  test("a dialect's name is for messages and cache keys", () => {
    expect(sqliteDialect.name).toBe("sqlite")
    expect(postgresDialect.name).toBe("postgres")
  })
})
