#!/usr/bin/env node
// Builds the native engine (build/Release/ferro_native.node) with node-gyp at install time.
// A failed build is not an install failure: connections asking for the native engine fall
// back to better-sqlite3 and say so once. FERRO_NATIVE_REQUIRED=1 makes a failure fatal.
import { spawnSync } from "node:child_process"
import { existsSync, rmSync, statSync, symlinkSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const here = join(dirname(fileURLToPath(import.meta.url)), "..")
const require = createRequire(import.meta.url)
const env = { ...process.env }
// node-gyp must find Node's headers offline; Debian's nodejs keeps them under /usr/include/node.
if (!env.npm_config_nodedir && existsSync(join(dirname(process.execPath), "..", "include", "node", "node.h"))) {
  env.npm_config_nodedir = join(dirname(process.execPath), "..")
}
const addon = join(here, "build", "Release", "ferro_native.node")
const sources = [join(here, "native", "ferro_native.cc"), join(here, "binding.gyp")]
// pnpm runs this on every install; a build newer than its sources is kept.
const upToDate =
  existsSync(addon) && sources.every((source) => statSync(source).mtimeMs <= statSync(addon).mtimeMs)
if (upToDate && process.env.FERRO_NATIVE_REBUILD !== "1") process.exit(0)
let status = 1
try {
  // binding.gyp reads better-sqlite3's amalgamation and compile options through this link.
  const link = join(here, "native", "better-sqlite3")
  rmSync(link, { force: true, recursive: true })
  symlinkSync(dirname(require.resolve("better-sqlite3/package.json")), link, "dir")
  const nodeGyp = join(dirname(require.resolve("node-gyp/package.json")), "bin", "node-gyp.js")
  const jobs = ["--jobs", "max"]
  status = spawnSync(process.execPath, [nodeGyp, "rebuild", ...jobs], { cwd: here, stdio: "inherit", env }).status ?? 1
} catch (error) {
  console.warn(`@ferro/hydrate: node-gyp is not available (${error instanceof Error ? error.message : String(error)})`)
}
if (status !== 0) {
  console.warn("@ferro/hydrate: the native engine could not be built; engine: \"native\" falls back to better-sqlite3")
  if (process.env.FERRO_NATIVE_REQUIRED === "1") process.exit(status)
}
