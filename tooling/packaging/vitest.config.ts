import { defineProject } from "vitest/config"

// Packing, installing from the registry and type-checking take minutes, not seconds.
export default defineProject({
  test: {
    include: ["test/**/*.test.ts"],
    // The MySQL app from the tarballs runs against the test MariaDB (`mysqlUrl`).
    globalSetup: ["../testing/mariadb-setup.ts"],
    testTimeout: 600_000,
    hookTimeout: 900_000,
  },
})
