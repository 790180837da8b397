/**
 * Every ```ts sample in guide/*.md is type-checked (strict) and run. A sample that no longer
 * compiles or throws fails the suite, so the guides cannot drift from the API.
 *
 * A sample whose first line names a file (`// blog.ts`) is a module the guide's other samples
 * import (`import { Post } from "./blog.ts"`): it is written under that name, type-checked with
 * the rest and run through the samples that import it, not on its own.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, test } from "vitest"

const here = dirname(fileURLToPath(import.meta.url))
const docs = join(here, "..")
const root = join(docs, "..", "..")
const out = join(docs, ".samples")

const samples: Array<{ readonly name: string; readonly code: string }> = []
const modules: Array<{ readonly name: string; readonly code: string }> = []
for (const file of readdirSync(join(docs, "guide")).filter((f) => f.endsWith(".md"))) {
  let n = 0
  for (const [, code] of readFileSync(join(docs, "guide", file), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)) {
    const shared = /^\/\/ ([\w-]+)\.ts\n/.exec(code!)?.[1]
    if (shared !== undefined) modules.push({ name: shared, code: code! })
    else samples.push({ name: `${file.replace(/\.md$/, "")}-${++n}`, code: code! })
  }
}

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
for (const sample of [...samples, ...modules]) writeFileSync(join(out, `${sample.name}.ts`), `${sample.code}\nexport {}\n`)
writeFileSync(
  join(out, "tsconfig.json"),
  JSON.stringify({
    extends: "../../../tooling/tsconfig/base.json",
    compilerOptions: { module: "ESNext", target: "ES2022", allowImportingTsExtensions: true },
    include: ["*.ts"],
  }),
)

afterAll(() => rmSync(out, { recursive: true, force: true }))

/** What each sample prints, as its comments promise. */
const expectedOutput: Record<string, string> = {
  "getting-started-1": "1 true",
  "getting-started-2": "[ 'email', 'age' ]",
  "relations-1": "Ada\n1\n[ 'math' ]",
  "transactions-1": "70 30\n70",
  "sessions-1": "true\nfalse\ntrue Ada\nAda",
  "migrations-1": "0 []",
  "observability-1":
    "[\n  'BEGIN',\n  'CREATE TABLE IF NOT EXISTS \"posts\"',\n  'CREATE UNIQUE INDEX IF NOT EXISTS \"uq_posts_title\" ON \"posts\"',\n  'COMMIT'\n]\n10\ntrue\nINSERT 2 1 -\nBEGIN 0 0 -\nUPDATE 2 1 -\nSELECT 1 1 -\nCOMMIT 0 0 -\nINSERT 2 0 UniqueViolation\ntrue",
  "observability-2": "1 [ 'ada@example.com' ]",
  "observability-3":
    '1\nferro.transaction - -\nferro.create INSERT posts\nferro.count SELECT posts\nsqlite INSERT INTO "posts" ("title") VALUES (?) RETURNING "id", "title"\ntrue',
  "engines-1":
    '250 0.1 2024-01-01T00:16:37.000Z\n{"id":2,"sensor":"s1","value":0.1,"takenAt":"2024-01-01T00:00:01.000Z"} 42',
  "queries-1": "[ 'Notes' ]\n[ 'Engine', 'Machines' ]\n[ 'Notes', 'Machines' ]\n[ 'Notes' ]\n[ 'Engine' ]\n[ 'Machines' ]",
  "queries-2": "[ 'Notes', 'Machines' ]\n[ 3.5, 4.5, null ]\nEngine\n2 false\nEngine null\ntrue",
  "queries-3": "2\n101\n1\n1 2",
  "queries-4": "{ id: 1, title: 'Notes', author: 'Ada' } true\n[ 'Engine', 'Machines', 'Notes' ]\n[ '10.10', true ]",
  "queries-5": "150 15.305 Notes\nnull\n{ posts: 3, rated: 2, top: 300, mean: 150 }",
  "queries-6":
    "[\n  { author: 'Ada', posts: 2, views: 400 },\n  { author: 'Alan', posts: 1, views: 50 }\n]\n[ { author: 'Ada', posts: 2, views: 400 } ]\n2\n[ 1, 2 ]",
  "queries-7": "[ 'Notes', 'Machines' ]\n{ title: 'Engine', total: 400 }",
  "queries-8":
    "[ 'Notes', 'Engine' ]\n[ null, 'Alan', null ]\ntrue\n[ 'Ada' ]\n[ 'Ada', 'Grace' ]\n[ 'Grace' ]\n[ 'Notes', 'Machines' ]\n[ 'news' ]\n[ { name: 'Alan', posts: 1 }, { name: 'Grace', posts: 0 } ]",
  "queries-9": "[ 'Machines' ]\n2 [ 'Grace' ]",
  "queries-10": "[ 'Engine', 'Machines' ] 1\n[ 5, 6, 8 ]",
  "queries-11": "true\n3",
  "queries-12": "0\n0\n{ posts: [ 2, 1, 1 ], views: 460 }",
  "queries-13":
    "true Ada Lovelace\nEdsger 4\n2\n2\n[ 'Ada Lovelace', 'Alan Turing', 'Grace', 'Edsger', 'Barbara' ]",
  "queries-14": "1 1\nAlan Turing false",
  "lifecycle-1": "hello-world\na title is required\nHello World",
  "lifecycle-2": "2020\ntrue\ntrue",
  "lifecycle-3": "true 1\n[ 'Engine' ]\n0\nnull\ntrue\n2\n1",
  "streaming-1": "4999 12497500\n{ id: 1, sensor: 's0' }\n{ id: 2, sensor: 's1' }\n[ 1 ]",
  "streaming-2": "[ 0, 3, 6, 9 ]\n4498500",
}

describe("documentation samples", () => {
  test("every sample has its expected output listed here", () => {
    expect(samples.map((s) => s.name).sort()).toEqual(Object.keys(expectedOutput).sort())
  })

  test("every sample type-checks under strict", () => {
    const tsc = join(root, "node_modules", ".bin", "tsc")
    let output = ""
    try {
      execFileSync(tsc, ["--noEmit", "-p", join(out, "tsconfig.json")], { encoding: "utf8", stdio: "pipe" })
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error)
    }
    expect(output).toBe("")
  })

  for (const sample of samples) {
    test(`${sample.name} runs`, () => {
      const tsx = join(docs, "node_modules", ".bin", "tsx")
      const result = execFileSync(tsx, [join(out, `${sample.name}.ts`)], {
        encoding: "utf8",
        cwd: out,
        env: { ...process.env, NODE_OPTIONS: "--conditions=@ferro/source" },
      })
      expect(result.trim()).toBe(expectedOutput[sample.name])
    })
  }
})
