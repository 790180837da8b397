import { defineConfig } from "tsdown"

export default defineConfig({
  entry: ["src/main.ts"],
  format: "esm",
  platform: "node",
  dts: false,
  external: [/^ferro-orm/, /^effect/, /^@effect\//],
})
