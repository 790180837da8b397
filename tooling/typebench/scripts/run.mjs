#!/usr/bin/env node
// Type-checks generated/ferro and generated/drizzle (scripts/generate.mjs writes them) with
// `tsc --noEmit --extendedDiagnostics`, best of N runs for times, and writes
// results/typebench.json plus a Ferro vs Drizzle table.
//
// Compilers (each a row of the table):
//   tsc 7             the workspace's TypeScript 7 (Go) as users run it: several checkers in
//                     parallel, each instantiating what its share of the files needs, so its
//                     instantiation and type counts are larger than one checker's
//   tsc 7 --checkers 1  the same compiler with one checker: deterministic counts, comparable to
//                     TypeScript 5.9's
//   tsc 5.9           TypeScript 5.9.3 (the JS compiler, what the packaging check uses)
//
// Exits 1 when either generated project has a type error (a correctness failure); timings
// never fail the run, they are compared with the targets in the output.
//
//   node scripts/run.mjs [--runs 3] [--compilers 7,7-single,5.9] [--out results/typebench.json] [--no-write]
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { cpus, loadavg, totalmem } from "node:os"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..")
const require = createRequire(join(packageDir, "package.json"))

/** Targets from the issue ("Query power", item 3): Ferro's check time and instantiations. */
export const TARGETS = { checkTimeSeconds: 2, instantiations: 400_000 }

const COMPILERS = {
  7: { label: "tsc 7", pkg: "typescript", args: [] },
  "7-single": { label: "tsc 7 --checkers 1", pkg: "typescript", args: ["--checkers", "1"] },
  5.9: { label: "tsc 5.9", pkg: "typescript-5.9", args: [] },
}

/** The tsc entry point of an installed TypeScript package and its version. */
export function compiler(pkg) {
  const manifest = require.resolve(`${pkg}/package.json`)
  const { version } = JSON.parse(readFileSync(manifest, "utf8"))
  return { tsc: join(dirname(manifest), "bin", "tsc"), version }
}

/** Runs tsc on a project once; returns its diagnostics (errors) and extended figures. */
export function check(tsc, project, extraArgs = []) {
  const result = spawnSync(process.execPath, [tsc, "--noEmit", "--extendedDiagnostics", "--pretty", "false", ...extraArgs, "-p", project], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  })
  if (result.error) throw result.error
  const output = `${result.stdout}${result.stderr}`
  const errors = output.split("\n").filter((line) => /error TS\d+/.test(line))
  return { status: result.status, errors, figures: parseDiagnostics(output), output }
}

/** "Check time: 0.341s", "Memory used: 221560K", "Instantiations: 415664" -> numbers (s, KB). */
export function parseDiagnostics(output) {
  const figures = {}
  for (const line of output.split("\n")) {
    const match = /^([A-Z][A-Za-z ]+?):\s+([\d.]+)(s|K)?\s*$/.exec(line.trim())
    if (match) figures[match[1]] = Number(match[2])
  }
  const pick = (name) => figures[name] ?? null
  return {
    checkTime: pick("Check time"),
    totalTime: pick("Total time"),
    parseTime: pick("Parse time"),
    bindTime: pick("Bind time"),
    instantiations: pick("Instantiations"),
    types: pick("Types"),
    symbols: pick("Symbols"),
    memoryKB: pick("Memory used"),
    files: pick("Files"),
    lines: pick("Lines"),
  }
}

/** Best of `runs`: the smallest times and memory; counts of the first run (with all runs kept). */
function measure(tsc, project, extraArgs, runs) {
  const all = []
  for (let k = 0; k < runs; k++) {
    const run = check(tsc, project, extraArgs)
    all.push(run)
    if (run.errors.length > 0 || run.figures.checkTime === null) break // no point repeating a failure
  }
  const min = (key) => Math.min(...all.map((r) => r.figures[key]).filter((v) => v !== null))
  const first = all[0].figures
  return {
    errors: all[0].errors,
    output: all[0].errors.length > 0 || first.checkTime === null ? all[0].output : undefined,
    best: {
      ...first,
      checkTime: min("checkTime"),
      totalTime: min("totalTime"),
      parseTime: min("parseTime"),
      bindTime: min("bindTime"),
      memoryKB: min("memoryKB"),
    },
    runs: all.map((r) => ({ checkTime: r.figures.checkTime, totalTime: r.figures.totalTime, instantiations: r.figures.instantiations, memoryKB: r.figures.memoryKB })),
  }
}

