/**
 * What every contestant implements: one method per workload, each returning what it loaded so
 * the runner can check that every contestant did the same work (and keep the result alive for
 * the memory measurement).
 *
 * @module
 */
import type { ChildConfig } from "./config.js"
import type { NewPost, UpsertRow } from "./data.js"

/** What a workload produced: `count` is compared across contestants; `value` is the result. */
export interface Loaded {
  /**
   * Rows loaded (reads), children loaded (eager loads), rows found (point lookups) or written.
   * A function is called after the timed region (e.g. to walk eager-loaded children through
   * the ORM's accessors without charging that walk to the load).
   */
  readonly count: number | (() => number | Promise<number>)
  /** The result itself, kept referenced until the runner is done measuring. */
  readonly value: unknown
  /** Stream: the highest memory seen during the call above the baseline taken right before it. */
  readonly peakBytes?: number
  /** Stream, counting run only: the highest memory still referenced (sampled after a gc) above the baseline. */
  readonly livePeakBytes?: number
}

/** JS heap plus memory outside it that V8 accounts for (ArrayBuffers: typed-array columns, driver buffers). */
export const heldBytes = (): number => {
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.external
}

/** Memory is sampled every this many streamed rows (and once at the end). */
export const STREAM_SAMPLE_EVERY = 2_000

/** On the (untimed) counting run, memory still referenced is sampled after a gc every this many rows. */
export const STREAM_GC_EVERY = 50_000

const collect = (): void => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("run the child with node --expose-gc")
  gc()
}

/**
 * What every contestant's stream loop feeds, one call per row: counts the rows, sums `n`, checks
 * the ids come in ascending order, and samples memory every {@link STREAM_SAMPLE_EVERY} rows
 * (heap used + external, no gc: garbage not yet collected counts, as it does in production). The
 * same code runs for everyone, so its cost (a call and a comparison per row) is the same for all.
 * With `live` (the counting run, not timed) it also runs a gc every {@link STREAM_GC_EVERY} rows
 * and samples what is still referenced: what the stream holds, garbage aside.
 */
export class StreamFold {
  rows = 0
  sum = 0
  lastId = 0
  #baseline = 0
  #peak = 0
  #livePeak = 0
  #next = STREAM_SAMPLE_EVERY
  #nextLive: number

  constructor(readonly live = false) {
    this.#nextLive = live ? STREAM_GC_EVERY : Number.POSITIVE_INFINITY
  }

  /** Takes the baseline: called right before the stream starts (after the runner's gc). */
  start(): void {
    this.#baseline = heldBytes()
    this.#peak = this.#baseline
    this.#livePeak = this.#baseline
  }

  add(id: number, n: number): void {
    if (!(id > this.lastId)) throw new Error(`stream: id ${id} after ${this.lastId} (not ascending, or not a number: ${typeof id})`)
    this.lastId = id
    this.rows++
    this.sum += n
    if (this.rows === this.#next) {
      this.#next += STREAM_SAMPLE_EVERY
      this.sample()
    }
    if (this.rows === this.#nextLive) {
      this.#nextLive += STREAM_GC_EVERY
      this.sampleLive()
    }
  }

