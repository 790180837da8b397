/**
 * Build-time data loader for the Performance page: reads the committed benchmark results
 * (tooling/bench/results/<backend>.json, written by `npm run bench`) and turns them into table
 * rows (workloads × contestants, median time and ratio to the raw driver) and an inline SVG
 * chart. Nothing is fetched at run time.
 */
import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "tooling", "bench", "results")
const BACKENDS = [
  { id: "sqlite", title: "SQLite" },
  { id: "postgres", title: "PostgreSQL" },
  { id: "mysql", title: "MySQL (MariaDB)" },
] as const

interface RawCell {
  readonly status: string
  readonly medianMs?: number
  readonly count?: number
  readonly statements?: number
  readonly memoryBytes?: number
}
interface RawResults {
  readonly backend: string
  readonly mode?: string
  readonly date?: string
  readonly machine?: { readonly cpu?: string; readonly cores?: number; readonly os?: string; readonly node?: string; readonly commit?: string }
  readonly server?: string
  readonly contestants: ReadonlyArray<{ readonly name: string; readonly available: boolean; readonly notes?: string }>
  readonly workloads: ReadonlyArray<{ readonly id: string; readonly label: string; readonly cells: Record<string, RawCell> }>
}

export interface Cell {
  /** Median time per sample, formatted ("12.1 ms"), or a mark: "–" no such operation, "≠" other row count, "n/a" not run. */
  readonly time: string
  /** Median divided by the raw driver's median in the same run, formatted ("×1.42"), or "". */
  readonly ratio: string
  readonly value: number | null
}
export interface Row {
  readonly id: string
  readonly label: string
  readonly cells: ReadonlyArray<Cell>
  readonly statements: ReadonlyArray<string>
}
export interface Backend {
  readonly id: string
  readonly title: string
  readonly meta: ReadonlyArray<string>
  readonly contestants: ReadonlyArray<{ readonly name: string; readonly notes: string }>
  readonly rows: ReadonlyArray<Row>
  readonly memory: ReadonlyArray<{ readonly label: string; readonly cells: ReadonlyArray<string> }>
  readonly chart: string
}
export interface Data {
  readonly backends: ReadonlyArray<Backend>
}

declare const data: Data
export { data }

const ms = (value: number) => `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value >= 1 ? value.toFixed(2) : value.toFixed(3)} ms`
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`
const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** The row count a workload's raw cell loaded: a contestant that loaded another count is marked ≠. */
const cellOf = (cell: RawCell | undefined, raw: RawCell | undefined): Cell => {
  if (cell === undefined || cell.status === "unavailable") return { time: "n/a", ratio: "", value: null }
  if (cell.status === "unsupported") return { time: "–", ratio: "", value: null }
  if (cell.status !== "ok" || cell.medianMs === undefined) return { time: cell.status, ratio: "", value: null }
  if (raw?.count !== undefined && cell.count !== undefined && raw.count !== cell.count) return { time: "≠", ratio: "", value: null }
  const ratio = raw?.status === "ok" && raw.medianMs ? cell.medianMs / raw.medianMs : null
  return { time: ms(cell.medianMs), ratio: ratio === null ? "" : `×${ratio.toFixed(2)}`, value: ratio }
}

/** Contestants drawn in the chart: Ferro with its defaults, and each other ORM once. */
const isCharted = (name: string) => name !== "raw" && (name === "ferro" || !name.startsWith("ferro"))

const COLORS: Record<string, string> = {
  ferro: "#b7410e",
  drizzle: "#4f7d2b",
  kysely: "#2f6db5",
  typeorm: "#c28a00",
  mikroorm: "#7a4fb5",
  prisma: "#2b8f8f",
}

/**
 * A horizontal bar chart of ratios to the raw driver, one group of bars per workload, on a
 * log₂ scale around the raw driver (1×): bars to the right are slower than raw, to the left faster.
 */
const chart = (title: string, names: ReadonlyArray<string>, rows: ReadonlyArray<{ label: string; ratios: ReadonlyArray<number | null> }>): string => {
  const all = rows.flatMap((r) => r.ratios).filter((r): r is number => r !== null && r > 0)
  const lo = Math.min(-1, Math.floor(Math.log2(Math.min(...all, 1))))
  const hi = Math.max(2, Math.ceil(Math.log2(Math.max(...all, 1))))
  const labelW = 190
  const plotW = 480
  const bar = 13
  const gap = 14
  const top = 34
  const groupH = names.length * bar + gap
  const height = top + rows.length * groupH + 20
  const width = labelW + plotW + 95
  const x = (ratio: number) => labelW + ((Math.log2(ratio) - lo) / (hi - lo)) * plotW
  const parts: string[] = []
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="bench-chart" role="img" viewBox="0 0 ${width} ${height}" width="100%" font-family="system-ui, sans-serif" font-size="13">`)
  parts.push(`<title>${escape(title)}</title>`)
  for (let e = lo; e <= hi; e++) {
    const tx = x(2 ** e)
    parts.push(`<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${height - 18}" stroke="currentColor" stroke-opacity="${e === 0 ? 0.6 : 0.15}"/>`)
    parts.push(`<text x="${tx}" y="${height - 4}" text-anchor="middle" fill="currentColor">×${2 ** e}</text>`)
  }
  names.forEach((name, i) => {
    const lx = labelW + i * 84
    parts.push(`<rect x="${lx}" y="6" width="10" height="10" fill="${COLORS[name] ?? "#888"}"/><text x="${lx + 14}" y="15" fill="currentColor">${escape(name)}</text>`)
  })
  rows.forEach((row, r) => {
    const gy = top + r * groupH
    parts.push(`<text x="${labelW - 8}" y="${gy + (names.length * bar) / 2 + 4}" text-anchor="end" fill="currentColor">${escape(row.label)}</text>`)
    row.ratios.forEach((ratio, i) => {
      if (ratio === null || ratio <= 0) return
      const y = gy + i * bar
      const x0 = x(1)
      const x1 = x(ratio)
      const name = names[i]!
      parts.push(
        `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${bar - 2}" fill="${COLORS[name] ?? "#888"}"><title>${escape(`${name}: ×${ratio.toFixed(2)} raw`)}</title></rect>`,
      )
      parts.push(`<text x="${(Math.max(x0, x1) + 4).toFixed(1)}" y="${y + bar - 3}" font-size="10" fill="currentColor">×${ratio.toFixed(2)}</text>`)
    })
  })
  parts.push("</svg>")
  return parts.join("")
}

