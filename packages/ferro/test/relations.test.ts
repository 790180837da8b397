/**
 * Relations on every backend: foreign keys (shadow keys, ON DELETE actions enforced by the
 * database, key indexes), back references (scoped queries, one-to-one), many-to-many (join
 * tables, links, scoped update/delete, self-reference, `through`), lazy forward loads, eager
 * loading with a constant number of statements, per-connection loading and self-referential
 * trees. Statement counts come from the driver (`getConnection().driver.statementCount`).
 */
import { existsSync } from "node:fs"
import { allConnections, clearRegistry, getConnection, registerModel, registeredModels } from "@ferro/core/internal"
import { expect, expectTypeOf, test } from "vitest"
import {
  FerroError,
  ForeignKeyViolation,
  Model,
  type ModelClass,
  Query,
  QueryError,
  type RelatedQuery,
  UniqueViolation,
  ValidationError,
  connect,
  disconnect,
  evictInstance,
  fetchAll,
  fetchOne,
  field,
  sql, type Operation } from "ferro-orm"
import { type Backend, describeEachBackend } from "./support/backends.js"

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

class Author extends Model("rl_authors", {
  id: field.id(),
  name: field.text(),
  email: field.text({ unique: true }),
  posts: field.backRef((): ModelClass<Post> => Post),
  profile: field.backRef((): ModelClass<Profile> => Profile, { one: true }),
}) {}

class Profile extends Model("rl_profiles", {
  id: field.id(),
  author: field.foreignKey((): ModelClass<Author> => Author, { unique: true, relatedName: "profile" }),
  site: field.text(),
}) {}

class Post extends Model("rl_posts", {
  id: field.id(),
  title: field.text(),
  views: field.int({ default: 0 }),
  author: field.foreignKey((): ModelClass<Author> => Author, { relatedName: "posts" }),
  // No relatedName, no back reference; `set null` implies a nullable key.
  reviewer: field.foreignKey((): ModelClass<Author> => Author, { onDelete: "set null" }),
  tags: field.manyToMany((): ModelClass<Tag> => Tag, { relatedName: "posts" }),
}) {}

class Tag extends Model("rl_tags", {
  id: field.id(),
  name: field.text({ unique: true }),
  color: field.text({ default: "none" }),
  posts: field.backRef((): ModelClass<Post> => Post),
}) {}

// ON DELETE actions, one child table per action.
class OdParent extends Model("rl_od_parents", {
  id: field.id(),
  name: field.text(),
}) {}

class OdCascade extends Model("rl_od_cascade", {
  id: field.id(),
  parent: field.foreignKey((): ModelClass<OdParent> => OdParent, { onDelete: "cascade" }),
}) {}

class OdDefault extends Model("rl_od_default", {
  id: field.id(),
  parent: field.foreignKey((): ModelClass<OdParent> => OdParent),
}) {}

class OdRestrict extends Model("rl_od_restrict", {
  id: field.id(),
  parent: field.foreignKey((): ModelClass<OdParent> => OdParent, { onDelete: "restrict" }),
}) {}

class OdSetNull extends Model("rl_od_set_null", {
  id: field.id(),
  parent: field.foreignKey((): ModelClass<OdParent> => OdParent, { onDelete: "set null" }),
}) {}

class OdSetDefault extends Model("rl_od_set_default", {
  id: field.id(),
  parent: field.foreignKey((): ModelClass<OdParent> => OdParent, { onDelete: "set default", nullable: true }),
}) {}

class OdNoAction extends Model("rl_od_no_action", {
  id: field.id(),
  parent: field.foreignKey((): ModelClass<OdParent> => OdParent, { onDelete: "no action" }),
}) {}

class OdUnindexed extends Model("rl_od_unindexed", {
  id: field.id(),
  parent: field.foreignKey((): ModelClass<OdParent> => OdParent, { index: false }),
}) {}

// UUID and text primary keys.
class Account extends Model("rl_accounts", {
  id: field.uuid({ primaryKey: true }),
  name: field.text(),
  sessions: field.backRef((): ModelClass<Session> => Session),
  groups: field.backRef((): ModelClass<Group> => Group),
}) {}

class Session extends Model("rl_sessions", {
  id: field.id(),
  label: field.text(),
  account: field.foreignKey((): ModelClass<Account> => Account, { relatedName: "sessions" }),
}) {}

class Group extends Model("rl_groups", {
  id: field.uuid({ primaryKey: true }),
  name: field.text(),
  members: field.manyToMany((): ModelClass<Account> => Account, { relatedName: "groups" }),
}) {}

class Country extends Model("rl_countries", {
  code: field.text({ primaryKey: true }),
  name: field.text(),
  cities: field.backRef((): ModelClass<City> => City),
}) {}

class City extends Model("rl_cities", {
  id: field.id(),
  name: field.text(),
  country: field.foreignKey((): ModelClass<Country> => Country, { relatedName: "cities", onDelete: "restrict" }),
}) {}

// Many-to-many with a named join table.
class Student extends Model("rl_students", {
  id: field.id(),
  name: field.text(),
  courses: field.manyToMany((): ModelClass<Course> => Course, { relatedName: "students", through: "rl_enrolments" }),
}) {}

class Course extends Model("rl_courses", {
  id: field.id(),
  title: field.text(),
  students: field.backRef((): ModelClass<Student> => Student),
}) {}

// Self reference: a tree and a follower graph.
class Node extends Model("rl_nodes", {
  id: field.id(),
  name: field.text(),
  parent: field.foreignKey((): ModelClass<Node> => Node, { nullable: true, relatedName: "children" }),
  children: field.backRef((): ModelClass<Node> => Node),
  follows: field.manyToMany((): ModelClass<Node> => Node, { relatedName: "followers" }),
  followers: field.backRef((): ModelClass<Node> => Node),
}) {}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const dialectOf = (using?: string) => getConnection(using).driver.dialect.name

/** Statements `fn` sends on the connection (default: the default one). */
const counted = async <T>(fn: () => Promise<T>, using?: string): Promise<[T, number]> => {
  const driver = getConnection(using).driver
  const before = driver.statementCount
  const result = await fn()
  return [result, driver.statementCount - before]
}

const rejection = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error("expected a rejection")
    },
    (error: unknown) => error,
  )

const ids = (rows: ReadonlyArray<{ readonly id: unknown }>) => rows.map((r) => r.id)
const sortedIds = (rows: ReadonlyArray<{ readonly id: number }>) => rows.map((r) => r.id).sort((a, b) => a - b)

interface IndexInfo {
  readonly name: string
  readonly unique: boolean
  readonly columns: ReadonlyArray<string>
}

/** Every index on `table` except the primary key's, with its columns in order. */
const indexesOf = async (table: string): Promise<Array<IndexInfo>> => {
  const rows =
    dialectOf() === "sqlite"
      ? await fetchAll<{ name: string; uniq: number; col: string }>(sql`
          SELECT il.name AS name, il."unique" AS uniq, ii.name AS col
          FROM pragma_index_list(${table}) il JOIN pragma_index_info(il.name) ii
          WHERE il.origin <> 'pk'
          ORDER BY il.name, ii.seqno`)
      : dialectOf() === "mysql"
        ? await fetchAll<{ name: string; uniq: number; col: string }>(sql`
            SELECT INDEX_NAME AS name, CASE WHEN NON_UNIQUE = 0 THEN 1 ELSE 0 END AS uniq, COLUMN_NAME AS col
            FROM information_schema.STATISTICS
            WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table} AND INDEX_NAME <> 'PRIMARY'
            ORDER BY INDEX_NAME, SEQ_IN_INDEX`)
      : await fetchAll<{ name: string; uniq: boolean; col: string }>(sql`
          SELECT c.relname::text AS name, i.indisunique AS uniq, a.attname::text AS col
          FROM pg_index i
          JOIN pg_class c ON c.oid = i.indexrelid
          JOIN pg_class t ON t.oid = i.indrelid
          JOIN pg_namespace n ON n.oid = t.relnamespace
          CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
          WHERE n.nspname = current_schema() AND t.relname = ${table} AND NOT i.indisprimary
          ORDER BY c.relname::text, k.ord`)
  const byName = new Map<string, { name: string; unique: boolean; columns: Array<string> }>()
  for (const row of rows) {
    let entry = byName.get(row.name)
    if (entry === undefined) byName.set(row.name, (entry = { name: row.name, unique: row.uniq === true || Number(row.uniq) === 1, columns: [] }))
    entry.columns.push(row.col)
  }
  return [...byName.values()]
}

