/**
 * What a user gets from npm: every public package packed as it would be published, installed
 * into fresh projects outside the workspace (npm, and pnpm with its default settings), the
 * README's blocks type-checked under `nodenext` and `bundler` (strict, skipLibCheck off) and
 * run there with Node's type stripping; and the example servers (blog-api, effect-service)
 * copied out of the workspace, installed from the tarballs and called over HTTP.
 */
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer, type AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest"
import * as Pack from "../pack.mjs"

declare module "vitest" {
  export interface ProvidedContext {
    mysqlUrl: string
  }
}

const work = mkdtempSync(join(tmpdir(), "ferro-packaging-"))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const readme = readFileSync(join(Pack.root, "README.md"), "utf8")
/** The README's ```ts blocks written for npm users (before the contributors' section). */
const readmeBlocks: Array<string> = [...readme.slice(0, readme.indexOf("## Working on Ferro")).matchAll(/```ts\n([\s\S]*?)```/g)].map(
  (m) => m[1]!,
)

const effectRange = "^4.1.0"
const typesNode = "^24.0.0"
const typescript = "5.9.3"
let tarballs: Record<string, string> = {}

const tsconfig = (module: "nodenext" | "bundler") => ({
  compilerOptions: {
    module: module === "nodenext" ? "nodenext" : "esnext",
    moduleResolution: module,
    target: "es2022",
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    erasableSyntaxOnly: true,
    types: ["node"],
  },
  include: ["*.ts"],
})

const ok = (result: { status: number; output: string }) => {
  if (result.status !== 0) throw new Error(result.output.slice(-4000))
  return result.output
}

beforeAll(() => {
  tarballs = Pack.packAll(join(work, "tarballs"))
})

