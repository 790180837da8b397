/**
 * Command-line options, data sizes and repeat counts. Everything a child process needs to
 * reproduce the parent's plan travels in {@link ChildConfig}.
 *
 * @module
 */
import { WORKLOAD_IDS, type WorkloadId } from "./workloads.js"

export type Backend = "sqlite" | "postgres" | "mysql"

export const BACKENDS: ReadonlyArray<Backend> = ["sqlite", "postgres", "mysql"]

/** The backends whose contestants share a server: a pool per contestant, at most `poolMax` connections. */
export const isServer = (backend: Backend): boolean => backend !== "sqlite"

/** Every contestant, in table order. `raw` is the floor the ratios divide by. */
export const CONTESTANTS = [
  "raw",
  "ferro",
  "ferro-native",
  "ferro-lazy",
  "ferro-nomap",
  "ferro-native-nomap",
  "ferro-session",
  "ferro-partial",
  "drizzle",
  "kysely",
  "typeorm",
  "mikroorm",
  "prisma",
] as const

export type ContestantName = (typeof CONTESTANTS)[number]

/** Contestants that only exist on one backend. */
export const SQLITE_ONLY: ReadonlySet<ContestantName> = new Set(["ferro-native", "ferro-lazy", "ferro-native-nomap"])

/** Sizes of the seeded data and of each workload. */
export interface Sizes {
  readonly authors: number
  readonly posts: number
  readonly tags: number
  readonly tagsPerPost: number
  /** Lookups per point-lookup sample (distinct random ids). */
  readonly pointLookups: number
  readonly readSmall: number
  readonly readLarge: number
  /** The largest read (memory is measured on it): every post. */
  readonly readHuge: number
  readonly pageMinViews: number
  readonly pageLimit: number
  readonly pageOffset: number
  /** Page queries per sample: one takes well under a millisecond, too little to time alone. */
  readonly pageCalls: number
  readonly eagerAuthors: number
  readonly eagerPosts: number
  readonly bulkInsert: number
  /** Rows the batch update touches (`id <= batchUpdate`). */
  readonly batchUpdate: number
  /** Relation-filter iterations per sample, each with another author's name. */
  readonly relationCalls: number
  /** Relation filter, part (b): authors with some post whose `views` is above this. */
  readonly relationMinViews: number
  /** Rows one upsert sample writes into `upsert_items`; half of them (every other key) are there already. */
  readonly upsert: number
  /** Rows seeded into `stream_rows` and read by one stream sample. */
  readonly streamRows: number
  /** Rows per fetch where the tool asks for a batch size (cursors, `stream({ batchSize })`). */
  readonly streamBatch: number
}

/** Warm-up and measured samples for one class of workload. */
export interface Repeats {
  readonly warmup: number
  readonly samples: number
}

export interface Plan {
  readonly sizes: Sizes
  /** Reads, point lookups, pages and eager loads. */
  readonly read: Repeats
  /** The every-row read (with memory) and the stream. */
  readonly huge: Repeats
  /** Bulk insert, batch update and upsert. */
  readonly write: Repeats
  /** PostgreSQL / MySQL pool size for every contestant. */
  readonly poolMax: number
}

const FULL: Plan = {
  sizes: {
    authors: 10_000,
    posts: 100_000,
    tags: 50,
    tagsPerPost: 3,
    pointLookups: 2_000,
    readSmall: 1_000,
    readLarge: 10_000,
    readHuge: 100_000,
    pageMinViews: 5_000,
    pageLimit: 50,
    pageOffset: 100,
    pageCalls: 50,
    eagerAuthors: 100,
    eagerPosts: 1_000,
    bulkInsert: 10_000,
    batchUpdate: 10_000,
    relationCalls: 10,
    // views are uniform in 0..9,999 and every author has 10 posts: about 90 of 10,000 authors.
    relationMinViews: 9_990,
    upsert: 10_000,
    streamRows: 1_000_000,
    streamBatch: 1_000,
  },
  read: { warmup: 3, samples: 11 },
  huge: { warmup: 1, samples: 5 },
  write: { warmup: 2, samples: 9 },
  poolMax: 4,
}

