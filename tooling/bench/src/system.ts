/**
 * What the report says about the run: machine, Node, the commit, and the version of every
 * contestant and driver actually loaded (read from the installed packages).
 *
 * @module
 */
import { execFileSync } from "node:child_process"
import { existsSync, readFileSync, realpathSync } from "node:fs"
import { cpus, platform, release } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** tooling/bench (this file is bundled into tooling/bench/dist). */
export const benchDir = fileURLToPath(new URL("..", import.meta.url))
export const repoRoot = join(benchDir, "..", "..")

export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly os: string
  readonly node: string
  readonly commit: string
}

const git = (...args: Array<string>): string | null => {
  try {
    return execFileSync("git", ["--no-optional-locks", ...args], { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
  } catch {
    return null
  }
}

export const machine = (): Machine => {
  const commit = git("rev-parse", "--short", "HEAD")
  const dirty = git("status", "--porcelain", "--untracked-files=no")
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    os: `${platform()} ${release()}`,
    node: process.version,
    commit: commit === null ? "unknown" : `${commit}${dirty ? " (with uncommitted changes)" : ""}`,
  }
}

/** The real directory of `name` as resolved from `fromDir` (pnpm links), or null. */
const packageDir = (fromDir: string, name: string): string | null => {
  const link = join(fromDir, "node_modules", name)
  return existsSync(link) ? realpathSync(link) : null
}

const versionAt = (dir: string | null): string => {
  if (dir === null) return "not installed"
  try {
    return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version?: string }).version ?? "unknown"
  } catch {
    return "unknown"
  }
}

/** A dependency of the package installed in `dir` (a sibling in pnpm's virtual store). */
const dependencyDir = (dir: string | null, packageName: string, dependency: string): string | null => {
  if (dir === null) return null
  const storeNodeModules = packageName.startsWith("@") ? dirname(dirname(dir)) : dirname(dir)
  const candidate = join(storeNodeModules, dependency)
  return existsSync(candidate) ? realpathSync(candidate) : packageDir(dir, dependency)
}

export interface VersionRow {
  readonly contestant: string
  readonly packages: string
  readonly drivers: string
}

export const versions = (): ReadonlyArray<VersionRow> => {
  const v = (name: string) => `${name} ${versionAt(packageDir(benchDir, name))}`
  const driversOf = (name: string): string => {
    const dir = packageDir(benchDir, name)
    return `better-sqlite3 ${versionAt(dependencyDir(dir, name, "better-sqlite3"))}, pg ${versionAt(dependencyDir(dir, name, "pg"))}, mysql2 ${versionAt(dependencyDir(dir, name, "mysql2"))}`
  }
  const ferroSqlite = join(repoRoot, "packages", "sqlite")
  const ferroPg = join(repoRoot, "packages", "pg")
  const ferroMysql = join(repoRoot, "packages", "mysql")
  const prismaSqlite = packageDir(benchDir, "@prisma/adapter-better-sqlite3")
  const prismaPg = packageDir(benchDir, "@prisma/adapter-pg")
  const prismaMariadb = packageDir(benchDir, "@prisma/adapter-mariadb")
  const mikroSqlite = packageDir(benchDir, "@mikro-orm/sqlite")
  const mikroPg = packageDir(benchDir, "@mikro-orm/postgresql")
  const mikroMysql = packageDir(benchDir, "@mikro-orm/mysql")
  return [
    { contestant: "raw", packages: "-", drivers: `${v("better-sqlite3")}, ${v("pg")}, ${v("mysql2")}` },
    {
      contestant: "ferro, ferro-native, ferro-lazy",
      packages: `ferro-orm (workspace, commit ${machine().commit})`,
      drivers: `better-sqlite3 ${versionAt(packageDir(ferroSqlite, "better-sqlite3"))}, pg ${versionAt(packageDir(ferroPg, "pg"))}, mysql2 ${existsSync(ferroMysql) ? versionAt(packageDir(ferroMysql, "mysql2")) : "(no @ferro/mysql in this build)"}`,
    },
    { contestant: "drizzle", packages: v("drizzle-orm"), drivers: driversOf("drizzle-orm") },
    { contestant: "kysely", packages: v("kysely"), drivers: `${v("better-sqlite3")}, ${v("pg")}, ${v("mysql2")} (instances passed in)` },
    { contestant: "typeorm", packages: v("typeorm"), drivers: driversOf("typeorm") },
    {
      contestant: "mikroorm",
      packages: `${v("@mikro-orm/core")}, @mikro-orm/sqlite ${versionAt(mikroSqlite)}, @mikro-orm/postgresql ${versionAt(mikroPg)}, @mikro-orm/mysql ${versionAt(mikroMysql)}`,
      drivers: `better-sqlite3 ${versionAt(dependencyDir(mikroSqlite, "@mikro-orm/sqlite", "better-sqlite3"))}, pg ${versionAt(dependencyDir(mikroPg, "@mikro-orm/postgresql", "pg"))}, mysql2 ${versionAt(dependencyDir(mikroMysql, "@mikro-orm/mysql", "mysql2"))}`,
    },
    {
      contestant: "prisma",
      packages: `${v("@prisma/client")}, ${v("prisma")} (generate only), @prisma/adapter-better-sqlite3 ${versionAt(prismaSqlite)}, @prisma/adapter-pg ${versionAt(prismaPg)}, @prisma/adapter-mariadb ${versionAt(prismaMariadb)}`,
      drivers: `better-sqlite3 ${versionAt(dependencyDir(prismaSqlite, "@prisma/adapter-better-sqlite3", "better-sqlite3"))}, pg ${versionAt(dependencyDir(prismaPg, "@prisma/adapter-pg", "pg"))}, mariadb ${versionAt(dependencyDir(prismaMariadb, "@prisma/adapter-mariadb", "mariadb"))}`,
    },
  ]
}