describe("published tarballs", () => {
  test("each carries its LICENSE, README and metadata, and no build leftovers", () => {
    for (const [name, tarball] of Object.entries(tarballs)) {
      const files: Array<string> = Pack.tarballFiles(tarball)
      expect(files, name).toContain("LICENSE")
      expect(files, name).toContain("README.md")
      expect(files.filter((f) => /^build\/|native\/better-sqlite3|\.o$|\.a$|node_modules\//.test(f)), name).toEqual([])
      const manifest = JSON.parse(Pack.run("tar", ["xzOf", tarball, "package/package.json"], work).output)
      expect(manifest.repository?.url, name).toMatch(/^git\+https:/)
      expect(manifest.homepage, name).toMatch(/^https:/)
      expect(manifest.bugs?.url, name).toMatch(/^https:/)
      expect(manifest.engines?.node, name).toBe(">=22.12")
      expect(JSON.stringify(manifest), name).not.toContain("workspace:")
      // effect, drivers and drizzle are the user's: never plain dependencies.
      for (const peer of ["effect", "better-sqlite3", "pg", "mysql2", "drizzle-orm", "node-gyp", "@effect/sql"]) {
        expect(Object.keys(manifest.dependencies ?? {}), `${name} depends on ${peer}`).not.toContain(peer)
      }
    }
    // Only the native engine package ships a binary, prebuilt for this platform.
    expect(Pack.tarballFiles(tarballs["@ferro/sqlite-native"]!)).toContain(`prebuilds/${process.platform}-${process.arch}/ferro_native.node`)
    for (const [name, tarball] of Object.entries(tarballs)) {
      if (name !== "@ferro/sqlite-native") expect((Pack.tarballFiles(tarball) as Array<string>).filter((f) => f.endsWith(".node") || f.endsWith(".gyp")), name).toEqual([])
    }
  })
})

describe("npm i ferro-orm better-sqlite3 effect", () => {
  const dir = join(work, "npm-project")
  let install = { status: 1, output: "", ms: 0 }
  beforeAll(() => {
    Pack.writeProject(dir, {
      tarballs,
      packages: ["ferro-orm"],
      registry: { "better-sqlite3": "^13.2.0", effect: effectRange },
      devRegistry: { typescript, "@types/node": typesNode },
    })
    install = Pack.npmInstall(dir)
  })

  test("installs without compiling anything", () => {
    ok(install)
    expect(Pack.compileSteps(install.output)).toEqual([])
  })

  test("pulls no PostgreSQL, MySQL, drizzle or build tooling into a SQLite app, and one Effect", () => {
    const tree = ok(Pack.run("npm", ["ls", "--all", "--parseable"], dir))
    for (const absent of ["/node_modules/pg", "/node_modules/mysql2", "/node_modules/drizzle-orm", "/node_modules/node-gyp", "/node_modules/@effect/sql", "@ferro/sqlite-native"]) {
      expect(tree.split("\n").filter((line: string) => line.endsWith(absent) || line.includes(`${absent}/`)), absent).toEqual([])
    }
    const effects = tree.split("\n").filter((line: string) => /\/node_modules\/effect$/.test(line))
    expect(effects).toHaveLength(1)
  })

  test("the README's blocks each type-check under nodenext and bundler, strict, skipLibCheck off", () => {
    expect(readmeBlocks.length).toBeGreaterThanOrEqual(2)
    readmeBlocks.forEach((code, i) => writeFileSync(join(dir, `readme-${i + 1}.ts`), code))
    for (const module of ["nodenext", "bundler"] as const) {
      writeFileSync(join(dir, `tsconfig.${module}.json`), JSON.stringify(tsconfig(module), null, 2))
      const result = Pack.run(join(dir, "node_modules", ".bin", "tsc"), ["-p", `tsconfig.${module}.json`], dir)
      expect(result.output, module).toBe("")
      expect(result.status, module).toBe(0)
    }
  })

  test("the README's quickstart runs with `node app.ts`, and runs again on its own data", () => {
    writeFileSync(join(dir, "app.ts"), readmeBlocks[0]!)
    const first = ok(Pack.run(process.execPath, ["app.ts"], dir))
    expect(first).toContain("Ada has 1 posts; 1 popular; 1 in all; same object: true")
    const second = ok(Pack.run(process.execPath, ["app.ts"], dir))
    expect(second).toContain("Ada has 2 posts; 2 popular; 2 in all; same object: true")
  })

  test("every other README block runs on its own", () => {
    // What each block after the quickstart prints (transactions, sessions).
    const prints = ["70 30 6", "true\n80\n200"]
    expect(readmeBlocks.slice(1)).toHaveLength(prints.length)
    readmeBlocks.slice(1).forEach((code, i) => {
      const file = `block-${i + 2}.ts`
      writeFileSync(join(dir, file), code)
      expect(ok(Pack.run(process.execPath, [file], dir)), file).toContain(prints[i])
    })
  })

  test("a PostgreSQL URL without pg installed says which package to install", () => {
    writeFileSync(
      join(dir, "no-pg.ts"),
      `import { connect, ConnectionError } from "ferro-orm"
try { await connect("postgres://app:s3cret@127.0.0.1:1/app") } catch (error) {
  console.log(error instanceof ConnectionError, (error as Error).message)
}
`,
    )
    const output = ok(Pack.run(process.execPath, ["no-pg.ts"], dir))
    expect(output).toContain("true")
    expect(output).toContain("npm i pg")
    expect(output).not.toContain("s3cret")
  })

  test("a MySQL URL without mysql2 installed says which package to install", () => {
    writeFileSync(
      join(dir, "no-mysql2.ts"),
      `import { connect, ConnectionError } from "ferro-orm"
try { await connect("mysql://app:s3cret@127.0.0.1:1/app") } catch (error) {
  console.log(error instanceof ConnectionError, (error as Error).message)
}
`,
    )
    const output = ok(Pack.run(process.execPath, ["no-mysql2.ts"], dir))
    expect(output).toContain("true")
    expect(output).toContain("npm i mysql2")
    expect(output).not.toContain("s3cret")
  })

  test("engine: \"native\" without @ferro/sqlite-native falls back to better-sqlite3 and says how to get it", () => {
    writeFileSync(
      join(dir, "no-native.ts"),
      `import { connect, fetchOne, sql } from "ferro-orm"
process.on("warning", (w) => console.log("warning", (w as Error & { code?: string }).code, w.message))
await connect("sqlite::memory:", { engine: "native" })
console.log(JSON.stringify(await fetchOne(sql\`SELECT 1 + 1 AS two\`)))
`,
    )
    const output = ok(Pack.run(process.execPath, ["no-native.ts"], dir))
    expect(output).toContain('{"two":2}')
    expect(output).toContain("FERRO_NATIVE_UNAVAILABLE")
    expect(output).toContain("npm i @ferro/sqlite-native")
  })
})

describe("npm i ferro-orm mysql2 effect", () => {
  test("a MySQL app from the tarballs: connect to MariaDB, migrate, write, query, and a bad password is redacted", () => {
    const dir = join(work, "mysql-project")
    Pack.writeProject(dir, {
      tarballs,
      packages: ["ferro-orm"],
      registry: { mysql2: "^3.14.0", effect: effectRange },
    })
    ok(Pack.npmInstall(dir))
    const tree = ok(Pack.run("npm", ["ls", "--all", "--parseable"], dir))
    const lines = tree.split("\n")
    for (const absent of ["/node_modules/pg", "/node_modules/better-sqlite3"]) expect(lines.filter((l: string) => l.endsWith(absent)), absent).toEqual([])
    const url = new URL(inject("mysqlUrl"))
    const wrong = new URL(url)
    wrong.password = "not-the-password"
    writeFileSync(
      join(dir, "app.ts"),
      `import { Model, connect, disconnect, field, ConnectionError } from "ferro-orm"
class Note extends Model("pkg_notes_${process.pid}", { id: field.id(), body: field.text(), big: field.bigint({ default: 0n }) }) {}
await connect(process.env.MYSQL_URL!, { autoMigrate: true })
const note = await Note.create({ body: "hello", big: 9007199254740993n })
console.log(note.id > 0, (await Note.get(note.id)) === note, (await Note.where((n) => n.body.eq("hello")).first())?.big)
await Note.where((n) => n.id.eq(note.id)).delete()
await disconnect()
try { await connect(process.env.WRONG_URL!, { name: "wrong" }) } catch (error) {
  console.log(error instanceof ConnectionError, (error as Error).message.includes("not-the-password"))
}
`,
    )
    const output = ok(Pack.run(process.execPath, ["app.ts"], dir, { MYSQL_URL: url.toString(), WRONG_URL: wrong.toString() }))
    expect(output).toContain("true true 9007199254740993n")
    expect(output).toContain("true false")
  })
})

describe("@ferro/core + @ferro/query + @ferro/sqlite on their own", () => {
  const dir = join(work, "a-la-carte")
  test("install and run without ferro-orm", () => {
    Pack.writeProject(dir, {
      tarballs,
      packages: ["@ferro/core", "@ferro/query", "@ferro/sqlite"],
      registry: { "better-sqlite3": "^13.2.0", effect: effectRange },
      devRegistry: { typescript, "@types/node": typesNode },
    })
    ok(Pack.npmInstall(dir))
    const tree = ok(Pack.run("npm", ["ls", "--all", "--parseable"], dir))
    expect(tree).not.toContain("ferro-orm")
    expect(tree).not.toContain("/node_modules/pg")
    writeFileSync(
      join(dir, "main.ts"),
      `import { field, registerConnection } from "@ferro/core"
import { Model } from "@ferro/query"
import { openSqlite } from "@ferro/sqlite"

class Note extends Model("notes", { id: field.id(), body: field.text() }) {}
const driver = await openSqlite("sqlite::memory:")
registerConnection("default", driver)
await driver.execute({ sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)", params: [] })
const note = await Note.create({ body: "hello" })
console.log(note.id, (await Note.get(note.id)).body)
`,
    )
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig("nodenext"), null, 2))
    const check = Pack.run(join(dir, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], dir)
    expect(check.output).toBe("")
    expect(ok(Pack.run(process.execPath, ["main.ts"], dir))).toContain("1 hello")
  })
})

