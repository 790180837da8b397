/**
 * The parent side: one child process per contestant, all open at once but only one running at
 * any moment. Samples are interleaved round-robin (contestant order rotating each round), so
 * drift on a shared machine hits every contestant alike.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { Backend, ChildConfig, ContestantName, Plan } from "./config.js"
import type { FromChild, Phase, SampleOutcome, ToChild } from "./protocol.js"
import { median } from "./stats.js"
import { COUNT_SAMPLE, WARMUP_SAMPLE_BASE, type WorkloadId, workloads } from "./workloads.js"

export type CellResult =
  | {
      readonly status: "ok"
      readonly medianMs: number
      readonly samplesMs: ReadonlyArray<number>
      readonly count: number
      /** null: cannot be counted for this contestant. */
      readonly statements: number | null
      readonly memoryBytes?: number
      /** The stream: peak of what was still referenced (after a gc), from the counting run. */
      readonly liveMemoryBytes?: number
      /** Set when the contestant loaded a different number of rows than `raw`. */
      readonly expectedCount?: number
      /** Statements issued after the load, while walking its children (not really eager). */
      readonly lateStatements?: number
    }
  | { readonly status: "unsupported" }
  | { readonly status: "failed"; readonly error: string }
  | { readonly status: "unavailable"; readonly reason: string }

export interface ContestantInfo {
  readonly name: ContestantName
  readonly available: boolean
  readonly notes?: string
  readonly reason?: string
}

export interface WorkloadResult {
  readonly id: WorkloadId
  readonly label: string
  readonly warmup: number
  readonly samples: number
  readonly cells: Partial<Record<ContestantName, CellResult>>
}

export interface RunResult {
  readonly backend: Backend
  readonly contestants: ReadonlyArray<ContestantInfo>
  readonly workloads: ReadonlyArray<WorkloadResult>
}

/** Longest a single request to a child may take before the child is ended. */
const REQUEST_TIMEOUT_MS = 5 * 60_000
const OUTPUT_LINES = 40

class Child {
  readonly #process: ChildProcess
  readonly #output: Array<string> = []
  #waiting: ((message: FromChild) => void) | null = null
  /** Messages that arrived while nobody was waiting (e.g. "ready" before the first next()). */
  readonly #inbox: Array<FromChild> = []
  #exited: string | null = null

  constructor(
    readonly name: ContestantName,
    config: ChildConfig,
  ) {
    const script = fileURLToPath(new URL("./child.mjs", import.meta.url))
    this.#process = spawn(process.execPath, ["--expose-gc", script, JSON.stringify(config)], {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    })
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) this.#output.push(line)
      this.#output.splice(0, Math.max(0, this.#output.length - OUTPUT_LINES))
    }
    this.#process.stdout!.on("data", keep)
    this.#process.stderr!.on("data", keep)
    this.#process.on("message", (message: FromChild) => this.#deliver(message))
    this.#process.on("exit", (code, signal) => {
      this.#exited = `child process exited (${signal ?? `code ${code}`})`
      this.#deliver({ type: "failed", error: this.#exited })
    })
  }

  /** The last lines the child printed (warnings, errors). */
  get output(): ReadonlyArray<string> {
    return this.#output
  }

  #deliver(message: FromChild): void {
    const waiting = this.#waiting
    this.#waiting = null
    if (waiting === null) this.#inbox.push(message)
    else waiting(message)
  }

  /** The next message from the child (sending `message` first, when given). */
  next(message?: ToChild): Promise<FromChild> {
    const queued = this.#inbox.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    if (this.#exited !== null) return Promise.resolve({ type: "failed", error: this.#exited })
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#deliver({ type: "failed", error: `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` })
        this.kill()
      }, REQUEST_TIMEOUT_MS)
      this.#waiting = (answer) => {
        clearTimeout(timer)
        resolve(answer)
      }
      if (message !== undefined) this.#process.send(message)
    })
  }

  async close(): Promise<void> {
    if (this.#exited !== null) return
    const closed = this.next({ type: "close" })
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref())
    await Promise.race([closed, timeout])
    this.kill()
  }

  kill(): void {
    if (this.#exited === null && this.#process.pid !== undefined) this.#process.kill("SIGKILL")
  }
}

const rotate = <T>(items: ReadonlyArray<T>, by: number): Array<T> =>
  items.length === 0 ? [] : items.map((_, i) => items[(i + by) % items.length]!)

export interface RunOptions {
  readonly backend: Backend
  readonly plan: Plan
  readonly contestants: ReadonlyArray<ContestantName>
  readonly targets: ReadonlyMap<ContestantName, string>
  /** Workloads to run (in the standard order); empty: all. */
  readonly workloads: ReadonlyArray<WorkloadId>
  readonly log: (line: string) => void
}

/** Children that are still running, so an interrupted run can end them. */
const live = new Set<Child>()

