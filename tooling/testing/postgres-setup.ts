/**
 * Vitest global setup: provides `postgresUrl` to tests. `npm test` starts one server for the
 * whole run and passes it in FERRO_TEST_POSTGRES_URL; running vitest directly starts (and
 * afterwards stops) one here.
 */
import type { TestProject } from "vitest/node"
// @ts-expect-error plain ESM helper shared with the dev script
import { startPostgres } from "./postgres.mjs"

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const given = process.env.FERRO_TEST_POSTGRES_URL
  if (given) {
    project.provide("postgresUrl", given)
    return () => {}
  }
  const server = (await startPostgres()) as { url: string; stop: () => void }
  project.provide("postgresUrl", server.url)
  return () => server.stop()
}
