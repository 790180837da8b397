import { defineProject } from "vitest/config"
import { sourceConditions } from "../../tooling/vitest.shared.ts"

export default defineProject({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  // The browser test of the built site is its own project (vitest.site.config.ts).
  test: { name: "@ferro/docs", include: ["test/**/*.test.ts"], exclude: ["test/site.test.ts"], testTimeout: 60_000 },
})
