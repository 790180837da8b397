/**
 * Loading the native engine: the C++ addon. The published package carries a prebuilt binary
 * (`prebuilds/<platform>-<arch>/ferro_native.node`, made at pack time); where none fits, the
 * install step compiles `build/Release/ferro_native.node` with node-gyp.
 *
 * @module
 */
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import type { NativeBinding, NativeEngine } from "@ferro/core/internal"

let loaded: NativeEngine | undefined

const packageRoot = (): string => {
  // src/native.ts in the workspace, dist/index.mjs once built: the package root is one up.
  const here = dirname(fileURLToPath(import.meta.url))
  return join(here, "..")
}

/**
 * Loads the native engine once per process. Never throws: when the addon was not built (no
 * compiler at install time) or does not load, the result says why.
 */
export const loadNativeEngine = (): NativeEngine => {
  if (loaded !== undefined) return loaded
  const candidates =
    process.env.FERRO_NATIVE_ADDON !== undefined
      ? [process.env.FERRO_NATIVE_ADDON]
      : [
          join(packageRoot(), "prebuilds", `${process.platform}-${process.arch}`, "ferro_native.node"),
          join(packageRoot(), "build", "Release", "ferro_native.node"),
        ]
  const path = candidates.find((candidate) => existsSync(candidate)) ?? candidates[candidates.length - 1]!
  if (process.env.FERRO_NATIVE_DISABLE === "1") {
    loaded = { available: false, reason: "FERRO_NATIVE_DISABLE=1 is set" }
  } else if (!existsSync(path)) {
    loaded = { available: false, reason: `the addon was not built (no prebuild for ${process.platform}-${process.arch} and ${path} is missing; reinstall @ferro/sqlite-native with a C++ toolchain to build it)` }
  } else {
    try {
      const binding = createRequire(import.meta.url)(path) as NativeBinding
      loaded = { available: true, binding, path }
    } catch (error) {
      loaded = { available: false, reason: `the addon did not load: ${error instanceof Error ? error.message : String(error)}` }
    }
  }
  return loaded
}
