/**
 * Live-schema introspection (`introspect` from @ferro/migrate) on every backend: the tables
 * `autoMigrate` creates read back exactly as the model-metadata contract describes them
 * (columns with their storage types, nullability, keys and identity; indexes; foreign keys;
 * enum CHECK constraints), `tables` filtering, and tables created with raw SQL outside Ferro.
 */
import { type Driver, getConnection } from "@ferro/core/internal"
import { expect, test } from "vitest"
import { Model, type ModelClass, type ModelMetadata, connect, field, modelsMetadata } from "ferro-orm"
import { columnStorage, onDeleteAction } from "../../migrate/src/ddl.js"
import { introspect } from "../../migrate/src/introspect.js"
import type { LiveTable } from "../../migrate/src/live.js"
import { type Backend, describeEachBackend } from "./support/backends.js"

// ---------------------------------------------------------------------------------------------
// Models: every field kind, nullable variants, unique/index, composite index and unique, foreign
// keys with each kind of ON DELETE, a many-to-many, a cycle between two tables, a UUID key.
// ---------------------------------------------------------------------------------------------

const MOODS = ["happy", "sad", "it's complicated"] as const

class Owner extends Model("in_owners", {
  id: field.id(),
  name: field.text({ maxLength: 80 }),
}) {}

class Tag extends Model("in_tags", {
  id: field.id(),
  name: field.text({ unique: true }),
}) {}

class Everything extends Model(
  "in_everything",
  {
    id: field.id(),
    count: field.int(),
    big: field.bigint(),
    ratio: field.float(),
    amount: field.decimal({ precision: 12, scale: 2 }),
    loose: field.decimal(),
    label: field.text(),
    code: field.text({ maxLength: 20, unique: true }),
    flag: field.bool({ index: true }),
    at: field.datetime(),
    day: field.date(),
    clock: field.time(),
    uid: field.uuid(),
    blob: field.bytes(),
    doc: field.json(),
    mood: field.enum(MOODS),
    maybeCount: field.int({ nullable: true }),
    maybeBig: field.bigint({ nullable: true }),
    maybeRatio: field.float({ nullable: true }),
    maybeAmount: field.decimal({ precision: 5, scale: 0, nullable: true }),
    maybeLabel: field.text({ nullable: true }),
    maybeCode: field.text({ maxLength: 3, nullable: true }),
    maybeFlag: field.bool({ nullable: true }),
    maybeAt: field.datetime({ nullable: true }),
    maybeDay: field.date({ nullable: true }),
    maybeClock: field.time({ nullable: true }),
    maybeUid: field.uuid({ nullable: true }),
    maybeBlob: field.bytes({ nullable: true }),
    maybeDoc: field.json({ nullable: true }),
    maybeMood: field.enum(MOODS, { nullable: true }),
    renamed: field.text({ column: "RenamedColumn", index: true }),
    owner: field.foreignKey((): ModelClass<Owner> => Owner, { onDelete: "set null" }),
    keeper: field.foreignKey((): ModelClass<Owner> => Owner, { onDelete: "restrict" }),
    boss: field.foreignKey((): ModelClass<Owner> => Owner),
    tags: field.manyToMany((): ModelClass<Tag> => Tag),
  },
  { compositeIndexes: [["day", "clock"]], compositeUniques: [["label", "count"]] },
) {}

// A cycle: PostgreSQL adds one of these foreign keys after both tables exist (ALTER TABLE).
class CycleA extends Model("in_cycle_a", {
  id: field.id(),
  b: field.foreignKey((): ModelClass<CycleB> => CycleB, { nullable: true, onDelete: "no action" }),
}) {}

class CycleB extends Model("in_cycle_b", {
  id: field.id(),
  a: field.foreignKey((): ModelClass<CycleA> => CycleA, { nullable: true, unique: true, onDelete: "set default" }),
}) {}

class Keyed extends Model("in_keyed", {
  key: field.uuid({ primaryKey: true }),
  parent: field.foreignKey((): ModelClass<Keyed> => Keyed, { nullable: true }),
}) {}

