import { defineConfig } from "tsdown"

// Two entry points: the parent (seeds, spawns one child per contestant, reports) and the child
// (runs one contestant). Contestants are dynamic imports, so a child loads only its own ORM.
export default defineConfig({
  entry: ["src/main.ts", "src/child.ts"],
  format: "esm",
  platform: "node",
  dts: false,
  sourcemap: true,
})