export const killChildren = (): void => {
  for (const child of live) child.kill()
}

export const runBackend = async (options: RunOptions): Promise<RunResult> => {
  const { backend, plan, log } = options
  const children = options.contestants.map((name) => {
    const child = new Child(name, { contestant: name, backend, target: options.targets.get(name)!, plan })
    live.add(child)
    return child
  })
  const infos: Array<ContestantInfo> = []
  const ready: Array<Child> = []
  // Open one at a time: opening (ORM start-up, pool connections) is not measured, and a
  // quiet machine makes the first samples no different from the rest.
  for (const child of children) {
    const first = await child.next()
    if (first.type === "ready") {
      infos.push({ name: child.name, available: true, notes: first.notes })
      ready.push(child)
    } else {
      const reason = first.type === "unavailable" ? first.reason : first.type === "failed" ? first.error : "unexpected answer"
      infos.push({ name: child.name, available: false, reason })
      log(`  ${child.name}: unavailable: ${reason}`)
      if (first.type !== "unavailable") for (const line of child.output) log(`    | ${line}`)
      await child.close()
      live.delete(child)
    }
  }

  const results: Array<WorkloadResult> = []
  try {
    const selected = workloads(plan).filter((w) => options.workloads.length === 0 || options.workloads.includes(w.id))
    for (const workload of selected) {
      const started = Date.now()
      const cells: Partial<Record<ContestantName, CellResult>> = {}
      for (const info of infos) if (!info.available) cells[info.name] = { status: "unavailable", reason: info.reason ?? "" }
      const samples = new Map<ContestantName, Array<SampleOutcome & { type: "result" }>>()
      let active = [...ready]
      const run = async (child: Child, phase: Phase, sample: number): Promise<SampleOutcome & { type: "result" } | null> => {
        const answer = await child.next({ type: "run", workload: workload.id, sample, phase })
        if (answer.type === "result") return answer
        if (answer.type === "unsupported") cells[child.name] = { status: "unsupported" }
        else {
          const error = answer.type === "failed" ? answer.error : `unexpected answer '${answer.type}'`
          cells[child.name] = { status: "failed", error }
          log(`  ${child.name}: ${workload.id} failed: ${error}`)
        }
        active = active.filter((c) => c !== child)
        return null
      }
      const { warmup, samples: measured } = workload.repeats
      for (let w = 0; w < warmup; w++) for (const child of rotate(active, w)) await run(child, "warmup", WARMUP_SAMPLE_BASE + w)
      const statements = new Map<ContestantName, number | null>()
      const liveMemory = new Map<ContestantName, number>()
      const late = new Map<ContestantName, number>()
      for (const child of [...active]) {
        const answer = await run(child, "count", COUNT_SAMPLE)
        if (answer !== null) statements.set(child.name, answer.statements ?? null)
        if (answer?.liveMemoryBytes !== undefined) liveMemory.set(child.name, answer.liveMemoryBytes)
        if (answer?.lateStatements !== undefined) {
          late.set(child.name, answer.lateStatements)
          log(`  ${child.name}: ${workload.id}: ${answer.lateStatements} statements while walking the loaded children`)
        }
      }
      for (let i = 0; i < measured; i++) {
        for (const child of rotate(active, i)) {
          const answer = await run(child, "measure", i)
          if (answer !== null) samples.set(child.name, [...(samples.get(child.name) ?? []), answer])
        }
      }
      const expected = samples.get("raw")?.[0]?.count
      for (const child of active) {
        const got = samples.get(child.name) ?? []
        if (got.length === 0) continue
        const count = got[0]!.count
        const memory = got.map((s) => s.memoryBytes).filter((m): m is number => m !== undefined)
        cells[child.name] = {
          status: "ok",
          medianMs: median(got.map((s) => s.ms)),
          samplesMs: got.map((s) => s.ms),
          count,
          statements: statements.get(child.name) ?? null,
          // Peak memory (the stream): the largest sample, "at any point"; held memory: the median.
          ...(memory.length ? { memoryBytes: workload.peakMemory ? Math.max(...memory) : median(memory) } : {}),
          ...(liveMemory.has(child.name) ? { liveMemoryBytes: liveMemory.get(child.name)! } : {}),
          ...(expected !== undefined && count !== expected ? { expectedCount: expected } : {}),
          ...(late.has(child.name) ? { lateStatements: late.get(child.name)! } : {}),
        }
        if (expected !== undefined && count !== expected) {
          log(`  ${child.name}: ${workload.id} loaded ${count}, raw loaded ${expected}`)
        }
      }
      results.push({ id: workload.id, label: workload.label, warmup, samples: measured, cells })
      log(`  ${workload.label.padEnd(44)} ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`)
    }
  } finally {
    for (const child of ready) {
      await child.close()
      live.delete(child)
    }
  }
  return { backend, contestants: infos, workloads: results }
}