const PG_ACTIONS: Record<string, string> = { a: "NO ACTION", r: "RESTRICT", c: "CASCADE", n: "SET NULL", d: "SET DEFAULT" }

/** The foreign keys declared on `table`: column, referenced table and column, ON DELETE action. */
const foreignKeysOf = async (
  table: string,
): Promise<Array<{ column: string; target: string; targetColumn: string; onDelete: string }>> => {
  if (dialectOf() === "sqlite") {
    const rows = await fetchAll<{ col: string; target: string; tcol: string; action: string }>(sql`
      SELECT "from" AS col, "table" AS target, "to" AS tcol, on_delete AS action
      FROM pragma_foreign_key_list(${table}) ORDER BY "from"`)
    return rows.map((r) => ({ column: r.col, target: r.target, targetColumn: r.tcol, onDelete: r.action }))
  }
  if (dialectOf() === "mysql") {
    const rows = await fetchAll<{ col: string; target: string; tcol: string; action: string }>(sql`
      SELECT k.COLUMN_NAME AS col, k.REFERENCED_TABLE_NAME AS target, k.REFERENCED_COLUMN_NAME AS tcol, r.DELETE_RULE AS action
      FROM information_schema.KEY_COLUMN_USAGE k
      JOIN information_schema.REFERENTIAL_CONSTRAINTS r
        ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
      WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ${table} AND k.REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY k.COLUMN_NAME`)
    return rows.map((r) => ({ column: r.col, target: r.target, targetColumn: r.tcol, onDelete: r.action }))
  }
  const rows = await fetchAll<{ col: string; target: string; tcol: string; action: string }>(sql`
    SELECT a.attname::text AS col, f.relname::text AS target, fa.attname::text AS tcol, k.confdeltype::text AS action
    FROM pg_constraint k
    JOIN pg_class t ON t.oid = k.conrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_class f ON f.oid = k.confrelid
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.conkey[1]
    JOIN pg_attribute fa ON fa.attrelid = f.oid AND fa.attnum = k.confkey[1]
    WHERE k.contype = 'f' AND n.nspname = current_schema() AND t.relname = ${table}
    ORDER BY a.attname::text`)
  return rows.map((r) => ({ column: r.col, target: r.target, targetColumn: r.tcol, onDelete: PG_ACTIONS[r.action] ?? r.action }))
}

/** The declared type of a column, lower-cased (SQLite: as written in CREATE TABLE). */
const columnTypeOf = async (table: string, column: string): Promise<string | null> => {
  const row =
    dialectOf() === "sqlite"
      ? await fetchOne<{ t: string }>(sql`SELECT type AS t FROM pragma_table_info(${table}) WHERE name = ${column}`)
      : dialectOf() === "mysql"
        ? await fetchOne<{ t: string }>(sql`
            SELECT COLUMN_TYPE AS t FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table} AND COLUMN_NAME = ${column}`)
      : await fetchOne<{ t: string }>(sql`
          SELECT format_type(a.atttypid, a.atttypmod) AS t
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = current_schema() AND c.relname = ${table} AND a.attname = ${column} AND NOT a.attisdropped`)
  return row === null ? null : row.t.toLowerCase()
}

/** Whether a column is declared NOT NULL. */
const isNotNull = async (table: string, column: string): Promise<boolean> => {
  if (dialectOf() === "sqlite") {
    const row = await fetchOne<{ nn: number }>(sql`SELECT "notnull" AS nn FROM pragma_table_info(${table}) WHERE name = ${column}`)
    return row!.nn === 1
  }
  if (dialectOf() === "mysql") {
    const row = await fetchOne<{ nn: string }>(sql`
      SELECT IS_NULLABLE AS nn FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table} AND COLUMN_NAME = ${column}`)
    return row!.nn === "NO"
  }
  const row = await fetchOne<{ nn: boolean }>(sql`
    SELECT a.attnotnull AS nn
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relname = ${table} AND a.attname = ${column}`)
  return row!.nn === true
}

/** Names of the tables in the connection's database (PostgreSQL: its pinned schema). */
const tableNames = async (using?: string): Promise<Array<string>> => {
  const options = using === undefined ? undefined : { using }
  const rows =
    dialectOf(using) === "sqlite"
      ? await fetchAll<{ name: string }>(
          sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
          undefined,
          options,
        )
      : dialectOf(using) === "mysql"
        ? await fetchAll<{ name: string }>(
            sql`SELECT TABLE_NAME AS name FROM information_schema.TABLES
                WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY CAST(TABLE_NAME AS BINARY)`,
            undefined,
            options,
          )
      : await fetchAll<{ name: string }>(
          sql`SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname::text COLLATE "C"`,
          undefined,
          options,
        )
  return rows.map((r) => r.name)
}

const countRows = async (table: string, using?: string): Promise<number> => {
  const row = await fetchOne<{ n: number | string }>(
    sql`SELECT count(*) AS n FROM ${sql.identifier(table)}`,
    undefined,
    using === undefined ? undefined : { using },
  )
  return Number(row!.n)
}

const open = async (backend: Backend) => {
  await connect(await backend.freshUrl(), { autoMigrate: true })
}

/** Two authors: ada with posts a1..a3 (views 1, 5, 9), bob with b1, b2 (views 1, 5). */
const blog = async () => {
  const ada = await Author.create({ name: "Ada", email: "ada@x" })
  const bob = await Author.create({ name: "Bob", email: "bob@x" })
  const a1 = await Post.create({ title: "a1", views: 1, author: ada })
  const a2 = await Post.create({ title: "a2", views: 5, author: ada })
  const a3 = await Post.create({ title: "a3", views: 9, authorId: ada.id })
  const b1 = await Post.create({ title: "b1", views: 1, author: bob })
  const b2 = await Post.create({ title: "b2", views: 5, author: bob })
  return { ada, bob, a1, a2, a3, b1, b2 }
}

/** Runs `fn` with models defined inside it registered, then restores the registry as it was. */
const withScratchModels = async (fn: () => Promise<void>): Promise<void> => {
  const saved = registeredModels()
  try {
    await fn()
  } finally {
    clearRegistry()
    for (const entry of saved) registerModel(entry)
  }
}

