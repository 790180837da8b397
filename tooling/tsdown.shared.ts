import { type UserConfig, defineConfig } from "tsdown"

/** How every published package builds: ESM for Node, with .d.mts types and source maps. */
export const packageBuild = (entry: Array<string> = ["src/index.ts"]): UserConfig =>
  defineConfig({ entry, format: "esm", platform: "node", dts: true, sourcemap: true })
