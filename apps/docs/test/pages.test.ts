/**
 * The site's pages outside `guide/` (home, install, errors, performance) run no samples of
 * their own: every ```ts block in them must be one of the guides' samples, word for word, so
 * `samples.test.ts` type-checks and runs it.
 */
import { readFileSync, readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, test } from "vitest"

const docs = join(dirname(fileURLToPath(import.meta.url)), "..")
const blocks = (file: string) => [...readFileSync(file, "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!)

const guideSamples = new Set(
  readdirSync(join(docs, "guide"))
    .filter((f) => f.endsWith(".md"))
    .flatMap((f) => blocks(join(docs, "guide", f))),
)
const pages = readdirSync(docs).filter((f) => f.endsWith(".md") && f !== "README.md")

describe("site pages", () => {
  test("the home page shows a sample", () => {
    expect(blocks(join(docs, "index.md")).length).toBeGreaterThan(0)
  })
  for (const page of pages) {
    test(`${page}: every ts sample is a guide sample`, () => {
      for (const code of blocks(join(docs, page))) expect(guideSamples.has(code), code.slice(0, 200)).toBe(true)
    })
  }
})