describeEachBackend("relations", (backend) => {
  test("relation accessors and shadow keys are typed from the declarations", async () => {
    await open(backend)
    const { ada, a1 } = await blog()
    const tag = await Tag.create({ name: "t" })
    const node = await Node.create({ name: "n" })
    const account = await Account.create({ name: "acc" })
    const session = await Session.create({ label: "s", account })
    const country = await Country.create({ code: "fr", name: "France" })
    const city = await City.create({ name: "Paris", country })
    const group = await Group.create({ name: "g" })
    expectTypeOf(a1.authorId).toEqualTypeOf<number>()
    expectTypeOf(a1.author).toEqualTypeOf<Operation<Author>>()
    expectTypeOf(a1.reviewerId).toEqualTypeOf<number | null>()
    expectTypeOf(a1.reviewer).toEqualTypeOf<Operation<Author | null>>()
    expectTypeOf(a1.tags).toEqualTypeOf<RelatedQuery<Tag>>()
    expectTypeOf(tag.posts).toEqualTypeOf<RelatedQuery<Post>>()
    expectTypeOf(ada.posts).toEqualTypeOf<RelatedQuery<Post>>()
    expectTypeOf(ada.profile).toEqualTypeOf<Operation<Profile | null>>()
    expectTypeOf(node.parentId).toEqualTypeOf<number | null>()
    expectTypeOf(node.parent).toEqualTypeOf<Operation<Node | null>>()
    expectTypeOf(node.children).toEqualTypeOf<RelatedQuery<Node>>()
    expectTypeOf(node.follows).toEqualTypeOf<RelatedQuery<Node>>()
    expectTypeOf(session.accountId).toEqualTypeOf<string>()
    expectTypeOf(session.account).toEqualTypeOf<Operation<Account>>()
    expectTypeOf(city.countryId).toEqualTypeOf<string>()
    expectTypeOf(group.members).toEqualTypeOf<RelatedQuery<Account>>()
    expectTypeOf(account.groups).toEqualTypeOf<RelatedQuery<Group>>()
    expectTypeOf(ada.posts.all()).toEqualTypeOf<Operation<Array<Post>>>()
    expectTypeOf(ada.posts.first()).toEqualTypeOf<Operation<Post | null>>()
    expectTypeOf(Post.select().with("author", "tags", "author.profile").all()).toEqualTypeOf<Operation<Array<Post>>>()
    // At run time: forward keys are promises, collections are queries.
    expect(a1.author).toBeInstanceOf(Promise)
    expect(ada.profile).toBeInstanceOf(Promise)
    expect(node.parent).toBeInstanceOf(Promise)
    expect(ada.posts).toBeInstanceOf(Query)
    expect(a1.tags).toBeInstanceOf(Query)
    expect(node.children).toBeInstanceOf(Query)
    expect(typeof session.accountId).toBe("string")
    expect(city.countryId).toBe("fr")
    expect(a1.authorId).toBe(ada.id)
    expect(node.parentId).toBe(null)
  })

  // -------------------------------------------------------------------------------------------
  // Foreign keys
  // -------------------------------------------------------------------------------------------

  test("a foreign key stores its shadow key column <field>_id typed like the target's primary key", async () => {
    await open(backend)
    const postCols = Post.metadata.columns
    expect(postCols.find((c) => c.property === "authorId")).toMatchObject({ column: "author_id", type: "int", nullable: false })
    expect(postCols.find((c) => c.property === "reviewerId")).toMatchObject({ column: "reviewer_id", type: "int", nullable: true })
    expect(Session.metadata.columns.find((c) => c.property === "accountId")).toMatchObject({ column: "account_id", type: "uuid" })
    expect(City.metadata.columns.find((c) => c.property === "countryId")).toMatchObject({ column: "country_id", type: "text" })
    // The database column has the same type as the referenced primary key.
    expect(await columnTypeOf("rl_posts", "author_id")).toBe(await columnTypeOf("rl_authors", "id"))
    expect(await columnTypeOf("rl_sessions", "account_id")).toBe(await columnTypeOf("rl_accounts", "id"))
    expect(await columnTypeOf("rl_cities", "country_id")).toBe(await columnTypeOf("rl_countries", "code"))
    if (dialectOf() === "postgres") expect(await columnTypeOf("rl_sessions", "account_id")).toBe("uuid")
    expect(await isNotNull("rl_posts", "author_id")).toBe(true)
    expect(await isNotNull("rl_posts", "reviewer_id")).toBe(false)
    expect(await foreignKeysOf("rl_posts")).toEqual([
      { column: "author_id", target: "rl_authors", targetColumn: "id", onDelete: "CASCADE" },
      { column: "reviewer_id", target: "rl_authors", targetColumn: "id", onDelete: "SET NULL" },
    ])
    expect(await foreignKeysOf("rl_sessions")).toEqual([
      { column: "account_id", target: "rl_accounts", targetColumn: "id", onDelete: "CASCADE" },
    ])
    expect(await foreignKeysOf("rl_cities")).toEqual([
      { column: "country_id", target: "rl_countries", targetColumn: "code", onDelete: "RESTRICT" },
    ])
  })

  test("the shadow key is a readable, filterable property; create accepts the instance or the raw key", async () => {
    await open(backend)
    const { ada, bob, a1, a3, b1 } = await blog()
    expect(a1.authorId).toBe(ada.id)
    expect(a3.authorId).toBe(ada.id)
    expect(b1.authorId).toBe(bob.id)
    const row = await fetchOne<{ author_id: number | string }>(sql`SELECT author_id FROM rl_posts WHERE id = ${a3.id}`)
    expect(Number(row!.author_id)).toBe(ada.id)
    expect(await Post.where((p) => p.authorId.eq(ada.id)).count()).toBe(3)
    expect(ids(await Post.where((p) => p.authorId.in([bob.id])).orderBy((p) => p.id).all())).toEqual([b1.id, b1.id + 1])
    expect(await Post.where((p) => p.reviewerId.isNull()).count()).toBe(5)
    // Both forms at once must agree.
    await expect(Post.create({ title: "x", author: ada, authorId: bob.id })).rejects.toBeInstanceOf(ValidationError)
    // A key with no target row is refused by the database.
    await expect(Post.create({ title: "x", authorId: 987654 })).rejects.toBeInstanceOf(ForeignKeyViolation)
    // A missing required key is a ValidationError before SQL.
    const [error, n] = await counted(() => rejection(Post.create({ title: "x" } as never)))
    expect(error).toBeInstanceOf(ValidationError)
    expect(n).toBe(0)
    expect(await Post.select().count()).toBe(5)
  })

  test("UUID primary keys: the shadow key holds the UUID, loads and filters by it", async () => {
    await open(backend)
    const acc = await Account.create({ name: "acme" })
    const other = await Account.create({ name: "other" })
    expect(acc.id).toMatch(/^[0-9a-f-]{36}$/)
    const s1 = await Session.create({ label: "s1", account: acc })
    // A raw key in upper case is the same UUID.
    const s2 = await Session.create({ label: "s2", accountId: acc.id.toUpperCase() })
    await Session.create({ label: "s3", account: other })
    expect(s1.accountId).toBe(acc.id)
    expect(s2.accountId).toBe(acc.id)
    expect(await s2.account).toBe(acc)
    expect(ids(await acc.sessions.orderBy((s) => s.id).all())).toEqual([s1.id, s2.id])
    expect(await Session.where((s) => s.accountId.eq(other.id)).count()).toBe(1)
    // Lazy load from the database.
    evictInstance(Account, acc.id)
    evictInstance(Session, s1.id)
    const fresh = await Session.get(s1.id)
    const [loaded, n] = await counted(async () => fresh.account)
    expect(n).toBe(1)
    expect(loaded).not.toBe(acc)
    expect(loaded.id).toBe(acc.id)
    expect(loaded.name).toBe("acme")
    // Eager load through the UUID key.
    const [sessions, m] = await counted(() => Session.select().with("account").orderBy((s) => s.id).all())
    expect(m).toBe(2)
    expect((await Promise.all(sessions.map(async (s) => (await s.account).name)))).toEqual(["acme", "acme", "other"])
    // Deleting the account cascades.
    await other.delete()
    expect(await Session.select().count()).toBe(2)
  })

  test("text primary keys: the shadow key holds the code, loads, filters, and restrict protects it", async () => {
    await open(backend)
    const fr = await Country.create({ code: "fr", name: "France" })
    const de = await Country.create({ code: "de", name: "Germany" })
    const paris = await City.create({ name: "Paris", country: fr })
    const lyon = await City.create({ name: "Lyon", countryId: "fr" })
    const berlin = await City.create({ name: "Berlin", countryId: de.code })
    expect(lyon.countryId).toBe("fr")
    expect(await lyon.country).toBe(fr)
    expect(ids(await fr.cities.orderBy((c) => c.name).all())).toEqual([lyon.id, paris.id])
    expect(await de.cities.count()).toBe(1)
    expect(await City.where((c) => c.countryId.eq("de")).first()).toBe(berlin)
    const [cities, n] = await counted(() => Country.select().with("cities").orderBy((c) => c.code).all())
    expect(n).toBe(2)
    const [lists, m] = await counted(() => Promise.all(cities.map((c) => c.cities.all())))
    expect(m).toBe(0)
    expect(lists.map((l) => l.map((c) => c.name).sort())).toEqual([["Berlin"], ["Lyon", "Paris"]])
    const error = await rejection(fr.delete())
    // soft: the rows must survive whatever the error class is.
    expect.soft(error).toBeInstanceOf(ForeignKeyViolation)
    expect(await Country.where((c) => c.code.eq("fr")).count()).toBe(1)
    expect(await City.select().count()).toBe(3)
  })

  test("on delete cascade (explicit and default) deletes the children in the database", async () => {
    await open(backend)
    const p = await OdParent.create({ name: "p" })
    const keep = await OdParent.create({ name: "keep" })
    await OdCascade.create({ parent: p })
    await OdCascade.create({ parent: p })
    await OdCascade.create({ parent: keep })
    await OdDefault.create({ parent: p })
    await OdDefault.create({ parent: keep })
    expect((await foreignKeysOf("rl_od_cascade"))[0]!.onDelete).toBe("CASCADE")
    expect((await foreignKeysOf("rl_od_default"))[0]!.onDelete).toBe("CASCADE")
    await p.delete()
    expect(await countRows("rl_od_cascade")).toBe(1)
    expect(await countRows("rl_od_default")).toBe(1)
    const rows = await fetchAll<{ parent_id: number | string }>(sql`SELECT parent_id FROM rl_od_cascade`)
    expect(rows.map((r) => Number(r.parent_id))).toEqual([keep.id])
  })

  test("on delete restrict: deleting a referenced parent raises ForeignKeyViolation and deletes nothing", async () => {
    await open(backend)
    const p = await OdParent.create({ name: "p" })
    await OdCascade.create({ parent: p })
    await OdRestrict.create({ parent: p })
    expect((await foreignKeysOf("rl_od_restrict"))[0]!.onDelete).toBe("RESTRICT")
    // soft: the rows must survive whatever the error class is.
    expect.soft(await rejection(p.delete())).toBeInstanceOf(ForeignKeyViolation)
    expect(await countRows("rl_od_parents")).toBe(1)
    expect(await countRows("rl_od_restrict")).toBe(1)
    // The cascading sibling was not deleted either: the statement failed as a whole.
    expect(await countRows("rl_od_cascade")).toBe(1)
    expect.soft(await rejection(OdParent.where((o) => o.id.eq(p.id)).delete())).toBeInstanceOf(ForeignKeyViolation)
    expect(await countRows("rl_od_parents")).toBe(1)
    // Once the child is gone the parent can go.
    await OdRestrict.select().delete()
    await p.delete()
    expect(await countRows("rl_od_parents")).toBe(0)
    expect(await countRows("rl_od_cascade")).toBe(0)
  })

  test("on delete no action: deleting a referenced parent raises ForeignKeyViolation and deletes nothing", async () => {
    await open(backend)
    const p = await OdParent.create({ name: "p" })
    await OdCascade.create({ parent: p })
    await OdNoAction.create({ parent: p })
    expect((await foreignKeysOf("rl_od_no_action"))[0]!.onDelete).toBe("NO ACTION")
    expect(await rejection(p.delete())).toBeInstanceOf(ForeignKeyViolation)
    expect(await countRows("rl_od_parents")).toBe(1)
    expect(await countRows("rl_od_no_action")).toBe(1)
    expect(await countRows("rl_od_cascade")).toBe(1)
  })

  test("on delete set null: the children's key becomes null", async () => {
    await open(backend)
    const p = await OdParent.create({ name: "p" })
    const keep = await OdParent.create({ name: "keep" })
    const c1 = await OdSetNull.create({ parent: p })
    const c2 = await OdSetNull.create({ parent: keep })
    expectTypeOf(c1.parentId).toEqualTypeOf<number | null>()
    expect((await foreignKeysOf("rl_od_set_null"))[0]!.onDelete).toBe("SET NULL")
    expect(await isNotNull("rl_od_set_null", "parent_id")).toBe(false)
    await p.delete()
    const rows = await fetchAll<{ id: number | string; parent_id: number | string | null }>(
      sql`SELECT id, parent_id FROM rl_od_set_null ORDER BY id`,
    )
    expect(rows.map((r) => [Number(r.id), r.parent_id === null ? null : Number(r.parent_id)])).toEqual([
      [c1.id, null],
      [c2.id, keep.id],
    ])
    await c1.refresh()
    expect(c1.parentId).toBe(null)
    expect(await c1.parent).toBe(null)
    expect(await c2.parent).toBe(keep)
  })

  test("on delete set default: the children's key becomes the column default (null)", async () => {
    await open(backend)
    const p = await OdParent.create({ name: "p" })
    const c = await OdSetDefault.create({ parent: p })
    // InnoDB parses SET DEFAULT but enforces it as RESTRICT; a Ferro key has no column DEFAULT
    // (its default is NULL), so on MySQL Ferro declares the equivalent SET NULL.
    expect((await foreignKeysOf("rl_od_set_default"))[0]!.onDelete).toBe(dialectOf() === "mysql" ? "SET NULL" : "SET DEFAULT")
    await p.delete()
    expect(await countRows("rl_od_set_default")).toBe(1)
    const row = await fetchOne<{ parent_id: unknown }>(sql`SELECT parent_id FROM rl_od_set_default WHERE id = ${c.id}`)
    expect(row!.parent_id).toBe(null)
  })

  test("post.reviewer (set null through Ferro's delete) leaves the post with a null reviewer", async () => {
    await open(backend)
    const { ada, bob, a1 } = await blog()
    a1.reviewerId = bob.id
    await a1.save()
    expect(await a1.reviewer).toBe(bob)
    await bob.delete()
    await a1.refresh()
    expect(a1.reviewerId).toBe(null)
    expect(await a1.reviewer).toBe(null)
    expect(await a1.author).toBe(ada)
    // bob's own posts cascaded away.
    expect(await Post.select().count()).toBe(3)
  })

  test("the foreign key column is indexed by default; unique keys get one unique index; index: false gets none", async () => {
    await open(backend)
    const posts = await indexesOf("rl_posts")
    expect(posts.filter((i) => i.columns.length === 1 && i.columns[0] === "author_id")).toEqual([
      { name: expect.any(String), unique: false, columns: ["author_id"] },
    ])
    expect(posts.some((i) => i.columns[0] === "reviewer_id")).toBe(true)
    for (const table of ["rl_od_cascade", "rl_od_restrict", "rl_od_set_null", "rl_od_no_action", "rl_sessions", "rl_cities"]) {
      const column = table === "rl_sessions" ? "account_id" : table === "rl_cities" ? "country_id" : "parent_id"
      expect((await indexesOf(table)).filter((i) => i.columns[0] === column), table).toHaveLength(1)
    }
    const profiles = (await indexesOf("rl_profiles")).filter((i) => i.columns.includes("author_id"))
    expect(profiles).toEqual([{ name: expect.any(String), unique: true, columns: ["author_id"] }])
    const unindexed = (await indexesOf("rl_od_unindexed")).filter((i) => i.columns.includes("parent_id"))
    if (dialectOf() === "mysql") {
      // InnoDB cannot check a foreign key without an index on it: it creates one itself,
      // named after the constraint. Ferro creates none.
      expect(unindexed).toEqual([{ name: expect.stringMatching(/^fk_/), unique: false, columns: ["parent_id"] }])
    } else {
      expect(unindexed).toEqual([])
    }
  })

  // -------------------------------------------------------------------------------------------
  // Back references
  // -------------------------------------------------------------------------------------------

  test("author.posts is a query scoped to the author: where, orderBy, limit, count, first, all", async () => {
    await open(backend)
    const { ada, bob, a1, a2, a3, b1, b2 } = await blog()
    expect(ids(await ada.posts.orderBy((p) => p.id).all())).toEqual([a1.id, a2.id, a3.id])
    expect(ids(await bob.posts.orderBy((p) => p.id).all())).toEqual([b1.id, b2.id])
    expect(await ada.posts.count()).toBe(3)
    expect(await bob.posts.count()).toBe(2)
    expect(ids(await ada.posts.where((p) => p.views.gte(5)).orderBy((p) => p.views, "desc").all())).toEqual([a3.id, a2.id])
    expect(await ada.posts.where((p) => p.views.eq(1)).count()).toBe(1)
    expect(await bob.posts.where((p) => p.title.like("a%")).count()).toBe(0)
    expect(await ada.posts.orderBy((p) => p.views, "desc").first()).toBe(a3)
    expect(ids(await ada.posts.orderBy((p) => p.id).limit(2).all())).toEqual([a1.id, a2.id])
    expect(ids(await ada.posts.orderBy((p) => p.id).limit(1).offset(1).all())).toEqual([a2.id])
    expect(await ada.posts.exists()).toBe(true)
    const nobody = await Author.create({ name: "Nobody", email: "n@x" })
    expect(await nobody.posts.all()).toEqual([])
    expect(await nobody.posts.count()).toBe(0)
    expect(await nobody.posts.first()).toBe(null)
    expect(await nobody.posts.exists()).toBe(false)
  })

  test("author.posts.update() and .delete() touch only that author's posts", async () => {
    await open(backend)
    const { ada, bob, a1, a2, a3, b1, b2 } = await blog()
    expect(await ada.posts.update({ views: 100 })).toBe(3)
    const views = await fetchAll<{ id: number | string; views: number | string }>(sql`SELECT id, views FROM rl_posts ORDER BY id`)
    expect(views.map((r) => [Number(r.id), Number(r.views)])).toEqual([
      [a1.id, 100],
      [a2.id, 100],
      [a3.id, 100],
      [b1.id, 1],
      [b2.id, 5],
    ])
    // Held instances were refreshed by the update.
    expect(a1.views).toBe(100)
    expect(b1.views).toBe(1)
    expect(await bob.posts.where((p) => p.views.eq(5)).update({ views: (p) => p.views.add(1) })).toBe(1)
    expect(b2.views).toBe(6)
    // Delete: ada's posts with views = 100 only (bob has none such, but filter by title to be sure).
    expect(await ada.posts.where((p) => p.title.ne("a2")).delete()).toBe(2)
    expect(ids(await Post.select().orderBy((p) => p.id).all())).toEqual([a2.id, b1.id, b2.id])
    expect(await bob.posts.delete()).toBe(2)
    expect(ids(await Post.select().all())).toEqual([a2.id])
    expect(await Author.select().count()).toBe(2)
  })

  test("one-to-one: await author.profile is the instance or null; a second profile is a UniqueViolation", async () => {
    await open(backend)
    const { ada, bob } = await blog()
    expect(await ada.profile).toBe(null)
    const prof = await Profile.create({ author: ada, site: "ada.dev" })
    expect(await ada.profile).toBe(prof)
    expect(await bob.profile).toBe(null)
    expect(await prof.author).toBe(ada)
    // Loaded from the database (not the identity map).
    evictInstance(Profile, prof.id)
    const loaded = await ada.profile
    expect(loaded).not.toBe(prof)
    expect(loaded?.site).toBe("ada.dev")
    const error = await rejection(Profile.create({ authorId: ada.id, site: "again" }))
    expect(error).toBeInstanceOf(UniqueViolation)
    expect(await Profile.select().count()).toBe(1)
    await Profile.create({ author: bob, site: "bob.dev" })
    expect((await bob.profile)?.site).toBe("bob.dev")
  })

  test("a relatedName naming no back reference fails connect() naming both tables, registering nothing", async () => {
    const url = await backend.freshUrl()
    await withScratchModels(async () => {
      class BrokenParent extends Model("rl_broken_parents", { id: field.id(), name: field.text() }) {}
      class BrokenChild extends Model("rl_broken_children", {
        id: field.id(),
        parent: field.foreignKey((): ModelClass<BrokenParent> => BrokenParent, { relatedName: "kids" }),
      }) {}
      expect(BrokenChild.name).toBe("BrokenChild")
      const error = await rejection(connect(url, { autoMigrate: true }))
      expect(error).toBeInstanceOf(Error)
      const message = (error as Error).message
      expect(message).toContain("rl_broken_children")
      expect(message).toContain("rl_broken_parents")
      expect(message).toContain("kids")
      expect(allConnections()).toHaveLength(0)
      expect(() => getConnection()).toThrow()
    })
    // Nothing was created in the database either.
    if (backend.name === "sqlite-file") expect(existsSync(url.slice("sqlite:".length))).toBe(false)
    if (backend.name === "postgres") {
      await connect(url)
      expect(await tableNames()).toEqual([])
      await disconnect()
    }
    // The restored registry connects fine.
    await open(backend)
    expect(await Author.select().count()).toBe(0)
  })

  test("a many-to-many relatedName naming no back reference fails connect() naming both tables", async () => {
    const url = await backend.freshUrl()
    await withScratchModels(async () => {
      class BrokenGroup extends Model("rl_broken_groups", { id: field.id() }) {}
      class BrokenUser extends Model("rl_broken_users", {
        id: field.id(),
        groups: field.manyToMany((): ModelClass<BrokenGroup> => BrokenGroup, { relatedName: "members" }),
      }) {}
      expect(BrokenUser.name).toBe("BrokenUser")
      const error = await rejection(connect(url, { autoMigrate: true }))
      expect(error).toBeInstanceOf(Error)
      expect((error as Error).message).toContain("rl_broken_users")
      expect((error as Error).message).toContain("rl_broken_groups")
      expect(allConnections()).toHaveLength(0)
    })
  })

  // -------------------------------------------------------------------------------------------
  // Many-to-many
  // -------------------------------------------------------------------------------------------

  test("the join table <table>_<field> has a unique pair index and a reverse-direction index", async () => {
    await open(backend)
    expect(await tableNames()).toContain("rl_posts_tags")
    expect(await columnTypeOf("rl_posts_tags", "rl_posts_id")).toBe(await columnTypeOf("rl_posts", "id"))
    expect(await columnTypeOf("rl_posts_tags", "tags_id")).toBe(await columnTypeOf("rl_tags", "id"))
    const indexes = await indexesOf("rl_posts_tags")
    expect(indexes.filter((i) => i.unique).map((i) => i.columns)).toEqual([["rl_posts_id", "tags_id"]])
    expect(indexes.some((i) => i.columns[0] === "tags_id")).toBe(true)
    expect(await foreignKeysOf("rl_posts_tags")).toEqual([
      { column: "rl_posts_id", target: "rl_posts", targetColumn: "id", onDelete: "CASCADE" },
      { column: "tags_id", target: "rl_tags", targetColumn: "id", onDelete: "CASCADE" },
    ])
    // UUID keys on both sides.
    expect(await columnTypeOf("rl_groups_members", "rl_groups_id")).toBe(await columnTypeOf("rl_groups", "id"))
    expect(await columnTypeOf("rl_groups_members", "members_id")).toBe(await columnTypeOf("rl_accounts", "id"))
  })

  test("through names the join table", async () => {
    await open(backend)
    const tables = await tableNames()
    expect(tables).toContain("rl_enrolments")
    expect(tables).not.toContain("rl_students_courses")
    const indexes = await indexesOf("rl_enrolments")
    expect(indexes.filter((i) => i.unique).map((i) => i.columns)).toEqual([["rl_students_id", "courses_id"]])
    expect(indexes.some((i) => i.columns[0] === "courses_id")).toBe(true)
    const ann = await Student.create({ name: "Ann" })
    const ben = await Student.create({ name: "Ben" })
    const math = await Course.create({ title: "math" })
    const art = await Course.create({ title: "art" })
    await ann.courses.add(math, art)
    await ben.courses.add(math)
    expect(await countRows("rl_enrolments")).toBe(3)
    expect((await math.students.orderBy((s) => s.name).all()).map((s) => s.name)).toEqual(["Ann", "Ben"])
    expect((await art.students.all()).map((s) => s.name)).toEqual(["Ann"])
    const [students, n] = await counted(() => Student.select().with("courses").orderBy((s) => s.name).all())
    expect(n).toBe(2)
    expect((await students[0]!.courses.all()).map((c) => c.title).sort()).toEqual(["art", "math"])
  })

  test("add() links instances and raw keys, once; reads work from both sides", async () => {
    await open(backend)
    const { a1, a2 } = await blog()
    const red = await Tag.create({ name: "red" })
    const blue = await Tag.create({ name: "blue" })
    const green = await Tag.create({ name: "green" })
    await a1.tags.add(red, blue.id)
    await a1.tags.add(red)
    await a1.tags.add(blue, red.id)
    await a2.tags.add(green)
    expect(await countRows("rl_posts_tags")).toBe(3)
    const rows = await fetchAll<{ p: number | string; t: number | string }>(
      sql`SELECT rl_posts_id AS p, tags_id AS t FROM rl_posts_tags ORDER BY rl_posts_id, tags_id`,
    )
    expect(rows.map((r) => [Number(r.p), Number(r.t)])).toEqual([
      [a1.id, red.id],
      [a1.id, blue.id],
      [a2.id, green.id],
    ])
    expect(ids(await a1.tags.orderBy((t) => t.id).all())).toEqual([red.id, blue.id])
    expect(await a1.tags.count()).toBe(2)
    expect(await a1.tags.where((t) => t.name.eq("blue")).first()).toBe(blue)
    expect(ids(await red.posts.all())).toEqual([a1.id])
    expect(ids(await green.posts.all())).toEqual([a2.id])
    expect(await green.posts.count()).toBe(1)
    // From the reverse side, too.
    await green.posts.add(a1)
    expect(ids(await a1.tags.orderBy((t) => t.id).all())).toEqual([red.id, blue.id, green.id])
    // add() with nothing is a no-op.
    await a1.tags.add()
    expect(await countRows("rl_posts_tags")).toBe(4)
  })

  test("remove() and clear() unlink only the owner's links", async () => {
    await open(backend)
    const { a1, a2 } = await blog()
    const red = await Tag.create({ name: "red" })
    const blue = await Tag.create({ name: "blue" })
    const green = await Tag.create({ name: "green" })
    await a1.tags.add(red, blue, green)
    await a2.tags.add(red, blue)
    expect(await a1.tags.remove(red)).toBe(1)
    expect(await a1.tags.remove(red)).toBe(0)
    expect(await a1.tags.remove(blue.id)).toBe(1)
    expect(ids(await a1.tags.all())).toEqual([green.id])
    expect(ids(await a2.tags.orderBy((t) => t.id).all())).toEqual([red.id, blue.id])
    expect(await a2.tags.clear()).toBe(2)
    expect(await a2.tags.count()).toBe(0)
    expect(await a1.tags.count()).toBe(1)
    // The tags themselves remain.
    expect(await Tag.select().count()).toBe(3)
    expect(await red.posts.count()).toBe(0)
    // Deleting a tag removes its links (join table cascade).
    await green.delete()
    expect(await a1.tags.count()).toBe(0)
    expect(await countRows("rl_posts_tags")).toBe(0)
  })

  test("update() and delete() on a many-to-many relation touch only linked rows", async () => {
    await open(backend)
    const { a1, a2 } = await blog()
    const t1 = await Tag.create({ name: "t1", color: "red" })
    const t2 = await Tag.create({ name: "t2", color: "red" })
    const t3 = await Tag.create({ name: "t3", color: "red" }) // same values, not linked to a1
    const t4 = await Tag.create({ name: "t4", color: "red" }) // linked to a2 only
    await a1.tags.add(t1, t2)
    await a2.tags.add(t4)
    expect(await a1.tags.where((t) => t.color.eq("red")).update({ color: "blue" })).toBe(2)
    const colors = await fetchAll<{ name: string; color: string }>(sql`SELECT name, color FROM rl_tags ORDER BY name`)
    expect(colors.map((r) => `${r.name}:${r.color}`)).toEqual(["t1:blue", "t2:blue", "t3:red", "t4:red"])
    expect(t1.color).toBe("blue")
    expect(t3.color).toBe("red")
    expect(await a1.tags.delete()).toBe(2)
    expect((await Tag.select().orderBy((t) => t.name).all()).map((t) => t.name)).toEqual(["t3", "t4"])
    expect(await a2.tags.count()).toBe(1)
    expect(await countRows("rl_posts_tags")).toBe(1)
    // From the reverse side: only posts linked to t4.
    expect(await t4.posts.update({ views: 77 })).toBe(1)
    expect((await Post.where((p) => p.views.eq(77)).all()).map((p) => p.id)).toEqual([a2.id])
  })

  test("self-referential many-to-many: a follows b does not make b follow a", async () => {
    await open(backend)
    const a = await Node.create({ name: "a" })
    const b = await Node.create({ name: "b" })
    const c = await Node.create({ name: "c" })
    await a.follows.add(b, c)
    await c.follows.add(b)
    expect((await a.follows.orderBy((n) => n.name).all()).map((n) => n.name)).toEqual(["b", "c"])
    expect(await b.follows.count()).toBe(0)
    expect((await b.followers.orderBy((n) => n.name).all()).map((n) => n.name)).toEqual(["a", "c"])
    expect((await c.followers.all()).map((n) => n.name)).toEqual(["a"])
    expect(await a.followers.count()).toBe(0)
    const rows = await fetchAll<{ s: number | string; t: number | string }>(
      sql`SELECT rl_nodes_id AS s, follows_id AS t FROM rl_nodes_follows ORDER BY rl_nodes_id, follows_id`,
    )
    expect(rows.map((r) => [Number(r.s), Number(r.t)])).toEqual([
      [a.id, b.id],
      [a.id, c.id],
      [c.id, b.id],
    ])
    expect(await a.follows.remove(b)).toBe(1)
    expect((await b.followers.all()).map((n) => n.name)).toEqual(["c"])
    // Eager, both directions.
    const [nodes, n] = await counted(() => Node.select().with("follows", "followers").orderBy((x) => x.name).all())
    expect(n).toBe(3)
    const [names, m] = await counted(() =>
      Promise.all(nodes.map(async (x) => [(await x.follows.all()).map((y) => y.name).sort(), (await x.followers.all()).map((y) => y.name).sort()])),
    )
    expect(m).toBe(0)
    expect(names).toEqual([
      [["c"], []],
      [[], ["c"]],
      [["b"], ["a"]],
    ])
  })

  test("many-to-many with UUID keys: add by instance or raw key, read both sides, eager load", async () => {
    await open(backend)
    const x = await Account.create({ name: "x" })
    const y = await Account.create({ name: "y" })
    const g = await Group.create({ name: "g" })
    const h = await Group.create({ name: "h" })
    await g.members.add(x, y.id)
    await h.members.add(y.id)
    await h.members.add(y)
    expect(await countRows("rl_groups_members")).toBe(3)
    expect((await g.members.orderBy((a) => a.name).all()).map((a) => a.name)).toEqual(["x", "y"])
    expect((await y.groups.orderBy((gr) => gr.name).all()).map((gr) => gr.name)).toEqual(["g", "h"])
    expect(await y.groups.count()).toBe(2)
    expect(await x.groups.count()).toBe(1)
    expect(await g.members.remove(y.id)).toBe(1)
    expect((await g.members.all()).map((a) => a.name)).toEqual(["x"])
    const [groups, n] = await counted(() => Group.select().with("members").orderBy((gr) => gr.name).all())
    expect(n).toBe(2)
    expect(await Promise.all(groups.map(async (gr) => (await gr.members.all()).map((a) => a.name)))).toEqual([["x"], ["y"]])
    const [accounts, m] = await counted(() => Account.select().with("groups", "sessions").orderBy((a) => a.name).all())
    expect(m).toBe(3)
    expect(await Promise.all(accounts.map(async (a) => (await a.groups.all()).map((gr) => gr.name)))).toEqual([["g"], ["h"]])
  })

  test("many-to-many with UUID keys: a raw key in upper case links and unlinks the same row", async () => {
    await open(backend)
    const y = await Account.create({ name: "y" })
    const g = await Group.create({ name: "g" })
    // Everywhere else Ferro treats UUIDs case-insensitively (create, where, get).
    const s = await Session.create({ label: "s", accountId: y.id.toUpperCase() })
    expect(s.accountId).toBe(y.id)
    await g.members.add(y.id.toUpperCase())
    expect((await g.members.all()).map((a) => a.id)).toEqual([y.id])
    await g.members.add(y.id)
    expect(await countRows("rl_groups_members")).toBe(1)
    expect(await g.members.remove(y.id.toUpperCase())).toBe(1)
    expect(await g.members.count()).toBe(0)
  })

  test("add() with a raw key of the wrong type is a ValidationError before SQL", async () => {
    await open(backend)
    const { a1 } = await blog()
    const red = await Tag.create({ name: "red" })
    await a1.tags.add(red)
    const [error, n] = await counted(() => rejection(a1.tags.add("not-a-key")))
    expect(error).toBeInstanceOf(ValidationError)
    expect(n).toBe(0)
    expect(await a1.tags.count()).toBe(1)
  })

  test("remove() with a raw key of the wrong type is a ValidationError before SQL", async () => {
    await open(backend)
    const { a1 } = await blog()
    const red = await Tag.create({ name: "red" })
    await a1.tags.add(red)
    const [error, n] = await counted(() => rejection(a1.tags.remove("not-a-key")))
    expect(error).toBeInstanceOf(ValidationError)
    expect(n).toBe(0)
    expect(await a1.tags.count()).toBe(1)
  })

  for (const op of ["add", "remove", "clear"] as const) {
    test(`${op}() after an eager load of the relation is seen by the next read`, async () => {
      await open(backend)
      const { a1 } = await blog()
      const red = await Tag.create({ name: "red" })
      const blue = await Tag.create({ name: "blue" })
      await a1.tags.add(red)
      const [post] = await Post.where((p) => p.id.eq(a1.id)).with("tags").all()
      expect(post).toBe(a1)
      expect(ids(await post!.tags.all())).toEqual([red.id])
      if (op === "add") await post!.tags.add(blue)
      else if (op === "remove") await post!.tags.remove(red)
      else await post!.tags.clear()
      const expected = op === "add" ? [red.id, blue.id].sort() : []
      expect(ids(await post!.tags.orderBy((t) => t.id).all()), "a fresh query").toEqual(expected)
      expect(ids(await post!.tags.all()).sort(), "the eager-loaded relation").toEqual(expected)
    })
  }

  test("add() on an unsaved owner or with an unsaved instance fails before SQL", async () => {
    await open(backend)
    const { a1 } = await blog()
    const draft = new Tag({ name: "draft" })
    const [e1, n1] = await counted(() => rejection(a1.tags.add(draft)))
    expect(e1).toBeInstanceOf(FerroError)
    expect(n1).toBe(0)
    const unsavedPost = new Post({ title: "u", authorId: a1.authorId })
    const tag = await Tag.create({ name: "saved" })
    const [e2, n2] = await counted(() => rejection(unsavedPost.tags.add(tag)))
    expect(e2).toBeInstanceOf(FerroError)
    expect(n2).toBe(0)
    expect(await countRows("rl_posts_tags")).toBe(0)
  })

  // -------------------------------------------------------------------------------------------
  // Lazy forward loads
  // -------------------------------------------------------------------------------------------

  test("await post.author: cached after create, one query when not held, none for a null key", async () => {
    await open(backend)
    const { ada, a1, a3 } = await blog()
    // Created with the instance / with the raw key: resolves without a query.
    const [viaInstance, n1] = await counted(async () => a1.author)
    expect(viaInstance).toBe(ada)
    expect(n1).toBe(0)
    const [viaKey, n2] = await counted(async () => a3.author)
    expect(viaKey).toBe(ada)
    expect(n2).toBe(0)
    // Null key: null, no query.
    const [none, n3] = await counted(async () => a1.reviewer)
    expect(none).toBe(null)
    expect(n3).toBe(0)
    // Neither instance held: one query, then cached.
    evictInstance(Post, a1.id)
    evictInstance(Author, ada.id)
    const fresh = await Post.get(a1.id)
    expect(fresh).not.toBe(a1)
    const [loaded, n4] = await counted(async () => fresh.author)
    expect(n4).toBe(1)
    expect(loaded).not.toBe(ada)
    expect(loaded.name).toBe("Ada")
    expect(loaded.id).toBe(ada.id)
    const [again, n5] = await counted(async () => fresh.author)
    expect(again).toBe(loaded)
    expect(n5).toBe(0)
    // The loaded author is the identity-mapped one.
    expect(await Author.get(ada.id)).toBe(loaded)
  })

  test("changing the key and saving makes await post.author follow the new key", async () => {
    await open(backend)
    const { ada, bob, a1 } = await blog()
    expect(await a1.author).toBe(ada)
    a1.authorId = bob.id
    expect(await a1.author).toBe(bob)
    await a1.save()
    await a1.refresh()
    expect(a1.authorId).toBe(bob.id)
    expect(await a1.author).toBe(bob)
    expect(await ada.posts.count()).toBe(2)
    expect(await bob.posts.count()).toBe(3)
  })

  test("an unsaved related instance (integer key) is a ValidationError before any SQL", async () => {
    await open(backend)
    const draftAuthor = new Author({ name: "Draft", email: "draft@x" })
    const [error, n] = await counted(() => rejection(Post.create({ title: "t", author: draftAuthor })))
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).issues.map((i) => i.path)).toContain("author")
    expect(n).toBe(0)
    expect(await countRows("rl_posts")).toBe(0)
  })

  test("an unsaved related instance (UUID key, generated on construction) is a ValidationError before any SQL", async () => {
    await open(backend)
    const draftAccount = new Account({ name: "draft" })
    expect(draftAccount.id).toMatch(/^[0-9a-f-]{36}$/)
    const [error, n] = await counted(() => rejection(Session.create({ label: "s", account: draftAccount })))
    expect(error).toBeInstanceOf(ValidationError)
    expect(n).toBe(0)
    expect(await countRows("rl_sessions")).toBe(0)
  })

  test("an unsaved related instance (text key given by the user) is a ValidationError before any SQL", async () => {
    await open(backend)
    const draftCountry = new Country({ code: "zz", name: "Nowhere" })
    const [error, n] = await counted(() => rejection(City.create({ name: "c", country: draftCountry })))
    expect(error).toBeInstanceOf(ValidationError)
    expect(n).toBe(0)
    expect(await countRows("rl_cities")).toBe(0)
  })

  // -------------------------------------------------------------------------------------------
  // Eager loading
  // -------------------------------------------------------------------------------------------

  test("eager loading 1,000 posts with author and tags takes exactly 3 statements and loads the right values", async () => {
    await open(backend)
    const authors: Array<Author> = []
    for (let i = 0; i < 50; i++) authors.push(await Author.create({ name: `author${i}`, email: `a${i}@x` }))
    const tags: Array<Tag> = []
    for (let i = 0; i < 20; i++) tags.push(await Tag.create({ name: `tag${i}` }))
    await Post.bulkCreate(
      Array.from({ length: 1000 }, (_, i) => ({ title: `post${i}`, views: i, authorId: authors[(i * 7) % 50]!.id })),
    )
    const all = await Post.select().orderBy((p) => p.id).all()
    expect(all).toHaveLength(1000)
    for (let t = 0; t < 20; t++) {
      const linked = all.filter((_, i) => i % 5 !== 0 && (i % 20 === t || (i * 3) % 20 === t))
      if (linked.length > 0) await tags[t]!.posts.add(...linked)
    }
    // Expected values straight from the tables.
    const authorOf = new Map(
      (await fetchAll<{ id: number | string; a: number | string }>(sql`SELECT id, author_id AS a FROM rl_posts`)).map(
        (r) => [Number(r.id), Number(r.a)] as const,
      ),
    )
    const tagsOf = new Map<number, Array<number>>()
    for (const r of await fetchAll<{ p: number | string; t: number | string }>(sql`SELECT rl_posts_id AS p, tags_id AS t FROM rl_posts_tags`)) {
      const list = tagsOf.get(Number(r.p)) ?? []
      list.push(Number(r.t))
      tagsOf.set(Number(r.p), list)
    }
    expect(tagsOf.size).toBe(800)
    // Nothing held: the eager load must fill the identity map itself.
    for (const a of authors) evictInstance(Author, a.id)
    for (const t of tags) evictInstance(Tag, t.id)
    for (const p of all) evictInstance(Post, p.id)

    const [posts, n] = await counted(() => Post.select().with("author", "tags").orderBy((p) => p.id).all())
    expect(n).toBe(3)
    expect(posts).toHaveLength(1000)

    const map = getConnection().identityMap!
    const [loaded, m] = await counted(() =>
      Promise.all(posts.map(async (p) => ({ post: p, author: await p.author, tags: await p.tags.all() }))),
    )
    expect(m).toBe(0)
    for (const { post, author, tags: postTags } of loaded) {
      expect(author.id).toBe(authorOf.get(post.id))
      expect(author).toBe(map.get("rl_authors", author.id))
      expect(author).not.toBe(authors.find((a) => a.id === author.id))
      expect(postTags.map((t) => t.id).sort((a, b) => a - b)).toEqual((tagsOf.get(post.id) ?? []).sort((a, b) => a - b))
      for (const t of postTags) expect(t).toBe(map.get("rl_tags", t.id))
    }
    // One object per author across posts, and the values are the stored ones.
    const byAuthor = new Map<number, object>()
    for (const { author } of loaded) {
      const seen = byAuthor.get(author.id)
      if (seen !== undefined) expect(author).toBe(seen)
      else byAuthor.set(author.id, author)
    }
    expect(byAuthor.size).toBe(50)
    const first = loaded[0]!.author
    expect(first.name).toBe(`author0`)
    expect(await Author.get(first.id)).toBe(first)
  })

  test("eager loading is a constant number of statements whatever the number of rows", async () => {
    await open(backend)
    const ada = await Author.create({ name: "Ada", email: "ada@x" })
    const red = await Tag.create({ name: "red" })
    const counts = []
    for (const size of [1, 10, 60]) {
      while ((await Post.select().count()) < size) {
        const p = await Post.create({ title: "p", author: ada })
        await p.tags.add(red)
      }
      const [, n] = await counted(() => Post.select().with("author", "tags", "author.profile", "tags.posts").all())
      counts.push(n)
    }
    expect(counts).toEqual([5, 5, 5])
  })

  test("eager loading with no rows issues one statement", async () => {
    await open(backend)
    const [posts, n] = await counted(() => Post.select().with("author", "tags", "author.profile").all())
    expect(posts).toEqual([])
    expect(n).toBe(1)
    await Author.create({ name: "Ada", email: "ada@x" })
    const [none, m] = await counted(() => Post.where((p) => p.views.gt(1000)).with("author", "tags").all())
    expect(none).toEqual([])
    expect(m).toBe(1)
  })

  test("eager author.profile (one-to-one) and a null forward key need no further queries", async () => {
    await open(backend)
    const { ada, bob, a1, b1 } = await blog()
    const prof = await Profile.create({ author: ada, site: "ada.dev" })
    a1.reviewerId = bob.id
    await a1.save()
    evictInstance(Author, ada.id)
    evictInstance(Author, bob.id)
    evictInstance(Profile, prof.id)
    const [posts, n] = await counted(() => Post.select().with("author", "author.profile", "reviewer").orderBy((p) => p.id).all())
    expect(n).toBe(4)
    const [values, m] = await counted(() =>
      Promise.all(
        posts.map(async (p) => {
          const author = await p.author
          const reviewer = await p.reviewer
          return [p.id, author.name, (await author.profile)?.site ?? null, reviewer?.name ?? null]
        }),
      ),
    )
    expect(m).toBe(0)
    expect(values.find((v) => v[0] === a1.id)).toEqual([a1.id, "Ada", "ada.dev", "Bob"])
    expect(values.find((v) => v[0] === b1.id)).toEqual([b1.id, "Bob", null, null])
  })

  test("eager back references: author.posts.all() needs no query, author.posts.where() runs one", async () => {
    await open(backend)
    const { a1, a2, a3, b1, b2 } = await blog()
    const lonely = await Author.create({ name: "Lonely", email: "l@x" })
    const [authors, n] = await counted(() => Author.select().with("posts").orderBy((a) => a.id).all())
    expect(n).toBe(2)
    const [lists, m] = await counted(() => Promise.all(authors.map((a) => a.posts.all())))
    expect(m).toBe(0)
    expect(lists.map((l) => sortedIds(l))).toEqual([[a1.id, a2.id, a3.id], [b1.id, b2.id], []])
    expect(authors[2]).toBe(lonely)
    const [filtered, k] = await counted(() => authors[0]!.posts.where((p) => p.views.gte(5)).all())
    expect(k).toBe(1)
    expect(sortedIds(filtered)).toEqual([a2.id, a3.id])
    const [ordered, j] = await counted(() => authors[0]!.posts.orderBy((p) => p.views, "desc").limit(1).all())
    expect(j).toBe(1)
    expect(ids(ordered)).toEqual([a3.id])
    // The children's forward relation points back to the loaded parent.
    const [back, i] = await counted(async () => (await authors[1]!.posts.all())[0]!.author)
    expect(back).toBe(authors[1])
    expect(i).toBe(0)
  })

  test("with() rejects unknown relation paths before any SQL", async () => {
    await open(backend)
    const [error, n] = await counted(async () => {
      try {
        // @ts-expect-error "nope" is not a relation of Post
        Post.select().with("nope")
      } catch (e) {
        return e
      }
      return null
    })
    expect(error).toBeInstanceOf(QueryError)
    expect(n).toBe(0)
    // @ts-expect-error "author.nope" is not a relation path of Post
    expect(() => Post.select().with("author.nope")).toThrow(QueryError)
    expect(() => Post.select().with("author.posts")).not.toThrow()
  })

  // -------------------------------------------------------------------------------------------
  // Connections
  // -------------------------------------------------------------------------------------------

  test("relation loads run on the instance's connection", async () => {
    await connect(await backend.freshUrl(), { name: "a", default: true, autoMigrate: true })
    await connect(await backend.freshUrl(), { name: "b", autoMigrate: true })
    // Same keys, different data on each database.
    const adaA = await Author.create({ name: "Ada on a", email: "ada@x" })
    await Post.create({ title: "a-post-1", author: adaA })
    await Post.create({ title: "a-post-2", author: adaA })
    const adaB = await Author.using("b").create({ name: "Ada on b", email: "ada@x" })
    const pb = await Post.using("b").create({ title: "b-post-1", authorId: adaB.id })
    expect(adaA.id).toBe(adaB.id)
    expect(adaA).not.toBe(adaB)
    const tagB = await Tag.using("b").create({ name: "only-on-b" })
    await pb.tags.add(tagB)
    expect(await countRows("rl_posts_tags", "a")).toBe(0)
    expect(await countRows("rl_posts_tags", "b")).toBe(1)

    evictInstance(Author, adaB.id, { using: "b" })
    evictInstance(Post, pb.id, { using: "b" })
    const post = await Post.using("b").get(pb.id)
    expect(post.title).toBe("b-post-1")
    const [author, n] = await counted(async () => post.author, "b")
    expect(n).toBe(1)
    expect(author.name).toBe("Ada on b")
    expect(await author.posts.count()).toBe(1)
    expect((await author.posts.all()).map((p) => p.title)).toEqual(["b-post-1"])
    expect((await post.tags.all()).map((t) => t.name)).toEqual(["only-on-b"])
    // The default connection's post still sees its own author.
    const postA = await Post.get(pb.id)
    expect((await postA.author).name).toBe("Ada on a")
    expect(await adaA.posts.count()).toBe(2)
    // Eager loading through using() reads b as well.
    const [eager] = await Post.using("b").select().with("author", "tags").all()
    expect((await eager!.author).name).toBe("Ada on b")
    expect((await eager!.tags.all()).map((t) => t.name)).toEqual(["only-on-b"])
    const [eagerA] = await Post.select().with("author", "tags").orderBy((p) => p.id).all()
    expect((await eagerA!.author).name).toBe("Ada on a")
    expect(await eagerA!.tags.all()).toEqual([])
  })

  // -------------------------------------------------------------------------------------------
  // Self-referential trees
  // -------------------------------------------------------------------------------------------

  test("self-referential tree: parents, children, grandchildren, eager children.children", async () => {
    await open(backend)
    const root = await Node.create({ name: "root" })
    const c1 = await Node.create({ name: "c1", parent: root })
    const c2 = await Node.create({ name: "c2", parentId: root.id })
    const g11 = await Node.create({ name: "g11", parent: c1 })
    const g12 = await Node.create({ name: "g12", parent: c1 })
    const g21 = await Node.create({ name: "g21", parent: c2 })
    const other = await Node.create({ name: "other" })
    await Node.create({ name: "other-child", parent: other })

    expect(root.parentId).toBe(null)
    expect(await root.parent).toBe(null)
    expect(await c1.parent).toBe(root)
    expect(await g21.parent).toBe(c2)
    expect(await (await g12.parent)!.parent).toBe(root)
    expect((await root.children.orderBy((n) => n.name).all()).map((n) => n.name)).toEqual(["c1", "c2"])
    expect((await c1.children.orderBy((n) => n.name).all()).map((n) => n.name)).toEqual(["g11", "g12"])
    expect(await g11.children.count()).toBe(0)
    expect(await Node.where((n) => n.parentId.isNull()).count()).toBe(2)

    // Lazy parent from the database.
    evictInstance(Node, g11.id)
    evictInstance(Node, c1.id)
    const freshLeaf = await Node.get(g11.id)
    const [parent, n] = await counted(async () => freshLeaf.parent)
    expect(n).toBe(1)
    expect(parent!.name).toBe("c1")
    expect(parent!.parentId).toBe(root.id)

    const [roots, k] = await counted(() =>
      Node.where((x) => x.parentId.isNull()).with("children", "children.children").orderBy((x) => x.name).all(),
    )
    expect(k).toBe(3)
    const [tree, m] = await counted(async () => {
      const out: Array<[string, Array<[string, Array<string>]>]> = []
      for (const r of roots) {
        const kids: Array<[string, Array<string>]> = []
        for (const c of await r.children.all()) kids.push([c.name, (await c.children.all()).map((g) => g.name).sort()])
        out.push([r.name, kids.sort((a, b) => a[0].localeCompare(b[0]))])
      }
      return out
    })
    expect(m).toBe(0)
    expect(tree).toEqual([
      ["other", [["other-child", []]]],
      [
        "root",
        [
          ["c1", ["g11", "g12"]],
          ["c2", ["g21"]],
        ],
      ],
    ])
    // Deleting the root cascades down the tree.
    await root.delete()
    expect((await Node.select().orderBy((x) => x.name).all()).map((x) => x.name)).toEqual(["other", "other-child"])
  })
})
