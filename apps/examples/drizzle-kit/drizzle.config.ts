import { defineConfig } from "drizzle-kit"

/**
 * drizzle-kit reads the tables `src/schema.ts` builds from the Ferro models. `out` and the
 * dialect can be overridden (the example's script writes into a temporary directory).
 */
export default defineConfig({
  dialect: process.env.FERRO_DRIZZLE_DIALECT === "postgres" ? "postgresql" : "sqlite",
  schema: "./src/schema.ts",
  out: process.env.DRIZZLE_OUT ?? "./drizzle",
})
