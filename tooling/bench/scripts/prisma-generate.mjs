#!/usr/bin/env node
// Generates the Prisma clients the bench's Prisma contestant imports (generated/prisma/<backend>).
//
// Prisma 7's client runs on driver adapters (better-sqlite3, pg, mariadb) with its WASM query compiler:
// nothing outside the npm registry. Its CLI, though, wants to download the schema engine binary
// before any command, and `generate` does not use it. PRISMA_SCHEMA_ENGINE_BINARY pointing at a
// stub skips the download; the stub fails loudly should anything ever run it.
import { spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const bench = join(dirname(fileURLToPath(import.meta.url)), "..")
const prismaBin = join(bench, "node_modules", ".bin", "prisma")
const schemas = ["sqlite", "postgres", "mysql"]

/** Skip when every client is newer than its schema (turbo also caches the build). */
const upToDate = schemas.every((name) => {
  const client = join(bench, "generated", "prisma", name, "client.ts")
  return existsSync(client) && statSync(client).mtimeMs >= statSync(join(bench, "prisma", `${name}.prisma`)).mtimeMs
})
if (upToDate && !process.argv.includes("--force")) process.exit(0)

const stubDir = mkdtempSync(join(tmpdir(), "ferro-bench-prisma-"))
const stub = join(stubDir, "schema-engine")
writeFileSync(stub, "#!/bin/sh\necho 'the Prisma schema engine is not installed (tooling/bench generates clients only)' >&2\nexit 1\n")
chmodSync(stub, 0o755)
try {
  for (const name of schemas) {
    const result = spawnSync(prismaBin, ["generate", "--schema", join(bench, "prisma", `${name}.prisma`)], {
      cwd: bench,
      encoding: "utf8",
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: stub,
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
        CHECKPOINT_DISABLE: "1",
      },
    })
    if (result.status !== 0) {
      process.stderr.write(result.stdout + result.stderr)
      console.error(`prisma generate (${name}) failed with status ${result.status}`)
      process.exit(1)
    }
  }
} finally {
  rmSync(stubDir, { recursive: true, force: true })
}
