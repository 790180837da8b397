#!/usr/bin/env node
// Pack step (prepack): compiles the addon and places it where install.mjs and the loader
// look first, prebuilds/<platform>-<arch>/ferro_native.node, stripped of debug symbols.
// Published tarballs therefore install without a compiler on that platform.
import { spawnSync } from "node:child_process"
import { copyFileSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { buildFromSource, builtAddon, isBuildCurrent, packageDir } from "./build.mjs"

// A build newer than its sources (the workspace's install made one) is packed as it is.
if (!isBuildCurrent() && !buildFromSource()) {
  console.error("@ferro/sqlite-native: prebuild failed; refusing to pack a package without its binary")
  process.exit(1)
}
const dir = join(packageDir, "prebuilds", `${process.platform}-${process.arch}`)
mkdirSync(dir, { recursive: true })
const target = join(dir, "ferro_native.node")
copyFileSync(builtAddon, target)
spawnSync("strip", ["--strip-unneeded", target], { stdio: "inherit" })
console.log(`@ferro/sqlite-native: prebuilt ${target}`)
