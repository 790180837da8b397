/**
 * Reliability: secrets (issue 12 item 6, SPEC §2 "Errors", §5). Connection passwords
 * (including ones holding `@`, `:`, `%40`, `/` and Unicode) and bound values never appear in
 * what Ferro builds for an error: its `message`, `String(err)`, `stack`, `JSON.stringify(err)`,
 * nor in the same texts of any FerroError in its `cause` chain. (A driver's own error object
 * at the end of the chain is the driver's and is not inspected.)
 */
import { afterEach, expect, test } from "vitest"
import {
  FerroError,
  Model,
  connect,
  execute,
  fetchAll,
  field,
  resetEngine,
  sql,
} from "ferro-orm"
import { describeEachBackend, freshPostgresUrl, postgresUrl } from "../support/backends.js"

const SECRET = "sk_live_Bound9f8e7d"
const PASSWORDS = [
  "S3cr3t@host:5432",
  "p:a:s:s:w0rd",
  "pa%40ss-literal",
  "ünï©ødé-密码-🔑",
  "p@ss/w?rd#frag",
  "sp ace&and=eq",
  "PLAIN-Secret-7",
]

class Person extends Model("rel_sec_people", {
  id: field.id(),
  email: field.text({ unique: true }),
  name: field.text(),
  status: field.enum(["active", "banned"], { default: "active" }),
  code: field.text({ maxLength: 5, nullable: true }),
}) {}

class Code extends Model("rel_sec_codes", { code: field.text({ primaryKey: true }), label: field.text() }) {}

interface Tally {
  tried: number
  held: number
  failures: Array<string>
}

/** Every text Ferro builds for `error`: message, String(), stack, JSON, for each FerroError in the cause chain. */
const texts = (error: unknown): Array<string> => {
  const out: Array<string> = []
  let current: unknown = error
  for (let depth = 0; current instanceof Error && depth < 10; depth++) {
    if (depth > 0 && !(current instanceof FerroError)) break
    out.push(current.message, String(current), current.stack ?? "")
    try {
      out.push(JSON.stringify(current) ?? "")
    } catch (e) {
      out.push(`JSON.stringify threw ${String(e)}`)
    }
    current = current.cause
  }
  return out
}

/** The forms a secret can take in a URL or a message. */
const forms = (secret: string): Array<string> => [...new Set([secret, encodeURIComponent(secret), encodeURI(secret)])]

const check = async (t: Tally, what: string, secrets: ReadonlyArray<string>, fn: () => Promise<unknown>): Promise<void> => {
  t.tried++
  // Promise.resolve().then: a synchronous throw (a where() callback) counts as the error too.
  const error = await Promise.resolve().then(fn).then(
    () => null,
    (e: unknown) => e,
  )
  if (!(error instanceof FerroError)) {
    t.failures.push(`${what}: expected a FerroError, got ${String(error)}`)
    return
  }
  const leaked = texts(error).flatMap((text) => secrets.flatMap(forms).filter((s) => text.includes(s)))
  if (leaked.length > 0) t.failures.push(`${what}: ${error._tag} shows ${JSON.stringify([...new Set(leaked)])} in ${JSON.stringify(texts(error)[0])}`)
  else t.held++
}

const report = (area: string, t: Tally): void => {
  console.log(`reliability ${area}: tried ${t.tried}, held ${t.held}, failed ${t.failures.length}`)
  expect(t.failures).toEqual([])
}

