/**
 * Vitest global setup: provides `mysqlUrl` to tests. `npm test` starts one MariaDB server for
 * the whole run and passes it in FERRO_TEST_MYSQL_URL; running vitest directly starts (and
 * afterwards stops) one here.
 */
import type { TestProject } from "vitest/node"
// @ts-expect-error plain ESM helper shared with the dev script
import { startMariadb } from "./mariadb.mjs"

declare module "vitest" {
  export interface ProvidedContext {
    mysqlUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const given = process.env.FERRO_TEST_MYSQL_URL
  if (given) {
    project.provide("mysqlUrl", given)
    return () => {}
  }
  const server = (await startMariadb()) as { url: string; stop: () => void }
  project.provide("mysqlUrl", server.url)
  return () => server.stop()
}
