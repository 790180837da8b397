/**
 * The models of the drizzle-kit bridge's parity tests (drizzle.test.ts, drizzle-mysql.test.ts):
 * every field kind, every relation shape, a table cycle, composite and long names.
 */
import { Model, type ModelClass, field } from "ferro-orm"

export class Person extends Model(
  "dz_people",
  {
    id: field.id(),
    name: field.text({ maxLength: 80 }),
    email: field.text({ unique: true }),
    nickname: field.text({ nullable: true, index: true }),
    age: field.int({ nullable: true }),
    followers: field.bigint({ default: 0n }),
    score: field.float({ default: 0 }),
    balance: field.decimal({ precision: 12, scale: 2, default: "0.00" }),
    ratio: field.decimal({ nullable: true }),
    active: field.bool({ default: true }),
    joinedAt: field.datetime({ defaultNow: true }),
    birthday: field.date({ nullable: true }),
    wakesAt: field.time({ nullable: true }),
    token: field.uuid({ defaultRandom: true, unique: true }),
    avatar: field.bytes({ nullable: true }),
    settings: field.json({ nullable: true }),
    role: field.enum(["admin", "editor", "viewer"], { default: "viewer" }),
    mood: field.enum(["it's fine", "great"], { nullable: true }),
    level: field.int({ dbType: { postgres: "smallint" }, default: 1 }),
    legacy: field.text({ dbType: { sqlite: "varchar", postgres: "char(3)" }, nullable: true }),
    manager: field.foreignKey((): ModelClass<Person> => Person, { onDelete: "set null", relatedName: "reports" }),
    reports: field.backRef((): ModelClass<Person> => Person),
    friends: field.manyToMany((): ModelClass<Person> => Person),
    team: field.foreignKey((): ModelClass<Team> => Team, { nullable: true, onDelete: "restrict", relatedName: "members" }),
    leads: field.backRef((): ModelClass<Team> => Team, { one: true }),
    badge: field.backRef((): ModelClass<Badge> => Badge, { one: true }),
  },
  { compositeIndexes: [["name", "joinedAt"]], compositeUniques: [["name", "nickname"]] },
) {}

export class Team extends Model("dz_teams", {
  id: field.id(),
  title: field.text(),
  members: field.backRef((): ModelClass<Person> => Person),
  // A cycle between tables: teams -> people -> teams.
  lead: field.foreignKey((): ModelClass<Person> => Person, { nullable: true, onDelete: "no action", unique: true, relatedName: "leads" }),
}) {}

export class Badge extends Model("dz_badges", {
  code: field.uuid({ primaryKey: true }),
  label: field.text(),
  owner: field.foreignKey((): ModelClass<Person> => Person, { unique: true, relatedName: "badge" }),
}) {}

export class LongNamed extends Model("dz_a_table_name_long_enough_that_derived_names_overflow_63b", {
  id: field.id(),
  aColumnNameThatIsAlsoRatherLongForAnEnumCheck: field.enum(["x", "y"]),
  someOtherFairlyLongColumnName: field.text({ unique: true }),
  owner: field.foreignKey((): ModelClass<Person> => Person, { nullable: true, onDelete: "set null" }),
}) {}

export class Ledger extends Model("dz_ledgers", {
  id: field.id({ dbType: { postgres: "bigint" } }),
  amount: field.decimal({ precision: 10, scale: 0 }),
}) {}