  /** Memory still referenced: after a gc (the counting run only). */
  sampleLive(): void {
    collect()
    const now = heldBytes()
    if (now > this.#livePeak) this.#livePeak = now
  }

  sample(): void {
    const now = heldBytes()
    if (now > this.#peak) this.#peak = now
  }

  /** The highest memory seen above the baseline. */
  get peakBytes(): number {
    return this.#peak - this.#baseline
  }

  /** The highest memory still referenced above the baseline; undefined unless `live`. */
  get livePeakBytes(): number | undefined {
    return this.live ? this.#livePeak - this.#baseline : undefined
  }
}

/** Counts statements sent to the database between `start()` and `stop()`. */
export interface StatementCounter {
  start(): void
  stop(): number
}

/** The filtered, ordered page: `views > minViews ORDER BY created_at DESC LIMIT limit OFFSET offset`. */
export interface PageParams {
  readonly minViews: number
  readonly limit: number
  readonly offset: number
}

/**
 * One group of the grouped aggregate (`SELECT author_id, COUNT(*), SUM(views) FROM posts GROUP BY
 * author_id`): plain numbers (PostgreSQL returns COUNT and SUM of an int as bigint, which pg
 * gives as strings: a contestant whose tool leaves them so converts them, inside the timed region).
 */
export interface AggregateRow {
  readonly authorId: number
  readonly posts: number
  readonly views: number | null
}

/** Relation filter parameters: part (a) matches the author's name, part (b) a post's views. */
export interface RelationFilterParams {
  readonly authorName: string
  readonly minViews: number
}

/** What one relation-filter call loaded, as the contestant's own objects (each has an `id`). */
export interface RelationFilterResult {
  /** (a) Posts whose author's name is `authorName`: full post objects. */
  readonly posts: ReadonlyArray<{ readonly id: number }>
  /** (b) Authors with some post whose views are above `minViews`, each once: full author objects. */
  readonly authors: ReadonlyArray<{ readonly id: number }>
}

/** An open contestant. Methods a contestant does not have are absent (shown as "–"). */
export interface Session {
  /** Short note for the report (e.g. "relational queries, prepared statements"). */
  readonly notes: string
  /** Null: statements cannot be counted for this contestant ("n/a"). */
  readonly statements: StatementCounter | null
  /** Called before every sample, outside the timed region (e.g. clear an identity map). */
  beforeSample?(): void | Promise<void>
  /** One `Post` by primary key per id, one after another. `count`: posts found. */
  pointLookup?(ids: ReadonlyArray<number>): Promise<Loaded>
  /** The first `limit` posts by id, full rows. */
  readPosts?(limit: number): Promise<Loaded>
  page?(params: PageParams): Promise<Loaded>
  /** The first `authors` authors by id with their posts. `count`: posts loaded. */
  authorsWithPosts?(authors: number): Promise<Loaded>
  /** The first `posts` posts by id with their tags. `count`: tags loaded (with repeats). */
  postsWithTags?(posts: number): Promise<Loaded>
  /** Inserts `rows` (ids assigned by the database). `count`: rows inserted. */
  bulkInsert?(rows: ReadonlyArray<NewPost>): Promise<Loaded>
  /** `UPDATE posts SET views = views + 1 WHERE id <= maxId`. `count`: rows updated. */
  batchUpdate?(maxId: number): Promise<Loaded>
  /**
   * Upserts `rows` into `upsert_items` on the unique `key`: a new key is inserted, an existing one
   * gets `value` and `label` merged (its id kept). `count`: what the tool reports (the runner
   * counts and checks the table itself afterwards).
   */
  upsert?(rows: ReadonlyArray<UpsertRow>): Promise<Loaded>
  /**
   * Reads every row of `stream_rows` ordered by id, each as the tool's row object, without
   * keeping them: `fold.add(row.id, row.n)` for each (the workload checks the count and the sum).
   * `batchSize`: rows per fetch, where the tool takes one.
   */
  stream?(fold: StreamFold, batchSize: number): Promise<void>
  /** Posts and the sum of their views per author, one plain object per group (checked by the workload). */
  aggregate?(): Promise<ReadonlyArray<AggregateRow>>
  /** Both parts of one relation-filter call (checked and counted by the workload). */
  relationFilter?(params: RelationFilterParams): Promise<RelationFilterResult>
  close(): Promise<void>
}

/** A contestant module's default export. Throwing here reports the contestant as unavailable. */
export type OpenSession = (config: ChildConfig) => Promise<Session>

/** A statement counter over a running total that something else increments. */
export const totalCounter = (read: () => number): StatementCounter => {
  let from = 0
  return {
    start: () => {
      from = read()
    },
    stop: () => read() - from,
  }
}

/** A counter for hooks that report each statement: `counter.hit()` from the hook. */
export const hookCounter = (): StatementCounter & { hit(): void } => {
  let n = 0
  let on = false
  return {
    hit: () => {
      if (on) n++
    },
    start: () => {
      n = 0
      on = true
    },
    stop: () => {
      on = false
      return n
    },
  }
}

/**
 * Rows per multi-row INSERT where a tool does not split a bulk insert itself: 6 parameters a
 * row stays well inside SQLite's limit of 32,766 bound parameters (and PostgreSQL's 65,535).
 */
export const INSERT_CHUNK = 5_000

/** `items` in slices of at most `size`. */
export const chunks = <T>(items: ReadonlyArray<T>, size: number): Array<Array<T>> => {
  const out: Array<Array<T>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