const git = (...args) => {
  try {
    return execFileSync("git", args, { cwd: packageDir, encoding: "utf8" }).trim()
  } catch {
    return null
  }
}

const round2 = (n) => Math.round(n * 100) / 100
const ratio = (a, b) => (a && b ? Math.round((b / a) * 100) / 100 : null)
const fmtTime = (s) => (s === null ? "-" : `${s.toFixed(3)} s`)
const fmtCount = (n) => (n === null ? "-" : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${Math.round(n / 1000)}k`)
const fmtMem = (kb) => (kb === null ? "-" : `${Math.round(kb / 1024)} MB`)

export function table(result) {
  const rows = [["compiler", "figure", "Ferro", "Drizzle", "Drizzle/Ferro"]]
  for (const c of result.compilers) {
    const f = c.ferro.best
    const d = c.drizzle.best
    rows.push([`${c.label} (${c.version})`, "check time", fmtTime(f.checkTime), fmtTime(d.checkTime), `${ratio(f.checkTime, d.checkTime) ?? "-"}x`])
    rows.push(["", "total time", fmtTime(f.totalTime), fmtTime(d.totalTime), `${ratio(f.totalTime, d.totalTime) ?? "-"}x`])
    rows.push(["", "instantiations", fmtCount(f.instantiations), fmtCount(d.instantiations), `${ratio(f.instantiations, d.instantiations) ?? "-"}x`])
    rows.push(["", "types", fmtCount(f.types), fmtCount(d.types), `${ratio(f.types, d.types) ?? "-"}x`])
    rows.push(["", "memory", fmtMem(f.memoryKB), fmtMem(d.memoryKB), `${ratio(f.memoryKB, d.memoryKB) ?? "-"}x`])
  }
  const widths = rows[0].map((_, k) => Math.max(...rows.map((r) => r[k].length)))
  return rows.map((r) => r.map((cell, k) => (k >= 2 ? cell.padStart(widths[k]) : cell.padEnd(widths[k]))).join("  ").trimEnd()).join("\n")
}

export function parseArgs(argv) {
  const options = { runs: 3, compilers: ["7", "7-single", "5.9"], out: join(packageDir, "results", "typebench.json"), write: true, dir: join(packageDir, "generated") }
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k]
    if (arg === "--runs") options.runs = Number(argv[++k])
    else if (arg === "--compilers") options.compilers = argv[++k].split(",")
    else if (arg === "--out") options.out = resolve(argv[++k])
    else if (arg === "--dir") options.dir = resolve(argv[++k])
    else if (arg === "--no-write") options.write = false
    else throw new Error(`unknown argument ${arg}; expected --runs N, --compilers 7,7-single,5.9, --out FILE, --dir DIR, --no-write`)
  }
  if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error("--runs must be a positive integer")
  for (const c of options.compilers) if (!COMPILERS[c]) throw new Error(`unknown compiler ${c}; expected ${Object.keys(COMPILERS).join(", ")}`)
  return options
}

export function main(argv) {
  const options = parseArgs(argv)
  const shapeFile = join(options.dir, "shape.json")
  if (!existsSync(shapeFile)) {
    console.error(`✗ ${relative(process.cwd(), shapeFile)} is missing: run \`node scripts/generate.mjs\` first (or \`pnpm bench\`)`)
    return 2
  }
  const shape = JSON.parse(readFileSync(shapeFile, "utf8"))
  // The Ferro project reads ferro-orm's published declarations (dist), as users get them.
  const ferroTypes = join(packageDir, "node_modules", "ferro-orm", "dist", "index.d.mts")
  if (!existsSync(ferroTypes)) {
    console.error(`✗ ${relative(process.cwd(), ferroTypes)} is missing: build the packages first (\`npm run build\` at the root)`)
    return 2
  }
  const head = git("rev-parse", "HEAD")
  // Uncommitted changes outside results/ (the files this writes).
  const dirty = (git("status", "--porcelain", "--", "../..", ":!results") ?? "") !== ""
  const result = {
    commit: head,
    dirty,
    date: new Date().toISOString(),
    node: process.versions.node,
    // Load averages (1, 5, 15 min) before and after: times on a busy machine are longer.
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, memoryGB: Math.round(totalmem() / 2 ** 30), loadBefore: loadavg().map(round2), loadAfter: null },
    shape,
    runs: options.runs,
    targets: TARGETS,
    compilers: [],
  }
  let failed = false
  console.log(`typebench: ${shape.models} models, ${shape.manyToMany} many-to-many${shape.extended ? ", extended queries" : ""}${shape.power ? ", with queries-power.ts" : ""}; best of ${options.runs}`)
  for (const key of options.compilers) {
    const spec = COMPILERS[key]
    const { tsc, version } = compiler(spec.pkg)
    const entry = { compiler: key, label: spec.label, version, args: spec.args }
    for (const project of ["ferro", "drizzle"]) {
      process.stdout.write(`• ${spec.label} ${version}: ${project} ... `)
      const measured = measure(tsc, join(options.dir, project), spec.args, options.runs)
      entry[project] = measured
      if (measured.errors.length > 0) {
        failed = true
        console.log(`✗ ${measured.errors.length} type error(s)`)
        console.error(measured.errors.slice(0, 20).join("\n"))
      } else if (measured.best.checkTime === null) {
        failed = true
        console.log(`✗ no extended diagnostics (exit ${measured.output ? "" : "?"})`)
        console.error(measured.output?.slice(-2000))
      } else console.log(`check ${fmtTime(measured.best.checkTime)}, ${fmtCount(measured.best.instantiations)} instantiations`)
      delete measured.output
    }
    entry.drizzleOverFerro = {
      checkTime: ratio(entry.ferro.best.checkTime, entry.drizzle.best.checkTime),
      totalTime: ratio(entry.ferro.best.totalTime, entry.drizzle.best.totalTime),
      instantiations: ratio(entry.ferro.best.instantiations, entry.drizzle.best.instantiations),
      types: ratio(entry.ferro.best.types, entry.drizzle.best.types),
      memory: ratio(entry.ferro.best.memoryKB, entry.drizzle.best.memoryKB),
    }
    entry.ferroWithinTargets = {
      checkTime: entry.ferro.best.checkTime !== null && entry.ferro.best.checkTime <= TARGETS.checkTimeSeconds,
      instantiations: entry.ferro.best.instantiations !== null && entry.ferro.best.instantiations <= TARGETS.instantiations,
    }
    result.compilers.push(entry)
  }
  result.machine.loadAfter = loadavg().map(round2)
  console.log(`\n${table(result)}\n`)
  const busiest = Math.max(result.machine.loadBefore[0], result.machine.loadAfter[0])
  if (busiest > result.machine.cpus) console.log(`! load average ${busiest} on ${result.machine.cpus} CPUs: the times are inflated; the counts are not\n`)
  for (const c of result.compilers) {
    const ok = (b) => (b ? "✓" : "✗")
    console.log(
      `${c.label}: Ferro check ${fmtTime(c.ferro.best.checkTime)} ${ok(c.ferroWithinTargets.checkTime)} (target <= ${TARGETS.checkTimeSeconds} s), ` +
        `${fmtCount(c.ferro.best.instantiations)} instantiations ${ok(c.ferroWithinTargets.instantiations)} (target <= ${fmtCount(TARGETS.instantiations)})`,
    )
  }
  if (failed) {
    console.error("\n✗ a generated project has type errors (see above): nothing written")
    return 1
  }
  if (options.write) {
    mkdirSync(dirname(options.out), { recursive: true })
    writeFileSync(options.out, JSON.stringify(result, null, 2) + "\n")
    console.log(`\nwrote ${relative(process.cwd(), options.out)} (commit ${head?.slice(0, 12)}${dirty ? ", uncommitted changes" : ""})`)
  }
  return 0
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) process.exitCode = main(process.argv.slice(2))