describe("pnpm with its default settings", () => {
  const pnpm = join(Pack.root, "node_modules", ".bin", "pnpm")
  const install = (dir: string) =>
    Pack.run(pnpm, ["install", "--store-dir", join(work, "pnpm-store")], dir, { npm_config_nodedir: "", CI: "" })

  test("ferro-orm + better-sqlite3 + effect installs (no dependency has a build script) and the quickstart runs", () => {
    const dir = join(work, "pnpm-defaults")
    Pack.writeProject(dir, { tarballs, packages: ["ferro-orm"], registry: { "better-sqlite3": "^13.2.0", effect: effectRange } })
    ok(install(dir))
    writeFileSync(join(dir, "app.ts"), readmeBlocks[0]!)
    expect(ok(Pack.run(process.execPath, ["app.ts"], dir))).toContain("same object: true")
  })

  test("@ferro/sqlite-native: its install script is one to approve, and with it skipped the prebuilt binary loads", () => {
    const spec = { tarballs, packages: ["ferro-orm", "@ferro/sqlite-native"], registry: { "better-sqlite3": "^13.2.0", effect: effectRange } }
    // pnpm 11 refuses unreviewed build scripts by default (strictDepBuilds), naming the package.
    const strict = Pack.writeProject(join(work, "pnpm-native-strict"), spec)
    const refused = install(strict)
    if (refused.status !== 0) expect(refused.output).toContain("@ferro/sqlite-native")
    // The README's advice: deny it (the prebuilt binary needs no script) or allow it.
    const dir = Pack.writeProject(join(work, "pnpm-native"), { ...spec, pnpmSettings: 'allowBuilds:\n  "@ferro/sqlite-native": false\n' })
    const output = ok(install(dir))
    expect(Pack.compileSteps(output)).toEqual([])
    writeFileSync(
      join(dir, "native.ts"),
      `import { connect, fetchOne, sql } from "ferro-orm"
process.on("warning", (w) => console.log("warning", (w as Error & { code?: string }).code))
await connect("sqlite::memory:", { engine: "native" })
console.log(JSON.stringify(await fetchOne(sql\`SELECT sqlite_version() IS NOT NULL AS ok\`)))
`,
    )
    const run = ok(Pack.run(process.execPath, ["native.ts"], dir))
    expect(run).toContain('{"ok":1}')
    expect(run).not.toContain("FERRO_NATIVE_UNAVAILABLE")
  })
})

