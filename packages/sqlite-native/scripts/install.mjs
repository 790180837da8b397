#!/usr/bin/env node
// Install step. The published package carries a prebuilt N-API binary (made by prebuild.mjs
// at pack time; N-API is ABI-stable, so one binary serves Node 22, 24 and 26): when it
// loads, nothing is compiled. Elsewhere (another platform, a workspace checkout) the addon is
// compiled with node-gyp. A failed build is a warning, not an install failure: connections
// asking for the native engine fall back to better-sqlite3 and say so once.
// FERRO_NATIVE_REQUIRED=1 makes a failure fatal; FERRO_NATIVE_REBUILD=1 always compiles;
// FERRO_NATIVE_SKIP_BUILD=1 compiles nothing.
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import { buildFromSource, builtAddon, isBuildCurrent, packageDir } from "./build.mjs"

// The workspace's `npm run demo` never uses the native engine and skips its compile.
if (process.env.FERRO_NATIVE_SKIP_BUILD === "1") process.exit(0)
const require = createRequire(import.meta.url)
const loads = (path) => {
  try {
    require(path)
    return true
  } catch {
    return false
  }
}

const prebuild = join(packageDir, "prebuilds", `${process.platform}-${process.arch}`, "ferro_native.node")
const rebuild = process.env.FERRO_NATIVE_REBUILD === "1"
if (!rebuild && existsSync(prebuild) && loads(prebuild)) process.exit(0)
// pnpm runs this on every workspace install; a build newer than its sources is kept.
if (!rebuild && isBuildCurrent() && loads(builtAddon)) process.exit(0)
if (!buildFromSource()) {
  console.warn('@ferro/sqlite-native: the native engine could not be built; engine: "native" falls back to better-sqlite3')
  if (process.env.FERRO_NATIVE_REQUIRED === "1") process.exit(1)
}
