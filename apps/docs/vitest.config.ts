import { defineProject } from "vitest/config"
import { sourceConditions } from "../../tooling/vitest.shared.ts"

export default defineProject({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: { include: ["test/**/*.test.ts"], testTimeout: 60_000 },
})
