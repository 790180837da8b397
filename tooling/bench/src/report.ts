/**
 * Turning results into tables: the console summary, `results/<backend>.json` and the
 * commit-ready `results/README.md` (regenerated from every backend's JSON present).
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { Backend, ContestantName, Plan } from "./config.js"
import type { CellResult, RunResult, WorkloadResult } from "./runner.js"
import { type Machine, type VersionRow, benchDir } from "./system.js"

export interface BackendReport extends RunResult {
  readonly mode: "full" | "quick"
  readonly date: string
  readonly durationSeconds: number
  readonly machine: Machine
  readonly server: string
  readonly versions: ReadonlyArray<VersionRow>
  readonly plan: Plan
}

/**
 * Full runs of every contestant and workload write to results/ (commit-ready); `--quick`,
 * `--only` or `--workloads` runs to results/local/ (git-ignored), so a smoke run never
 * overwrites the committed results.
 */
const BACKEND_TITLES: Record<Backend, string> = { sqlite: "SQLite", postgres: "PostgreSQL", mysql: "MySQL (MariaDB)" }

export const resultsDir = (local: boolean): string => join(benchDir, "results", ...(local ? ["local"] : []))

const ms = (value: number): string =>
  value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value >= 1 ? value.toFixed(2) : value.toFixed(3)

const ratio = (cell: CellResult | undefined, raw: CellResult | undefined): number | null =>
  cell?.status === "ok" && raw?.status === "ok" && raw.medianMs > 0 ? cell.medianMs / raw.medianMs : null

const cellText = (cell: CellResult | undefined, raw: CellResult | undefined, isRaw: boolean): string => {
  if (cell === undefined) return ""
  switch (cell.status) {
    case "ok": {
      const r = ratio(cell, raw)
      const flag = cell.expectedCount !== undefined ? " ≠" : ""
      return isRaw || r === null ? `${ms(cell.medianMs)} ms${flag}` : `${ms(cell.medianMs)} ms ×${r.toFixed(2)}${flag}`
    }
    case "unsupported":
      return "–"
    case "failed":
      return "failed"
    case "unavailable":
      return "unavailable"
  }
}

const statementsText = (cell: CellResult | undefined): string => {
  if (cell === undefined) return ""
  if (cell.status !== "ok") return cellText(cell, undefined, true)
  return cell.statements === null ? "n/a" : cell.statements.toLocaleString("en-US")
}

const mb = (bytes: number | undefined): string => (bytes === undefined ? "n/a" : `${(bytes / 1024 / 1024).toFixed(1)} MB`)

const memoryText = (cell: CellResult | undefined, live = false): string => {
  if (cell === undefined) return ""
  if (cell.status !== "ok") return cellText(cell, undefined, true)
  return mb(live ? cell.liveMemoryBytes : cell.memoryBytes)
}

type Table = { readonly header: ReadonlyArray<string>; readonly rows: ReadonlyArray<ReadonlyArray<string>> }

const columns = (report: RunResult): Array<ContestantName> => report.contestants.map((c) => c.name)

const timesTable = (report: RunResult): Table => {
  const names = columns(report)
  return {
    header: ["workload", ...names],
    rows: report.workloads.map((w) => [w.label, ...names.map((n) => cellText(w.cells[n], w.cells.raw, n === "raw"))]),
  }
}

const statementsTable = (report: RunResult): Table => {
  const names = columns(report)
  return {
    header: ["statements per call", ...names],
    rows: report.workloads.map((w) => [w.label, ...names.map((n) => statementsText(w.cells[n]))]),
  }
}

/**
 * Memory: held by the largest read's result (after gc), and the stream's peak above the baseline
 * while it ran (the largest sample).
 */
const memoryTable = (report: RunResult): Table | null => {
  const names = columns(report)
  const rows: Array<Array<string>> = []
  const huge = report.workloads.find((w) => w.id === "read-huge")
  if (huge !== undefined) rows.push([`${huge.label}: held by the result`, ...names.map((n) => memoryText(huge.cells[n]))])
  const stream = report.workloads.find((w) => w.id === "stream")
  if (stream !== undefined) {
    rows.push([`${stream.label}: peak heap during the stream`, ...names.map((n) => memoryText(stream.cells[n]))])
    rows.push([`${stream.label}: peak still referenced (gc)`, ...names.map((n) => memoryText(stream.cells[n], true))])
  }
  if (rows.length === 0) return null
  return { header: ["memory above the baseline", ...names], rows }
}

const textTable = (table: Table): string => {
  const all = [table.header, ...table.rows]
  const widths = table.header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)))
  const line = (r: ReadonlyArray<string>) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")
  return [line(table.header), widths.map((w) => "-".repeat(w)).join("  "), ...table.rows.map(line)].join("\n")
}

const markdownTable = (table: Table): string => {
  const escape = (s: string) => s.replace(/\|/g, "\\|")
  return [
    `| ${table.header.map(escape).join(" | ")} |`,
    `|${table.header.map((_, c) => (c === 0 ? " --- " : " ---: ")).join("|")}|`,
    ...table.rows.map((r) => `| ${r.map(escape).join(" | ")} |`),
  ].join("\n")
}

