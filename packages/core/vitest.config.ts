import { defineProject } from "vitest/config"
import { sourceConditions, testTimeout } from "../../tooling/vitest.shared.ts"

export default defineProject({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    testTimeout,
    include: ["test/**/*.test.ts"],
    // The identity-map test forces garbage collection with global.gc().
    execArgv: ["--expose-gc"],
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
  },
})
