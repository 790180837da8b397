import { defineProject } from "vitest/config"

/**
 * The docs site in a real browser: builds the site (TypeDoc + VitePress), serves it on a
 * loopback port and drives Debian's Chromium through playwright-core. Building takes about a
 * minute on a loaded 2-core machine, hence the generous hook timeout.
 */
export default defineProject({
  test: {
    name: "@ferro/docs-site",
    include: ["test/site.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
})
