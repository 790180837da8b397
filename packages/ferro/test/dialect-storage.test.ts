/**
 * Storage types are the dialects' (`dialect.storageType(column)`): the same table the model
 * contract held per dialect before it kept only the logical type and the `dbType` override.
 */
import { Schema } from "effect"
import { describe, expect, test } from "vitest"
import { mysqlDialect } from "@ferro/mysql/dialect"
import { postgresDialect } from "@ferro/pg/dialect"
import { sqliteDialect } from "@ferro/sqlite/dialect"
import { Model, type ModelMetadata, field } from "ferro-orm"
import { columnStorage } from "../../migrate/src/ddl.js"

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
  mysql: mysqlDialect.storageType(c),
})

describe("dialect storage types", () => {
  test("storage types per dialect, dbType overrides applied", () => {
    // MySQL: unbounded text is longtext, but varchar(255) as a key (MySQL indexes no unbounded text).
    expect(Object.fromEntries(Everything.metadata.columns.map((c) => [c.property, storage(c)]))).toEqual({
      id: { sqlite: "integer", postgres: "integer", mysql: "int" },
      viewCount: { sqlite: "integer", postgres: "integer", mysql: "int" },
      bigCounter: { sqlite: "integer", postgres: "bigint", mysql: "bigint" },
      ratio: { sqlite: "real", postgres: "double precision", mysql: "double" },
      price: { sqlite: "text", postgres: "numeric(10, 2)", mysql: "decimal(10, 2)" },
      body: { sqlite: "text", postgres: "text", mysql: "longtext" },
      title: { sqlite: "varchar(200)", postgres: "varchar(200)", mysql: "varchar(200)" },
      isActive: { sqlite: "integer", postgres: "boolean", mysql: "tinyint(1)" },
      createdAt: { sqlite: "text", postgres: "timestamp with time zone", mysql: "datetime(6)" },
      birthDate: { sqlite: "text", postgres: "date", mysql: "date" },
      alarmTime: { sqlite: "text", postgres: "time", mysql: "time(6)" },
      avatar: { sqlite: "blob", postgres: "bytea", mysql: "longblob" },
      settings: { sqlite: "text", postgres: "jsonb", mysql: "json" },
      status: { sqlite: "text", postgres: "text", mysql: "varchar(255)" },
      legacyCode: { sqlite: "char(8)", postgres: "char(8)", mysql: "char(8)" },
      // A per-dialect override only changes the dialect it names.
      searchName: { sqlite: "text", postgres: "citext", mysql: "longtext" },
      externalRef: { sqlite: "text", postgres: "uuid", mysql: "char(36)" },
      nickname: { sqlite: "text", postgres: "text", mysql: "longtext" },
    })
    expect(storage(column(Preserved.metadata, "ownerId"))).toEqual({ sqlite: "int", postgres: "int8", mysql: "int" })
    expect(storage(column(Preserved.metadata, "uid"))).toEqual({ sqlite: "text", postgres: "uuid", mysql: "char(36)" })
    expect(storage(column(Preserved.metadata, "displayName")).mysql).toBe("varchar(255)")
    // In its model, a text column a composite index or unique covers is a key too (body is in
    // one): bounded on MySQL, unchanged elsewhere.
    const body = column(Everything.metadata, "body")
    expect(columnStorage(body, mysqlDialect, Everything.metadata)).toBe("varchar(255)")
    expect(columnStorage(body, postgresDialect, Everything.metadata)).toBe("text")
    expect(columnStorage(body, sqliteDialect, Everything.metadata)).toBe("text")
  })

  test("a dialect's name is for messages and cache keys", () => {
    expect(sqliteDialect.name).toBe("sqlite")
    expect(postgresDialect.name).toBe("postgres")
    expect(mysqlDialect.name).toBe("mysql")
  })
})
