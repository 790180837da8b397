/**
 * SPEC §1, "a dialect is one object": core, query, hydrate, migrate, transactions and
 * ferro-orm receive the `Dialect` object and never branch on a dialect's name. This scans
 * their sources for database-name literals and for comparisons on `dialect.name`; what must
 * name a database is allow-listed below, line by line, with the reason.
 */
import { readFileSync, readdirSync, statSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, test } from "vitest"

const packagesDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const root = join(packagesDir, "..")

/** Packages that must not know which database they talk to. */
const SCANNED = ["core", "query", "hydrate", "migrate", "transactions", "ferro"]

/** A database name as a string literal: `"sqlite"`, `'pg'`, `` `postgres` ``... */
const NAME_LITERAL = /(["'`])(sqlite|sqlite3|postgres|postgresql|pg|mysql|mariadb|mssql)\1/
/** A comparison on a dialect's name, or on a dialect (object) against a string. */
const NAME_COMPARISON =
  /dialect\.name\s*[!=]==|[!=]==\s*[\w.?]*dialect\.name\b|switch\s*\(\s*[\w.?]*dialect\.name\b|dialect\s*[!=]==\s*["'`]|["'`]\s*[!=]==\s*[\w.?]*dialect\b/

/**
 * What must stay, as (file, line pattern) pairs. Every entry must still match something, so the
 * list cannot go stale.
 */
const ALLOWED: ReadonlyArray<{ readonly file: string; readonly line: RegExp; readonly why: string }> = [
  {
    file: "packages/ferro/src/connect.ts",
    line: /^\s*(sqlite|postgres|postgresql|mysql|mariadb): \{ load: \(\) => import\("@ferro\/(sqlite|pg|mysql)"\), driverPackage: "(better-sqlite3|pg|mysql2)" \},$/,
    why: "the scheme -> package table connect() lazily imports the bundled backends from (their drivers are optional peers); the backends themselves register in core's registry",
  },
  {
    file: "packages/migrate/src/drizzle.ts",
    line: /^export type DrizzleDialect = "sqlite" \| "postgres" \| "mysql"$|options: \{ readonly dialect: "(sqlite|postgres|mysql)" \}|dialect !== "sqlite" && dialect !== "postgres" && dialect !== "mysql"|dialect must be "sqlite", "postgres" or "mysql"|if \(dialect === "sqlite"\) \{|\} else if \(dialect === "mysql"\) \{/,
    why: "toDrizzleSchema({ dialect }) is user API that picks drizzle's sqlite-core, pg-core or mysql-core table kind (storage types still come from the Ferro dialect objects)",
  },
  {
    file: "packages/migrate/src/drizzle.ts",
    line: /^\s*dialect: "(sqlite|pg|mysql)"$/,
    why: "drizzle-orm's own table type parameters (SQLiteTableWithColumns<{ dialect: 'sqlite' }>, PgTableWithColumns<{ dialect: 'pg' }>, MySqlTableWithColumns<{ dialect: 'mysql' }>)",
  },
]

const sourceFiles = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return /\.(ts|mts|cts)$/.test(entry) ? [path] : []
  })

/** The source with block comments blanked and comment-only lines dropped (docs may name databases). */
const code = (text: string): Array<string> =>
  text
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, " "))
    .split("\n")
    .map((line) => (/^\s*\/\//.test(line) ? "" : line))

interface Finding {
  readonly file: string
  readonly line: number
  readonly text: string
}

const findings = (file: string, text: string): Array<Finding> =>
  code(text).flatMap((line, i) =>
    NAME_LITERAL.test(line) || NAME_COMPARISON.test(line) ? [{ file, line: i + 1, text: line.trim() }] : [],
  )

const allowed = (finding: Finding) => ALLOWED.some((a) => a.file === finding.file && a.line.test(finding.text))

describe("no dialect branching", () => {
  const all = SCANNED.flatMap((pkg) =>
    sourceFiles(join(packagesDir, pkg, "src")).flatMap((path) =>
      findings(relative(root, path).split("\\").join("/"), readFileSync(path, "utf8")),
    ),
  )

  test("the scan catches what it is meant to catch", () => {
    const caught = (line: string) => findings("x.ts", line).length > 0
    expect(caught(`if (driver.dialect === "sqlite") {}`)).toBe(true)
    expect(caught(`const slot = dialect.name === "postgres" ? 2 : 0`)).toBe(true)
    expect(caught(`switch (driver.dialect.name) {}`)).toBe(true)
    expect(caught(`text += dialect === 'pg' ? "$1" : "?"`)).toBe(true)
    expect(caught(`const key = \`\${dialect.name}:\${bigints}\``)).toBe(false)
    expect(caught(`/** SQLite needs "sqlite" spelled out */`)).toBe(false)
  })

  test("core, query, hydrate, migrate, transactions and ferro-orm never name a database outside the allow-list", () => {
    expect(all.length).toBeGreaterThan(0)
    expect(all.filter((f) => !allowed(f))).toEqual([])
  })

  test("every allow-list entry is still needed", () => {
    for (const entry of ALLOWED) expect(all.some((f) => f.file === entry.file && entry.line.test(f.text)), entry.why).toBe(true)
  })
})
