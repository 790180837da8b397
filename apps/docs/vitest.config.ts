import { defineProject } from "vitest/config"
import { sourceConditions } from "../../tooling/vitest.shared.ts"

export default defineProject({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  // The browser test of the built site is its own project (vitest.site.config.ts).
  test: {
    name: "@ferro/docs",
    include: ["test/**/*.test.ts"],
    exclude: ["test/site.test.ts"],
    // The samples run on PostgreSQL and MariaDB too; `npm test` passes its servers in.
    globalSetup: ["../../tooling/testing/postgres-setup.ts", "../../tooling/testing/mariadb-setup.ts"],
    testTimeout: 120_000,
    // Each sample is a tsx process; a few at a time keep two cores busy without thrashing.
    maxConcurrency: 4,
  },
})
