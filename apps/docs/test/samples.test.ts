/**
 * Every ```ts sample in guide/*.md is type-checked (strict) and run. A sample that no longer
 * compiles or throws fails the suite, so the guides cannot drift from the API.
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

const samples = readdirSync(join(docs, "guide"))
  .filter((f) => f.endsWith(".md"))
  .flatMap((file) =>
    [...readFileSync(join(docs, "guide", file), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((m, i) => ({
      name: `${file.replace(/\.md$/, "")}-${i + 1}`,
      code: m[1]!,
    })),
  )

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
for (const sample of samples) writeFileSync(join(out, `${sample.name}.ts`), `${sample.code}\nexport {}\n`)
writeFileSync(
  join(out, "tsconfig.json"),
  JSON.stringify({ extends: "../../../tooling/tsconfig/base.json", compilerOptions: { module: "ESNext", target: "ES2022" }, include: ["*.ts"] }),
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
  "engines-1":
    '250 0.1 2024-01-01T00:16:37.000Z\n{"id":2,"sensor":"s1","value":0.1,"takenAt":"2024-01-01T00:00:01.000Z"} 42',
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
