// Compiles the addon from source with node-gyp into build/Release/ferro_native.node, against
// the SQLite amalgamation (and compile options) of the installed better-sqlite3.
// Used by install.mjs when no prebuild fits, and by prebuild.mjs at pack time.
import { spawnSync } from "node:child_process"
import { existsSync, rmSync, statSync, symlinkSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..")
export const builtAddon = join(packageDir, "build", "Release", "ferro_native.node")
const require = createRequire(import.meta.url)

/** Whether build/Release holds an addon newer than its sources. */
export const isBuildCurrent = () => {
  const sources = [join(packageDir, "native", "ferro_native.cc"), join(packageDir, "binding.gyp")]
  return existsSync(builtAddon) && sources.every((source) => statSync(source).mtimeMs <= statSync(builtAddon).mtimeMs)
}

/** node-gyp: npm hands its own to install scripts; otherwise an installed one. */
const findNodeGyp = () => {
  const fromNpm = process.env.npm_config_node_gyp
  if (fromNpm && existsSync(fromNpm)) return fromNpm
  try {
    return join(dirname(require.resolve("node-gyp/package.json")), "bin", "node-gyp.js")
  } catch {
    return undefined
  }
}

/** Builds the addon; returns whether it succeeded. Never throws. */
export const buildFromSource = () => {
  const env = { ...process.env }
  // node-gyp must find the running Node's headers offline (<prefix>/include/node).
  const prefix = join(dirname(process.execPath), "..")
  if (existsSync(join(prefix, "include", "node", "node.h"))) env.npm_config_nodedir = prefix
  const nodeGyp = findNodeGyp()
  if (nodeGyp === undefined) {
    console.warn("@ferro/sqlite-native: node-gyp is not available, the addon cannot be compiled")
    return false
  }
  try {
    // binding.gyp reads better-sqlite3's amalgamation and compile options through this link.
    const link = join(packageDir, "native", "better-sqlite3")
    rmSync(link, { force: true, recursive: true })
    symlinkSync(dirname(require.resolve("better-sqlite3/package.json")), link, "dir")
  } catch (error) {
    console.warn(`@ferro/sqlite-native: better-sqlite3 is not installed (${error instanceof Error ? error.message : String(error)})`)
    return false
  }
  const result = spawnSync(process.execPath, [nodeGyp, "rebuild", "--jobs", "max"], { cwd: packageDir, stdio: "inherit", env })
  return result.status === 0 && existsSync(builtAddon)
}
