/**
 * The type-check benchmark's projects are correct: a small generated schema (12 models) type-checks
 * with no error in Ferro and in Drizzle, and a misspelled field in a where callback is a type
 * error. Behaviour only: the timings are the benchmark's business (scripts/run.mjs), not a test's.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { generate, packageDir } from "../scripts/generate.mjs"
import { check, compiler } from "../scripts/run.mjs"

// Inside the package (git-ignored generated/), so the projects resolve ferro-orm and drizzle-orm
// from its node_modules; a directory of its own, so a benchmark run beside it is untouched.
mkdirSync(join(packageDir, "generated"), { recursive: true })
const out = mkdtempSync(join(packageDir, "generated", "test-"))
afterAll(() => rmSync(out, { recursive: true, force: true }))

const tsc = compiler("typescript").tsc
let projects: { ferro: string; drizzle: string }

beforeAll(() => {
  projects = generate({ models: 12, out })
})

describe("generated projects", () => {
  test("the Ferro project has 12 models with foreign keys, back references and many-to-many, and type-checks", () => {
    const models = readFileSync(join(projects.ferro, "models.ts"), "utf8")
    expect(models.match(/^export class Entity\d{3} extends Model\(/gm)).toHaveLength(12)
    expect(models).toContain(`parent: field.foreignKey((): ModelClass<Entity000> => Entity000, { relatedName: "entity001s", onDelete: "cascade" })`)
    expect(models).toContain(`entity001s: field.backRef((): ModelClass<Entity001> => Entity001)`)
    expect(models).toContain(`links: field.manyToMany((): ModelClass<Entity002> => Entity002, { relatedName: "linked005s" })`)
    expect(existsSync(join(projects.ferro, "queries-power.ts"))).toBe(false)

    const result = check(tsc, projects.ferro)
    expect(result.errors).toEqual([])
    expect(result.status).toBe(0)
    // --extendedDiagnostics figures are there to be read
    expect(result.figures.instantiations).toBeGreaterThan(0)
    expect(result.figures.checkTime).not.toBeNull()
  })

  test("the Drizzle project of the same shape type-checks", () => {
    const schema = readFileSync(join(projects.drizzle, "schema.ts"), "utf8")
    expect(schema.match(/^export const entity\d{3} = sqliteTable\(/gm)).toHaveLength(12)
    const result = check(tsc, projects.drizzle)
    expect(result.errors).toEqual([])
    expect(result.status).toBe(0)
  })

  test("a misspelled field in a where callback is a type error", () => {
    writeFileSync(
      join(projects.ferro, "wrong.ts"),
      [`import { Entity003 } from "./models.ts"`, `export const wrong = Entity003.where((e) => e.veiws.gte(1)).all()`, ``].join("\n"),
    )
    writeFileSync(join(projects.ferro, "tsconfig.wrong.json"), JSON.stringify({ extends: "./tsconfig.json", files: ["models.ts", "wrong.ts"] }))
    const result = check(tsc, join(projects.ferro, "tsconfig.wrong.json"))
    expect(result.status).not.toBe(0)
    expect(result.errors).toHaveLength(1)
    expect(result.errors[0]).toMatch(/wrong\.ts.*error TS(2339|2551).*'veiws'/)
  })

  test("--power writes the Query power queries in the SPEC's spelling", () => {
    const power = generate({ models: 12, power: true, out: join(out, "power") })
    const queries = readFileSync(join(power.ferro, "queries-power.ts"), "utf8")
    expect(queries).toContain(`M.Entity003.select((e) => ({ id: e.id, name: e.name, parent: e.parent.name })).all()`)
    expect(queries).toContain(`.sum((e) => e.views)`)
    expect(queries).toContain(`.groupBy((e) => e.parentId)`)
    expect(queries).toContain(`a.entity003s.some((e) => e.views.gt(100))`)
    expect(JSON.parse(readFileSync(join(power.ferro, "tsconfig.json"), "utf8")).files).toContain("queries-power.ts")
  })
})
