/**
 * The behavioural suite runs once per backend (Kysely-style per-dialect loop). Each test
 * gets a fresh, isolated database. PostgreSQL joins this list when @ferro/pg lands.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, afterEach, describe } from "vitest"
import { resetEngine } from "ferro-orm"

export interface Backend {
  /** Label shown in test names. */
  readonly name: string
  readonly dialect: "sqlite" | "postgres"
  /** A URL for a fresh, empty database. */
  readonly freshUrl: () => string
}

const tempDirs: Array<string> = []

export const backends: ReadonlyArray<Backend> = [
  { name: "sqlite-memory", dialect: "sqlite", freshUrl: () => "sqlite::memory:" },
  {
    name: "sqlite-file",
    dialect: "sqlite",
    freshUrl: () => {
      const dir = mkdtempSync(join(tmpdir(), "ferro-test-"))
      tempDirs.push(dir)
      return `sqlite:${join(dir, "test.db")}`
    },
  },
]

/** Runs `suite` once per backend; connections are reset after each test. */
export const describeEachBackend = (title: string, suite: (backend: Backend) => void): void => {
  for (const backend of backends) {
    describe(`${title} [${backend.name}]`, () => {
      afterEach(async () => {
        await resetEngine()
      })
      suite(backend)
    })
  }
}

afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