describeEachBackend("reliability: secrets in errors", (backend) => {
  test("bound values never appear in constraint, validation or query errors", async () => {
    const t: Tally = { tried: 0, held: 0, failures: [] }
    await connect(await backend.freshUrl(), { autoMigrate: true })
    await execute("CREATE TABLE rel_sec_parent (id integer PRIMARY KEY)")
    await execute("CREATE TABLE rel_sec_child (id integer PRIMARY KEY, note text, parent_id integer REFERENCES rel_sec_parent(id))")
    await Person.create({ email: SECRET, name: "first" })
    await Code.create({ code: SECRET, label: "one" })
    const other = await Person.create({ email: "other@x", name: "b" })

    await check(t, "unique violation (create)", [SECRET], () => Person.create({ email: SECRET, name: "second" }))
    await check(t, "unique violation (text primary key)", [SECRET], () => Code.create({ code: SECRET, label: "two" }))
    await check(t, "unique violation (save)", [SECRET], async () => {
      other.email = SECRET
      try {
        await other.save()
      } finally {
        await other.refresh()
      }
    })
    await check(t, "unique violation (query update)", [SECRET], () => Person.where((p) => p.id.eq(other.id)).update({ email: SECRET }))
    await check(t, "unique violation (raw)", [SECRET], () =>
      execute(sql`INSERT INTO rel_sec_people (email, name, status) VALUES (${SECRET}, ${"n"}, 'active')`),
    )
    await check(t, "check violation", [SECRET], () =>
      execute(sql`INSERT INTO rel_sec_people (email, name, status) VALUES (${"c@x"}, ${"n"}, ${SECRET})`),
    )
    await check(t, "not-null violation", [SECRET], () =>
      execute(sql`INSERT INTO rel_sec_people (email, name, status) VALUES (${SECRET + "-nn"}, ${null}, 'active')`),
    )
    await check(t, "foreign key violation", [SECRET, "987654321"], () =>
      execute(sql`INSERT INTO rel_sec_child (id, note, parent_id) VALUES (${1}, ${SECRET}, ${987654321})`),
    )
    await check(t, "validation error (maxLength)", [SECRET], () => Person.create({ email: "v@x", name: "n", code: SECRET }))
    await check(t, "validation error (wrong type)", [SECRET], () => Person.create({ email: "v@x", name: { SECRET } as never }))
    await check(t, "validation error (where)", [SECRET], () => Person.where((p) => p.status.eq(SECRET as never)).all())
    await check(t, "model does not exist (text key)", [SECRET + "-x"], () => Code.get(SECRET + "-x"))
    await check(t, "query error (missing table)", [SECRET], () => fetchAll(sql`SELECT * FROM rel_sec_missing WHERE x = ${SECRET}`))
    await check(t, "query error (bad parameter)", [SECRET], () => fetchAll(sql`SELECT * FROM rel_sec_people WHERE id = ${Symbol(SECRET)}`))
    if (backend.dialect === "postgres") {
      await check(t, "query error (cast)", [SECRET], () => fetchAll(sql`SELECT ${SECRET}::int AS n`))
    }
    report(`secrets bound values [${backend.name}]`, t)
  })
})

const hasPostgres = postgresUrl() !== undefined

afterEach(async () => {
  await resetEngine()
})

test.runIf(hasPostgres)("passwords never appear in connection errors; bound values never in timeouts", async () => {
  const t: Tally = { tried: 0, held: 0, failures: [] }
  const server = new URL(postgresUrl())
  const right = decodeURIComponent(server.password)
  for (const password of PASSWORDS) {
    const wrong = new URL(postgresUrl())
    wrong.password = encodeURIComponent(password)
    await check(t, `wrong password ${JSON.stringify(password)}`, [password, right], () => connect(wrong.toString(), { name: "w" }))
    const at = `postgres://someone:${encodeURIComponent(password)}@127.0.0.1:1/db`
    await check(t, `unreachable host ${JSON.stringify(password)}`, [password], () => connect(at, { name: "w" }))
    const bad: ReadonlyArray<string> = [
      `postgres://someone:${password}@127.0.0.1:notaport/db`,
      `postgres://someone:${password}@[::1/db`,
      `postgres://someone:${password}@127.0.0.1:1/db`,
      `postgresql://someone:${encodeURIComponent(password)}@127.0.0.1:99999/db`,
      `postgres:someone:${password}@127.0.0.1/db`,
      `mysql://someone:${password}@127.0.0.1/db`,
      `postgres://someone@127.0.0.1:1/db?password=${encodeURIComponent(password)}`,
      `postgres://127.0.0.1:1/db?sslpassword=${encodeURIComponent(password)}&user=x`,
    ]
    for (const url of bad) {
      await check(t, `bad URL ${JSON.stringify(url)}`, [password], () => connect(url, { name: "w" }))
    }
  }
  // Timeouts: the statement's bound value stays out.
  await connect(await freshPostgresUrl(), { name: "slow", statementTimeout: 50 })
  await check(t, "statement timeout", [SECRET], () => fetchAll(sql`SELECT pg_sleep(30), ${SECRET}::text AS s`, [], { using: "slow" }))
  report("secrets passwords and timeouts", t)
})