const problems = (report: RunResult): Array<string> => {
  const out: Array<string> = []
  for (const c of report.contestants) if (!c.available) out.push(`${c.name}: unavailable: ${c.reason ?? ""}`)
  for (const w of report.workloads) {
    for (const [name, cell] of Object.entries(w.cells) as Array<[ContestantName, CellResult]>) {
      if (cell.status === "failed") out.push(`${name}, ${w.label}: failed: ${cell.error}`)
      if (cell.status === "ok" && cell.expectedCount !== undefined) {
        out.push(`${name}, ${w.label}: loaded ${cell.count}, raw loaded ${cell.expectedCount} (≠)`)
      }
      if (cell.status === "ok" && cell.lateStatements !== undefined) {
        out.push(`${name}, ${w.label}: ${cell.lateStatements} more statements while walking the loaded children (not eager)`)
      }
    }
  }
  return out
}

export const printReport = (report: BackendReport): void => {
  console.log(`\n${report.backend} (${report.mode}; ${report.server}) — median per sample, ×ratio to raw`)
  console.log(textTable(timesTable(report)))
  console.log()
  console.log(textTable(statementsTable(report)))
  const memory = memoryTable(report)
  if (memory !== null) {
    console.log()
    console.log(textTable(memory))
  }
  const issues = problems(report)
  if (issues.length) console.log(`\n${issues.map((i) => `! ${i}`).join("\n")}`)
}

export const writeJson = (report: BackendReport, dir: string): string => {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${report.backend}.json`)
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
  return file
}

const readJson = (dir: string, backend: Backend): BackendReport | null => {
  const file = join(dir, `${backend}.json`)
  if (!existsSync(file)) return null
  try {
    return JSON.parse(readFileSync(file, "utf8")) as BackendReport
  } catch {
    return null
  }
}

const repeatsText = (workloads: ReadonlyArray<WorkloadResult>): string => {
  const seen = new Map<string, Array<string>>()
  for (const w of workloads) {
    const key = `${w.warmup} warm-up + ${w.samples} measured`
    seen.set(key, [...(seen.get(key) ?? []), w.label])
  }
  return [...seen].map(([key, labels]) => `${key} (${labels.join("; ")})`).join("; ")
}

/** Rewrites `dir`/README.md from every backend's JSON in `dir`. */
export const writeMarkdown = (dir: string): string => {
  const reports = (["sqlite", "postgres", "mysql"] as const)
    .map((backend) => readJson(dir, backend))
    .filter((r): r is BackendReport => r !== null)
  const lines: Array<string> = [
    "# Benchmark results",
    "",
    "Generated by `npm run bench` (see [../README.md](../README.md) for what each workload and column means).",
    "Times are medians per sample; `×` is the contestant's median divided by the raw driver's median in the",
    "same run. `–`: the contestant has no such operation; `≠`: it loaded a different number of rows than raw.",
    "A shared 2-core machine is noisy: trust the ratios more than the absolute times.",
  ]
  for (const report of reports) {
    const s = report.plan.sizes
    lines.push(
      "",
      `## ${BACKEND_TITLES[report.backend]}`,
      "",
      `- Run: ${report.date} (${report.mode} mode, ${Math.round(report.durationSeconds)} s including seeding)`,
      `- Machine: ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.os}; Node ${report.machine.node}`,
      `- Database: ${report.server}; data: ${s.authors.toLocaleString("en-US")} authors, ${s.posts.toLocaleString("en-US")} posts, ${s.tags} tags, ${s.tagsPerPost} tags per post${report.backend !== "sqlite" ? `; pool max ${report.plan.poolMax} for every contestant` : ""}`,
      `- Commit: ${report.machine.commit}`,
      `- Repeats: ${repeatsText(report.workloads)}`,
      "",
      "### Median time per sample (×raw)",
      "",
      markdownTable(timesTable(report)),
      "",
      "### Statements per call",
      "",
      markdownTable(statementsTable(report)),
    )
    const memory = memoryTable(report)
    if (memory !== null) {
      lines.push(
        "",
        "### Memory (V8 heap used + external, minus the same figure after gc right before the call)",
        "",
        "Largest read: after gc, with the result still referenced (median of the samples). Stream, peak heap: the highest figure sampled every 2,000 rows while streaming, no gc, garbage included (the largest of the samples); peak still referenced: the highest figure after a gc every 50,000 rows, on the counting run (not timed).",
        "",
        markdownTable(memory),
      )
    }
    lines.push("", "### Contestants", "", "| contestant | how it runs |", "| --- | --- |")
    for (const c of report.contestants) lines.push(`| ${c.name} | ${c.available ? (c.notes ?? "") : `unavailable: ${c.reason ?? ""}`} |`)
    const issues = problems(report)
    if (issues.length) lines.push("", "### Problems in this run", "", ...issues.map((i) => `- ${i.replace(/\|/g, "\\|")}`))
    // Results of several runs: a backend that ran on other versions than the last one lists its own.
    const last = reports[reports.length - 1]
    if (report !== last && JSON.stringify(report.versions) !== JSON.stringify(last?.versions)) {
      lines.push("", "### Versions of this run", "", "| contestant | packages | drivers it ran on |", "| --- | --- | --- |")
      for (const v of report.versions) lines.push(`| ${v.contestant} | ${v.packages} | ${v.drivers} |`)
    }
  }
  const versions = reports[reports.length - 1]?.versions
  if (versions !== undefined) {
    lines.push("", "## Versions", "", "| contestant | packages | drivers it ran on |", "| --- | --- | --- |")
    for (const v of versions) lines.push(`| ${v.contestant} | ${v.packages} | ${v.drivers} |`)
  }
  lines.push("")
  mkdirSync(dir, { recursive: true })
  const file = join(dir, "README.md")
  writeFileSync(file, lines.join("\n"))
  return file
}