// Generated index and constraint names past PostgreSQL's 63 bytes are cut and fingerprinted.
class LongNames extends Model(
  "in_long_names_for_identifier_truncation",
  {
    id: field.id(),
    aRatherLongColumnNameForIndexes: field.text({ unique: true }),
    anotherRatherLongColumnName: field.int(),
    owner: field.foreignKey((): ModelClass<Owner> => Owner, { column: "the_owner_of_this_row_with_a_long_key_name" }),
  },
  { compositeIndexes: [["aRatherLongColumnNameForIndexes", "anotherRatherLongColumnName"]] },
) {}

void [Everything, CycleA, CycleB, Keyed, LongNames]

const driver = (): Driver => getConnection().driver

const liveTable = (live: ReadonlyArray<LiveTable>, table: string): LiveTable => {
  const found = live.find((t) => t.table === table)
  expect(found, `live table ${table}`).toBeDefined()
  return found!
}

/** The CHECK Ferro writes for an enum column, as each backend prints it back. */
const enumCheck = (backend: Backend, column: string, values: ReadonlyArray<string>): string =>
  backend.dialect === "sqlite"
    ? `"${column}" IN (${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(", ")})`
    : backend.dialect === "mysql"
      ? // MariaDB prints a CHECK in the session's sql_mode (ANSI quotes), a quote in a string as \'.
        `"${column}" in (${values.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(",")})`
      : `(${column} = ANY (ARRAY[${values.map((v) => `'${v.replace(/'/g, "''")}'::text`).join(", ")}]))`

/** Asserts the live table is what the contract says Ferro created. */
const expectMatchesModel = (backend: Backend, model: ModelMetadata, live: LiveTable): void => {
  const where = `table ${model.table}`
  expect(live.columns.map((c) => c.column), where).toEqual(model.columns.map((c) => c.column))
  for (const column of model.columns) {
    const found = live.columns.find((c) => c.column === column.column)
    expect(found, `${where}.${column.column}`).toEqual({
      column: column.column,
      // The dialect's storage type, for a column as keyed as its model's indexes make it.
      storage: columnStorage(column, getConnection().driver.dialect, model),
      nullable: column.nullable,
      primaryKey: column.primaryKey,
      autoincrement: column.autoincrement,
      default: null, // Ferro applies defaults client-side
    })
  }

  for (const index of model.indexes) {
    const found = live.indexes.find((i) => i.name === index.name)
    expect(found, `${where} index ${index.name}`).toEqual({
      name: index.name,
      columns: index.columns,
      unique: index.unique,
      origin: "index",
    })
  }
  // Nothing else but the primary key's own index.
  const pkColumns = model.columns.filter((c) => c.primaryKey).map((c) => c.column)
  for (const index of live.indexes.filter((i) => !model.indexes.some((m) => m.name === i.name))) {
    expect(index, `${where} extra index ${index.name}`).toMatchObject({ origin: "constraint", unique: true, columns: pkColumns })
  }

  expect(live.foreignKeys, `${where} foreign keys`).toHaveLength(model.foreignKeys.length)
  for (const fk of model.foreignKeys) {
    const found = live.foreignKeys.find((f) => f.columns.join() === fk.columns.join())
    expect(found, `${where} foreign key ${fk.name}`).toEqual({
      name: backend.dialect === "sqlite" ? null : fk.name,
      columns: fk.columns,
      targetTable: fk.targetTable,
      targetColumns: fk.targetColumns,
      // MySQL: InnoDB does not enforce SET DEFAULT, so Ferro declares what it means there (SET NULL).
      onDelete: onDeleteAction(fk, getConnection().driver.dialect, model),
    })
  }

  expect([...live.checks].sort(), `${where} checks`).toEqual(
    model.columns
      .filter((c) => c.enumValues !== null)
      .map((c) => enumCheck(backend, c.column, c.enumValues!))
      .sort(),
  )
}

const exec = async (sql: string): Promise<void> => {
  await driver().execute({ sql, params: [] })
}