const backendOf = (id: string, title: string, results: RawResults): Backend => {
  const contestants = results.contestants.filter((c) => c.available)
  const names = contestants.map((c) => c.name)
  const rows: Row[] = results.workloads.map((w) => {
    const raw = w.cells.raw
    return {
      id: w.id,
      label: w.label,
      cells: names.map((n) => cellOf(w.cells[n], raw)),
      statements: names.map((n) => {
        const cell = w.cells[n]
        return cell?.status === "ok" && cell.statements !== undefined ? cell.statements.toLocaleString("en-US") : "–"
      }),
    }
  })
  const memory = results.workloads
    .filter((w) => Object.values(w.cells).some((c) => c.memoryBytes !== undefined))
    .map((w) => ({ label: w.label, cells: names.map((n) => (w.cells[n]?.memoryBytes !== undefined ? mb(w.cells[n]!.memoryBytes!) : "–")) }))
  const charted = names.filter(isCharted)
  const meta = [
    results.date ? `Run: ${results.date.slice(0, 16).replace("T", " ")} UTC (${results.mode ?? "full"} mode)` : undefined,
    results.machine ? `Machine: ${[results.machine.cpu, results.machine.cores ? `${results.machine.cores} cores` : undefined, results.machine.os].filter(Boolean).join(", ")}; Node ${results.machine.node ?? "?"}` : undefined,
    results.server ? `Database: ${results.server}` : undefined,
    results.machine?.commit ? `Commit: ${results.machine.commit}` : undefined,
  ].filter((line): line is string => line !== undefined)
  return {
    id,
    title,
    meta,
    contestants: contestants.map((c) => ({ name: c.name, notes: c.notes ?? "" })),
    rows,
    memory,
    chart: chart(
      `${title}: median time as a multiple of the raw driver's (log scale)`,
      charted,
      // The chart names workloads without the tables' sample sizes, so labels stay short.
      rows.map((row) => ({ label: row.label.replace(/ \(.*\)$/, ""), ratios: charted.map((n) => row.cells[names.indexOf(n)]!.value) })),
    ),
  }
}

export default {
  watch: BACKENDS.map((b) => join(resultsDir, `${b.id}.json`)),
  load(): Data {
    const backends = BACKENDS.filter((b) => existsSync(join(resultsDir, `${b.id}.json`))).map((b) =>
      backendOf(b.id, b.title, JSON.parse(readFileSync(join(resultsDir, `${b.id}.json`), "utf8")) as RawResults),
    )
    return { backends }
  },
}