// The example servers outside the workspace --------------------------------------------------

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })

/**
 * A user's copy of `apps/examples/<name>`: its `src/` and a package.json depending on the
 * ferro-orm tarball and on the example's own third-party dependencies at its pinned versions
 * (pg and @types/* left out: the copy runs on SQLite and is not type-checked). The copy runs
 * with Node's type stripping, which does not map the sources' `./app.js` specifiers (written
 * for tsc and tsdown) to `./app.ts`: the copy's relative specifiers say `.ts`.
 */
const copyExample = (name: string, dir: string) => {
  const exampleDir = join(Pack.root, "apps", "examples", name)
  const manifest = JSON.parse(readFileSync(join(exampleDir, "package.json"), "utf8"))
  const registry = Object.fromEntries(
    Object.entries({ ...manifest.devDependencies, ...manifest.dependencies } as Record<string, string>).filter(
      ([dep, range]) => !range.startsWith("workspace:") && !dep.startsWith("@types/") && dep !== "pg",
    ),
  )
  Pack.writeProject(dir, { tarballs, packages: ["ferro-orm"], registry })
  mkdirSync(join(dir, "src"), { recursive: true })
  for (const file of readdirSync(join(exampleDir, "src")).filter((f) => f.endsWith(".ts"))) {
    const code = readFileSync(join(exampleDir, "src", file), "utf8")
    writeFileSync(join(dir, "src", file), code.replace(/(from\s+["']\.{1,2}\/[^"']+)\.js(["'])/g, "$1.ts$2"))
  }
  return registry
}

interface Reply {
  readonly status: number
  readonly body: any
}

/**
 * `node src/main.ts` in `dir` on a free port and a SQLite file there; resolves once the server
 * answers HTTP (retried until then, failing only if it exits or a minute and a half passes).
 */
