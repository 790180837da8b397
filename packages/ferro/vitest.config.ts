import { defineProject } from "vitest/config"
import { sourceConditions, testTimeout } from "../../tooling/vitest.shared.ts"

export default defineProject({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    globalSetup: ["../../tooling/testing/postgres-setup.ts", "../../tooling/testing/mariadb-setup.ts"],
    testTimeout,
    include: ["test/**/*.test.ts"], typecheck: { enabled: true, include: ["test/**/*.test-d.ts"], tsconfig: "./tsconfig.json" } },
})
