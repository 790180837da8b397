import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    projects: [
      "packages/*/vitest.config.ts",
      "apps/docs/vitest.config.ts",
      "apps/docs/vitest.site.config.ts",
      "tooling/packaging/vitest.config.ts",
      "tooling/typebench/vitest.config.ts",
      "apps/examples/blog-api/vitest.config.ts",
      "apps/examples/effect-service/vitest.config.ts",
    ],
    testTimeout: 30_000,
  },
})