const startExample = async (dir: string) => {
  const port = await freePort()
  const child = spawn(process.execPath, ["src/main.ts"], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", DATABASE_URL: `sqlite:${join(dir, "app.db")}`, NODE_OPTIONS: "" },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let output = ""
  child.stdout.on("data", (chunk) => (output += chunk))
  child.stderr.on("data", (chunk) => (output += chunk))
  let exited = false
  const exit = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())))
  const base = `http://127.0.0.1:${port}`
  const call = async (method: string, path: string, body?: unknown): Promise<Reply> => {
    const res = await fetch(base + path, {
      method,
      ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    })
    const text = await res.text()
    return { status: res.status, body: text === "" ? undefined : JSON.parse(text) }
  }
  const stop = async () => {
    if (!exited) child.kill("SIGTERM")
    const killer = setTimeout(() => child.kill("SIGKILL"), 15_000)
    await exit
    clearTimeout(killer)
  }
  const deadline = Date.now() + 90_000
  for (;;) {
    if (exited) throw new Error(`the example exited before answering:\n${output}`)
    try {
      await fetch(`${base}/authors/999999`)
      break
    } catch {
      if (Date.now() > deadline) {
        await stop()
        throw new Error(`the example did not answer on ${base}:\n${output}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
  return { call, stop, output: () => output }
}

describe("the example servers, copied outside the workspace and installed from the tarballs with npm", () => {
  test("blog-api (Hono): npm install, node src/main.ts, create, list, 404 over HTTP", async () => {
    const dir = join(work, "example-blog-api")
    const registry = copyExample("blog-api", dir)
    expect(Object.keys(registry).sort()).toEqual(["@hono/node-server", "better-sqlite3", "effect", "hono"])
    const install = ok(Pack.npmInstall(dir))
    expect(Pack.compileSteps(install)).toEqual([])
    const server = await startExample(dir)
    try {
      const ada = await server.call("POST", "/authors", { name: "Ada", email: "ada@example.com" })
      expect(ada.status, server.output()).toBe(201)
      expect(ada.body).toMatchObject({ name: "Ada", email: "ada@example.com" })
      const post = await server.call("POST", "/posts", { title: "Hello", authorId: ada.body.id, tags: ["intro"] })
      expect(post.status).toBe(201)
      const authors = await server.call("GET", "/authors")
      expect(authors.status).toBe(200)
      expect(authors.body).toMatchObject({ total: 1, items: [{ name: "Ada" }] })
      const posts = await server.call("GET", "/posts?tag=intro")
      expect(posts.body).toMatchObject({ total: 1, items: [{ title: "Hello", author: { name: "Ada" } }] })
      const missing = await server.call("GET", "/authors/999999")
      expect(missing.status).toBe(404)
      expect(missing.body.error).toBe("NotFound")
    } finally {
      await server.stop()
    }
  })

  test("effect-service (Effect HttpApi): npm install, node src/main.ts, create, list, 404 over HTTP", async () => {
    const dir = join(work, "example-effect-service")
    const registry = copyExample("effect-service", dir)
    expect(Object.keys(registry).sort()).toEqual(["@effect/platform-node", "better-sqlite3", "effect"])
    const install = ok(Pack.npmInstall(dir))
    expect(Pack.compileSteps(install)).toEqual([])
    const server = await startExample(dir)
    try {
      const ada = await server.call("POST", "/authors", { name: "Ada", email: "ada@example.com" })
      expect(ada.status, server.output()).toBe(201)
      expect(ada.body).toMatchObject({ name: "Ada", email: "ada@example.com" })
      const post = await server.call("POST", "/posts", { title: "Hello", authorId: ada.body.id })
      expect(post.status).toBe(201)
      const posts = await server.call("GET", "/posts?author=Ada")
      expect(posts.status).toBe(200)
      expect(posts.body).toMatchObject({ total: 1, items: [{ title: "Hello", authorName: "Ada" }] })
      const missing = await server.call("GET", "/authors/999999")
      expect(missing.status).toBe(404)
    } finally {
      await server.stop()
    }
  })
})
