import { defineProject } from "vitest/config"

// Each test generates a small schema and runs the TypeScript compiler on it (seconds, not
// milliseconds, on a loaded machine). Nothing here measures time.
export default defineProject({
  test: { include: ["test/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 },
})
