/**
 * The model-metadata contract: the plain data every other Ferro package reads. The JSON
 * snapshot pins its shape; a change to it is a contract change (bump METADATA_VERSION).
 */
import { Schema } from "effect"
import { describe, expect, test } from "vitest"
import { METADATA_VERSION, Model, field, getModel, modelsMetadata, type ModelMetadata } from "@ferro/core/internal"

/** One model using every scalar field kind and every column option. */
class Everything extends Model(
  "everything",
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

/** A UUID primary key, `naming: "preserve"`, per-dialect dbType for both dialects. */
class Preserved extends Model(
  "preserved_things",
  {
    uid: field.uuid({ primaryKey: true }),
    displayName: field.text({ index: true }),
    ownerId: field.int({ dbType: { sqlite: "int", postgres: "int8" } }),
  },
  { naming: "preserve", compositeUniques: [["displayName", "ownerId"]] },
)
{}

/** Lifecycle options: an `onUpdateNow` datetime and a soft-delete column (contract version 3). */
class Lifecycle extends Model(
  "lifecycle_things",
  {
    id: field.id(),
    updatedAt: field.datetime({ onUpdateNow: true }),
    deletedAt: field.datetime({ nullable: true }),
  },
  { softDelete: "deletedAt" },
) {}

const column = (metadata: ModelMetadata, property: string) => {
  const found = metadata.columns.find((c) => c.property === property)
  if (found === undefined) throw new Error(`no column for ${property}`)
  return found
}

describe("model-metadata contract", () => {
  test("the JSON snapshot pins the contract's shape", async () => {
    const snapshot = { everything: Everything.metadata, preserved: Preserved.metadata, lifecycle: Lifecycle.metadata }
    await expect(`${JSON.stringify(snapshot, null, 2)}\n`).toMatchFileSnapshot("./__snapshots__/contract.json")
  })

  test("metadata is plain data: a JSON round trip gives an equal value", () => {
    for (const metadata of [Everything.metadata, Preserved.metadata]) {
      const copy: unknown = JSON.parse(JSON.stringify(metadata))
      expect(copy).toStrictEqual(metadata)
      // Nothing is lost to JSON (no undefined, bigint, Date, function or class instance).
      expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype)
    }
  })

  test("metadata is deeply frozen, so no package can change another's view of a model", () => {
    const metadata = Everything.metadata
    expect(Object.isFrozen(metadata)).toBe(true)
    expect(Object.isFrozen(metadata.columns)).toBe(true)
    expect(Object.isFrozen(column(metadata, "status"))).toBe(true)
    expect(Object.isFrozen(column(metadata, "status").enumValues)).toBe(true)
    expect(Object.isFrozen(column(metadata, "searchName").dbType)).toBe(true)
    expect(Object.isFrozen(metadata.indexes[0])).toBe(true)
    expect(() => {
      ;(metadata.columns as Array<unknown>).push({})
    }).toThrow(TypeError)
  })

  test("the contract carries its version, table and primary key", () => {
    expect(Everything.metadata.version).toBe(METADATA_VERSION)
    expect(Everything.metadata.table).toBe("everything")
    expect(Everything.metadata.primaryKey).toBe("id")
    expect(Preserved.metadata.primaryKey).toBe("uid")
    expect(Everything.metadata.foreignKeys).toEqual([])
    expect(Everything.metadata.manyToMany).toEqual([])
  })

  test("columns: camelCase properties map to snake_case columns, in declaration order", () => {
    expect(Everything.metadata.columns.map((c) => [c.property, c.column])).toEqual([
      ["id", "id"],
      ["viewCount", "view_count"],
      ["bigCounter", "big_counter"],
      ["ratio", "ratio"],
      ["price", "price"],
      ["body", "body"],
      ["title", "title"],
      ["isActive", "is_active"],
      ["createdAt", "created_at"],
      ["birthDate", "birth_date"],
      ["alarmTime", "alarm_at"],
      ["avatar", "avatar"],
      ["settings", "settings"],
      ["status", "status"],
      ["legacyCode", "legacy_code"],
      ["searchName", "search_name"],
      ["externalRef", "external_ref"],
      ["nickname", "nickname"],
    ])
    expect(Preserved.metadata.columns.map((c) => c.column)).toEqual(["uid", "displayName", "ownerId"])
  })

  test("dbType overrides are kept as declared (storage types are the dialects': packages/ferro/test/dialect-storage.test.ts)", () => {
    const dbTypes = Object.fromEntries(Everything.metadata.columns.map((c) => [c.property, c.dbType]))
    expect(dbTypes).toEqual({
      id: null,
      viewCount: null,
      bigCounter: null,
      ratio: null,
      price: null,
      body: null,
      title: null,
      isActive: null,
      createdAt: null,
      birthDate: null,
      alarmTime: null,
      avatar: null,
      settings: null,
      status: null,
      legacyCode: "char(8)",
      searchName: { postgres: "citext" },
      externalRef: null,
      nickname: null,
    })
    expect(column(Preserved.metadata, "ownerId").dbType).toEqual({ sqlite: "int", postgres: "int8" })
    expect(column(Preserved.metadata, "uid").dbType).toBe(null)
  })

  test("defaults, nullability, keys and type details", () => {
    const m = Everything.metadata
    expect(column(m, "id")).toMatchObject({ type: "int", primaryKey: true, autoincrement: true, nullable: false, default: null })
    expect(column(m, "viewCount").default).toEqual({ kind: "literal", value: 0 })
    expect(column(m, "isActive").default).toEqual({ kind: "literal", value: true })
    expect(column(m, "nickname").default).toEqual({ kind: "literal", value: "anon" })
    expect(column(m, "createdAt").default).toEqual({ kind: "now" })
    expect(column(m, "settings").default).toEqual({ kind: "function" })
    expect(column(m, "birthDate")).toMatchObject({ nullable: true, default: { kind: "literal", value: null } })
    expect(column(m, "body")).toMatchObject({ nullable: false, default: null })
    expect(column(m, "price")).toMatchObject({ type: "decimal", precision: 10, scale: 2 })
    expect(column(m, "title")).toMatchObject({ type: "text", maxLength: 200, unique: true })
    expect(column(m, "status").enumValues).toEqual(["draft", "published", "archived"])
    expect(column(m, "body")).toMatchObject({ enumValues: null, maxLength: null, precision: null, scale: null })
    const uid = column(Preserved.metadata, "uid")
    expect(uid).toMatchObject({ type: "uuid", primaryKey: true, autoincrement: false, default: { kind: "randomUuid" } })
    // A primary key is unique by definition; the contract does not add a second unique index.
    expect(uid.unique).toBe(false)
  })

  test("indexes: idx_/uq_ names, single-column and composite, in column order", () => {
    expect(Everything.metadata.indexes).toEqual([
      { name: "idx_everything_view_count", columns: ["view_count"], unique: false },
      { name: "uq_everything_title", columns: ["title"], unique: true },
      // unique + index on one field: the unique index serves both.
      { name: "uq_everything_external_ref", columns: ["external_ref"], unique: true },
      { name: "uq_everything_body_birth_date", columns: ["body", "birth_date"], unique: true },
      { name: "idx_everything_status_created_at", columns: ["status", "created_at"], unique: false },
    ])
    expect(Preserved.metadata.indexes).toEqual([
      { name: "idx_preserved_things_displayName", columns: ["displayName"], unique: false },
      { name: "uq_preserved_things_displayName_ownerId", columns: ["displayName", "ownerId"], unique: true },
    ])
  })

  test("the registry hands out the same contract", () => {
    expect(getModel("everything")?.metadata).toBe(Everything.metadata)
    expect(modelsMetadata()).toContain(Preserved.metadata)
  })
})