const QUICK: Plan = {
  sizes: {
    authors: 1_000,
    posts: 10_000,
    tags: 20,
    tagsPerPost: 3,
    pointLookups: 200,
    readSmall: 100,
    readLarge: 1_000,
    readHuge: 10_000,
    pageMinViews: 5_000,
    pageLimit: 50,
    pageOffset: 100,
    pageCalls: 20,
    eagerAuthors: 20,
    eagerPosts: 200,
    bulkInsert: 1_000,
    batchUpdate: 1_000,
    relationCalls: 5,
    // About 95 of 1,000 authors.
    relationMinViews: 9_900,
    upsert: 1_000,
    streamRows: 100_000,
    streamBatch: 1_000,
  },
  read: { warmup: 1, samples: 3 },
  huge: { warmup: 1, samples: 2 },
  write: { warmup: 1, samples: 3 },
  poolMax: 4,
}

export interface Options {
  readonly quick: boolean
  readonly backends: ReadonlyArray<Backend>
  /** Contestants to run besides `raw` (always run: the ratios need it). Empty: all. */
  readonly only: ReadonlyArray<ContestantName>
  /** Workloads to run, in the standard order. Empty: all. */
  readonly workloads: ReadonlyArray<WorkloadId>
  readonly plan: Plan
  /** Write results/*.json and results/README.md. */
  readonly write: boolean
}

const USAGE = `usage: npm run bench -- [--quick] [--backend sqlite|postgres|mysql] [--only <contestant>[,<contestant>]] [--workloads <workload>[,<workload>]] [--no-write]
contestants: ${CONTESTANTS.join(", ")}
workloads: ${WORKLOAD_IDS.join(", ")}
PostgreSQL: a throwaway server is started unless FERRO_BENCH_POSTGRES_URL is set.
MySQL: a throwaway MariaDB server is started unless FERRO_BENCH_MYSQL_URL is set.`

const isContestant = (value: string): value is ContestantName => (CONTESTANTS as ReadonlyArray<string>).includes(value)
const isWorkload = (value: string): value is WorkloadId => (WORKLOAD_IDS as ReadonlyArray<string>).includes(value)
const isBackend = (value: string): value is Backend => (BACKENDS as ReadonlyArray<string>).includes(value)

export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${USAGE}`)
  }
}

export const parseOptions = (argv: ReadonlyArray<string>): Options => {
  let quick = false
  let write = true
  const backends: Array<Backend> = []
  const only: Array<ContestantName> = []
  const selected: Array<WorkloadId> = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined]
    const value = (): string => {
      const v = inline ?? argv[++i]
      if (v === undefined) throw new UsageError(`${flag} needs a value`)
      return v
    }
    switch (flag) {
      case "--quick":
        quick = true
        break
      case "--no-write":
        write = false
        break
      case "--backend":
        for (const b of value().split(",")) {
          if (!isBackend(b)) throw new UsageError(`unknown backend '${b}'`)
          backends.push(b)
        }
        break
      case "--only":
        for (const c of value().split(",")) {
          if (!isContestant(c)) throw new UsageError(`unknown contestant '${c}'`)
          only.push(c)
        }
        break
      case "--workloads":
        for (const w of value().split(",")) {
          if (!isWorkload(w)) throw new UsageError(`unknown workload '${w}'`)
          selected.push(w)
        }
        break
      case "--help":
      case "-h":
        console.log(USAGE)
        process.exit(0)
        break
      default:
        throw new UsageError(`unknown argument '${arg}'`)
    }
  }
  return {
    quick,
    write,
    backends: backends.length ? backends : BACKENDS,
    only,
    workloads: WORKLOAD_IDS.filter((w) => selected.includes(w)),
    plan: quick ? QUICK : FULL,
  }
}

/** Contestants to run on `backend`: `raw` first, always. */
export const contestantsFor = (backend: Backend, only: ReadonlyArray<ContestantName>): ReadonlyArray<ContestantName> =>
  CONTESTANTS.filter(
    (c) => (c === "raw" || only.length === 0 || only.includes(c)) && (backend === "sqlite" || !SQLITE_ONLY.has(c)),
  )

/** What the parent hands a child process (as JSON in argv). */
export interface ChildConfig {
  readonly contestant: ContestantName
  readonly backend: Backend
  /** SQLite: the contestant's own copy of the seeded file. PostgreSQL / MySQL: a URL to its own database. */
  readonly target: string
  readonly plan: Plan
}