describeEachBackend("introspect", (backend) => {
  test("every model table, join tables included, reads back as the metadata describes it", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    const live = await introspect(driver())
    const models = modelsMetadata()
    expect(models.some((m) => m.joinTable)).toBe(true)
    expect(models.some((m) => [...m.indexes, ...m.foreignKeys].some((i) => i.name.length === 63))).toBe(true)
    // A fresh database holds exactly the model tables (SQLite's sqlite_sequence is skipped), sorted.
    expect(live.map((t) => t.table)).toEqual(models.map((m) => m.table).sort())
    for (const model of models) expectMatchesModel(backend, model, liveTable(live, model.table))
  })

  test("storage types are spelled as Ferro writes them", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    const everything = liveTable(await introspect(driver()), "in_everything")
    const storage = Object.fromEntries(everything.columns.map((c) => [c.column, c.storage]))
    expect(storage).toMatchObject(
      backend.dialect === "sqlite"
        ? {
            id: "integer",
            count: "integer",
            big: "integer",
            ratio: "real",
            amount: "text",
            code: "varchar(20)",
            flag: "integer",
            at: "text",
            blob: "blob",
            doc: "text",
          }
        : backend.dialect === "mysql"
          ? {
              id: "int",
              count: "int",
              big: "bigint",
              ratio: "double",
              amount: "decimal(12, 2)",
              loose: "decimal(65, 30)",
              // In a composite unique: keyed text is varchar(255) (MySQL indexes no unbounded text).
              label: "varchar(255)",
              code: "varchar(20)",
              flag: "tinyint(1)",
              at: "datetime(6)",
              day: "date",
              clock: "time(6)",
              uid: "char(36)",
              blob: "longblob",
              // MariaDB's JSON is longtext with a json_valid CHECK; introspection reads it as json.
              doc: "json",
              mood: "varchar(255)",
              maybe_amount: "decimal(5, 0)",
              maybe_code: "varchar(3)",
            }
        : {
            id: "integer",
            count: "integer",
            big: "bigint",
            ratio: "double precision",
            amount: "numeric(12, 2)",
            loose: "numeric",
            label: "text",
            code: "varchar(20)",
            flag: "boolean",
            at: "timestamp with time zone",
            day: "date",
            clock: "time",
            uid: "uuid",
            blob: "bytea",
            doc: "jsonb",
            mood: "text",
            maybe_amount: "numeric(5, 0)",
            maybe_code: "varchar(3)",
          },
    )
    expect(everything.columns.find((c) => c.column === "id")).toMatchObject({ primaryKey: true, autoincrement: true, nullable: false })
    expect(everything.columns.filter((c) => c.autoincrement).map((c) => c.column)).toEqual(["id"])
    const keyed = liveTable(await introspect(driver()), "in_keyed")
    expect(keyed.columns[0]).toEqual({
      column: "key",
      storage: backend.dialect === "sqlite" ? "text" : backend.dialect === "mysql" ? "char(36)" : "uuid",
      nullable: false,
      primaryKey: true,
      autoincrement: false,
      default: null,
    })
    // The UUID key is backed by a constraint index on every backend (SQLite's autoindex, PostgreSQL's pkey, MySQL's PRIMARY).
    expect(keyed.indexes.filter((i) => i.origin === "constraint")).toEqual([
      {
        name: backend.dialect === "sqlite" ? "sqlite_autoindex_in_keyed_1" : backend.dialect === "mysql" ? "PRIMARY" : "in_keyed_pkey",
        columns: ["key"],
        unique: true,
        origin: "constraint",
      },
    ])
  })

  test("tables limits introspection to the named tables that exist, still sorted", async () => {
    await connect(await backend.freshUrl(), { autoMigrate: true })
    const all = await introspect(driver())
    const some = await introspect(driver(), ["in_tags", "in_cycle_b", "in_everything_tags", "no_such_table", "in_tags"])
    expect(some.map((t) => t.table)).toEqual(["in_cycle_b", "in_everything_tags", "in_tags"])
    expect(some).toEqual(all.filter((t) => ["in_cycle_b", "in_everything_tags", "in_tags"].includes(t.table)))
    expect(await introspect(driver(), [])).toEqual([])
    expect(await introspect(driver(), ["no_such_table"])).toEqual([])
  })

  // Its DDL is SQLite's and PostgreSQL's; MySQL's own version follows.
  test.skipIf(backend.dialect === "mysql")("tables created with raw SQL outside Ferro", async () => {
    await connect(await backend.freshUrl())
    const sqlite = backend.dialect === "sqlite"
    await exec(
      sqlite
        ? `CREATE TABLE raw_parent (code TEXT PRIMARY KEY NOT NULL, label VarChar( 40 ) DEFAULT 'none', n Numeric(10,2), stamp TIMESTAMP)`
        : `CREATE TABLE raw_parent (code text PRIMARY KEY, label character varying(40) DEFAULT 'none', n numeric(10,2), stamp timestamp(3), t time(3) with time zone, arr integer[])`,
    )
    await exec(
      `CREATE TABLE raw_child (
        ${sqlite ? "id INTEGER PRIMARY KEY" : "id serial PRIMARY KEY"},
        parent_code text REFERENCES raw_parent ON DELETE SET DEFAULT, -- a comment with CHECK (x)
        a integer NOT NULL DEFAULT 0,
        b text,
        "odd "")name" text CHECK ("odd "")name" <> ')'),
        note text DEFAULT 'AUTOINCREMENT', -- neither this literal nor the comment makes id AUTOINCREMENT
        UNIQUE (a, b),
        CONSTRAINT pos CHECK (a >= 0 AND (a < 100)),
        CONSTRAINT child_b FOREIGN KEY (b) REFERENCES raw_parent (code) ON DELETE RESTRICT
      )`,
    )
    await exec(`CREATE INDEX raw_child_expr ON raw_child (lower(b) DESC, a)`)
    await exec(`CREATE UNIQUE INDEX raw_child_partial ON raw_child (b) WHERE a > 0`)
    await exec(
      sqlite
        ? `CREATE TABLE raw_counter (n INTEGER PRIMARY KEY AUTOINCREMENT, "AUTOINCREMENT" text)`
        : `CREATE TABLE raw_counter (n bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "AUTOINCREMENT" text)`,
    )
    await exec(`CREATE TABLE raw_pair (x integer, y text, PRIMARY KEY (x, y))`)
    await exec(`CREATE VIEW raw_view AS SELECT * FROM raw_pair`)
    if (sqlite) await exec(`CREATE TABLE raw_norowid (k text PRIMARY KEY, v integer) WITHOUT ROWID`)

    const live = await introspect(driver())
    expect(live.map((t) => t.table)).toEqual(
      ["raw_child", "raw_counter", ...(sqlite ? ["raw_norowid"] : []), "raw_pair", "raw_parent"],
    )

    const parent = liveTable(live, "raw_parent")
    expect(parent.columns).toEqual([
      { column: "code", storage: "text", nullable: false, primaryKey: true, autoincrement: false, default: null },
      { column: "label", storage: "varchar(40)", nullable: true, primaryKey: false, autoincrement: false, default: sqlite ? "'none'" : "'none'::character varying" },
      { column: "n", storage: "numeric(10, 2)", nullable: true, primaryKey: false, autoincrement: false, default: null },
      { column: "stamp", storage: sqlite ? "timestamp" : "timestamp(3)", nullable: true, primaryKey: false, autoincrement: false, default: null },
      ...(sqlite
        ? []
        : [
            { column: "t", storage: "time(3) with time zone", nullable: true, primaryKey: false, autoincrement: false, default: null },
            { column: "arr", storage: "integer[]", nullable: true, primaryKey: false, autoincrement: false, default: null },
          ]),
    ])

    const child = liveTable(live, "raw_child")
    expect(child.columns).toEqual([
      {
        column: "id",
        storage: "integer",
        nullable: false,
        primaryKey: true,
        // SQLite: a rowid alias without AUTOINCREMENT; PostgreSQL: serial.
        autoincrement: !sqlite,
        default: sqlite ? null : "nextval('raw_child_id_seq'::regclass)",
      },
      { column: "parent_code", storage: "text", nullable: true, primaryKey: false, autoincrement: false, default: null },
      { column: "a", storage: "integer", nullable: false, primaryKey: false, autoincrement: false, default: "0" },
      { column: "b", storage: "text", nullable: true, primaryKey: false, autoincrement: false, default: null },
      { column: 'odd ")name', storage: "text", nullable: true, primaryKey: false, autoincrement: false, default: null },
      {
        column: "note",
        storage: "text",
        nullable: true,
        primaryKey: false,
        autoincrement: false,
        default: sqlite ? "'AUTOINCREMENT'" : "'AUTOINCREMENT'::text",
      },
    ])
    expect(child.foreignKeys).toEqual(
      expect.arrayContaining([
        {
          name: sqlite ? null : "raw_child_parent_code_fkey",
          columns: ["parent_code"],
          targetTable: "raw_parent",
          targetColumns: ["code"], // `REFERENCES raw_parent`: the parent's primary key
          onDelete: "set default",
        },
        { name: sqlite ? null : "child_b", columns: ["b"], targetTable: "raw_parent", targetColumns: ["code"], onDelete: "restrict" },
      ]),
    )
    expect(child.foreignKeys).toHaveLength(2)
    const byName = (name: string) => child.indexes.find((i) => i.name === name)
    expect(byName("raw_child_expr")).toEqual({ name: "raw_child_expr", columns: ["lower(b)", "a"], unique: false, origin: "index" })
    expect(byName("raw_child_partial")).toEqual({ name: "raw_child_partial", columns: ["b"], unique: true, origin: "index" })
    const uniqueConstraint = child.indexes.find((i) => i.columns.join() === "a,b")
    expect(uniqueConstraint).toMatchObject({ unique: true, origin: "constraint" })
    expect(uniqueConstraint!.name).toBe(sqlite ? "sqlite_autoindex_raw_child_1" : "raw_child_a_b_key")
    expect(child.indexes).toHaveLength(sqlite ? 3 : 4) // PostgreSQL adds raw_child_pkey
    expect(child.checks).toEqual(
      sqlite
        ? [`"odd "")name" <> ')'`, "a >= 0 AND (a < 100)"]
        : ["((a >= 0) AND (a < 100))", `("odd "")name" <> ')'::text)`],
    )

    const counter = liveTable(live, "raw_counter")
    expect(counter.columns.map((c) => [c.column, c.storage, c.autoincrement, c.nullable])).toEqual([
      ["n", sqlite ? "integer" : "bigint", true, false],
      ["AUTOINCREMENT", "text", false, true],
    ])

    // A composite key: SQLite keeps NULL allowed unless declared NOT NULL, PostgreSQL does not.
    const pair = liveTable(live, "raw_pair")
    expect(pair.columns.map((c) => [c.column, c.primaryKey, c.nullable, c.autoincrement])).toEqual([
      ["x", true, sqlite, false],
      ["y", true, sqlite, false],
    ])
    expect(pair.indexes).toEqual([
      { name: sqlite ? "sqlite_autoindex_raw_pair_1" : "raw_pair_pkey", columns: ["x", "y"], unique: true, origin: "constraint" },
    ])

    if (sqlite) {
      const norowid = liveTable(live, "raw_norowid")
      expect(norowid.columns.map((c) => [c.column, c.primaryKey, c.nullable])).toEqual([
        ["k", true, false],
        ["v", false, true],
      ])
    }
  })

  // MySQL has no expression or partial indexes (MariaDB) and no arrays; an index on a foreign
  // key is created by InnoDB itself when none covers it, named after the constraint.
  test.runIf(backend.dialect === "mysql")("tables created with raw SQL outside Ferro (MySQL)", async () => {
    await connect(await backend.freshUrl())
    await exec(
      `CREATE TABLE raw_parent (code varchar(20) PRIMARY KEY, label VarChar( 40 ) DEFAULT 'none', n Numeric(10,2), stamp timestamp(3) NULL,
        t time(3), i integer, u bigint unsigned, flag boolean, j json)`,
    )
    await exec(
      `CREATE TABLE raw_child (
        id integer AUTO_INCREMENT PRIMARY KEY,
        parent_code varchar(20), -- a comment with CHECK (x)
        a integer NOT NULL DEFAULT 0,
        b varchar(20),
        "odd "")name" text CHECK ("odd "")name" <> ')'),
        note varchar(40) DEFAULT 'AUTO_INCREMENT', -- neither this literal nor the comment makes a column AUTO_INCREMENT
        UNIQUE (a, b),
        CONSTRAINT pos CHECK (a >= 0 AND (a < 100)),
        CONSTRAINT child_p FOREIGN KEY (parent_code) REFERENCES raw_parent (code) ON DELETE SET NULL,
        CONSTRAINT child_b FOREIGN KEY (b) REFERENCES raw_parent (code) ON DELETE RESTRICT
      )`,
    )
    await exec(`CREATE INDEX raw_child_desc ON raw_child (a DESC, note)`)
    await exec(`CREATE UNIQUE INDEX raw_child_note ON raw_child (note)`)
    await exec(`CREATE TABLE raw_counter (n bigint AUTO_INCREMENT PRIMARY KEY, "AUTO_INCREMENT" text)`)
    await exec(`CREATE TABLE raw_pair (x integer, y varchar(10), PRIMARY KEY (x, y))`)
    await exec(`CREATE VIEW raw_view AS SELECT * FROM raw_pair`)

    const live = await introspect(driver())
    expect(live.map((t) => t.table)).toEqual(["raw_child", "raw_counter", "raw_pair", "raw_parent"])

    const parent = liveTable(live, "raw_parent")
    const column = (name: string, storage: string, rest: Partial<LiveTable["columns"][number]> = {}) => ({
      column: name,
      storage,
      nullable: true,
      primaryKey: false,
      autoincrement: false,
      default: null,
      ...rest,
    })
    expect(parent.columns).toEqual([
      column("code", "varchar(20)", { nullable: false, primaryKey: true }),
      column("label", "varchar(40)", { default: "'none'" }),
      column("n", "decimal(10, 2)"),
      column("stamp", "timestamp(3)"),
      column("t", "time(3)"),
      // Display widths are dropped (MariaDB prints int(11)); tinyint(1) is the boolean.
      column("i", "int"),
      column("u", "bigint unsigned"),
      column("flag", "tinyint(1)"),
      // MariaDB: longtext with a json_valid CHECK, which is the type, not a listed check.
      column("j", "json"),
    ])
    expect(parent.checks).toEqual([])

    const child = liveTable(live, "raw_child")
    expect(child.columns).toEqual([
      column("id", "int", { nullable: false, primaryKey: true, autoincrement: true }),
      column("parent_code", "varchar(20)"),
      column("a", "int", { nullable: false, default: "0" }),
      column("b", "varchar(20)"),
      column('odd ")name', "text"),
      column("note", "varchar(40)", { default: "'AUTO_INCREMENT'" }),
    ])
    expect(child.foreignKeys).toEqual(
      expect.arrayContaining([
        { name: "child_p", columns: ["parent_code"], targetTable: "raw_parent", targetColumns: ["code"], onDelete: "set null" },
        { name: "child_b", columns: ["b"], targetTable: "raw_parent", targetColumns: ["code"], onDelete: "restrict" },
      ]),
    )
    expect(child.foreignKeys).toHaveLength(2)
    const byName = (name: string) => child.indexes.find((i) => i.name === name)
    expect(byName("PRIMARY")).toEqual({ name: "PRIMARY", columns: ["id"], unique: true, origin: "constraint" })
    // A UNIQUE constraint and a unique index are the same thing in MySQL: both are reported as
    // constraints (information_schema lists both as UNIQUE), unless Ferro named the index.
    expect(child.indexes.find((i) => i.columns.join() === "a,b")).toEqual({ name: "a", columns: ["a", "b"], unique: true, origin: "constraint" })
    expect(byName("raw_child_note")).toEqual({ name: "raw_child_note", columns: ["note"], unique: true, origin: "constraint" })
    expect(byName("raw_child_desc")).toEqual({ name: "raw_child_desc", columns: ["a", "note"], unique: false, origin: "index" })
    // InnoDB's own indexes for the foreign keys no index covers.
    expect(byName("child_p")).toEqual({ name: "child_p", columns: ["parent_code"], unique: false, origin: "index" })
    expect(byName("child_b")).toEqual({ name: "child_b", columns: ["b"], unique: false, origin: "index" })
    expect(child.indexes).toHaveLength(6)
    expect([...child.checks].sort()).toEqual([`"a" >= 0 and "a" < 100`, `"odd "")name" <> ')'`])

    const counter = liveTable(live, "raw_counter")
    expect(counter.columns.map((c) => [c.column, c.storage, c.autoincrement, c.nullable])).toEqual([
      ["n", "bigint", true, false],
      ["AUTO_INCREMENT", "text", false, true],
    ])

    // A composite key: its columns are NOT NULL.
    const pair = liveTable(live, "raw_pair")
    expect(pair.columns.map((c) => [c.column, c.primaryKey, c.nullable, c.autoincrement])).toEqual([
      ["x", true, false, false],
      ["y", true, false, false],
    ])
    expect(pair.indexes).toEqual([{ name: "PRIMARY", columns: ["x", "y"], unique: true, origin: "constraint" }])
  })
})
