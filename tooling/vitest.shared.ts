/** Resolve workspace packages to their TypeScript sources so tests need no build step. */
export const sourceConditions = ["@ferro/source", "node"]

/**
 * Default test timeout. Vitest 5 no longer hands the root config's `testTimeout` to projects
 * referenced as config files, so each project sets it (the slowest tests run drizzle-kit and
 * PostgreSQL).
 */
export const testTimeout = 30_000
