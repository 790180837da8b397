/**
 * The workloads (SPEC §4), in run order: reads first, then the writes (each contestant writes
 * only to its own copy of the data). One definition serves every contestant: it picks the
 * session method and its arguments from the plan and the sample number.
 *
 * @module
 */
import type { Plan, Repeats, Sizes } from "./config.js"
import { type AggregateRow, type Loaded, type RelationFilterResult, type Session, StreamFold } from "./contestant.js"
import { authorTotals, bulkPosts, lookupIds, relationNames, streamSum, upsertRows } from "./data.js"

export const WORKLOAD_IDS = [
  "point",
  "read-small",
  "read-large",
  "page",
  "eager-1n",
  "eager-mn",
  "read-huge",
  "aggregate",
  "relation-filter",
  "bulk-insert",
  "batch-update",
  "upsert",
  "stream",
] as const

export type WorkloadId = (typeof WORKLOAD_IDS)[number]

export interface Workload {
  readonly id: WorkloadId
  readonly label: string
  /** Writes change the contestant's data: the runner resets what a bulk insert added after each sample. */
  readonly writes: boolean
  /** Heap used by the result is measured (after gc, result still referenced). */
  readonly memory: boolean
  /**
   * The highest memory seen during the call, above the baseline taken right before it, is
   * measured (the stream: sampled as the rows go by, no gc); the largest sample is reported.
   */
  readonly peakMemory?: boolean
  readonly repeats: Repeats
}

const n = (value: number): string => value.toLocaleString("en-US")

export const workloads = (plan: Plan): ReadonlyArray<Workload> => {
  const s = plan.sizes
  return [
    { id: "point", label: `point lookup by PK (${n(s.pointLookups)}/sample)`, writes: false, memory: false, repeats: plan.read },
    { id: "read-small", label: `read ${n(s.readSmall)} rows`, writes: false, memory: false, repeats: plan.read },
    { id: "read-large", label: `read ${n(s.readLarge)} rows`, writes: false, memory: false, repeats: plan.read },
    {
      id: "page",
      label: `filtered/ordered page (${s.pageLimit} @ ${s.pageOffset}, ${s.pageCalls.toLocaleString("en-US")}/sample)`,
      writes: false,
      memory: false,
      repeats: plan.read,
    },
    { id: "eager-1n", label: `eager 1:N (${n(s.eagerAuthors)} authors + posts)`, writes: false, memory: false, repeats: plan.read },
    { id: "eager-mn", label: `eager M:N (${n(s.eagerPosts)} posts + tags)`, writes: false, memory: false, repeats: plan.read },
    { id: "read-huge", label: `read ${n(s.readHuge)} rows`, writes: false, memory: true, repeats: plan.huge },
    {
      id: "aggregate",
      label: `grouped aggregate (${n(s.authors)} groups)`,
      writes: false,
      memory: false,
      repeats: plan.read,
    },
    {
      id: "relation-filter",
      label: `relation filter (${s.relationCalls} × 2 queries/sample)`,
      writes: false,
      memory: false,
      repeats: plan.read,
    },
    { id: "bulk-insert", label: `bulk insert ${n(s.bulkInsert)} rows`, writes: true, memory: false, repeats: plan.write },
    { id: "batch-update", label: `batch update ${n(s.batchUpdate)} rows`, writes: true, memory: false, repeats: plan.write },
    {
      id: "upsert",
      label: `upsert ${n(s.upsert)} rows (${n(Math.ceil(s.upsert / 2))} conflicting)`,
      writes: true,
      memory: false,
      repeats: plan.write,
    },
    { id: "stream", label: `stream ${n(s.streamRows)} rows`, writes: false, memory: false, peakMemory: true, repeats: plan.huge },
  ]
}

/** Expected groups per data size, computed once per process (outside every timed region). */
const totalsCache = new Map<string, ReturnType<typeof authorTotals>>()

/**
 * Checks every group of the grouped aggregate against the seeded data (plain numbers, one group
 * per author, the right count and sum) and returns the number of groups. Throws on the first
 * difference, so a wrong result shows as `failed` with the reason.
 */
export const checkAggregate = (rows: ReadonlyArray<AggregateRow>, sizes: Sizes): number => {
  const key = JSON.stringify(sizes)
  let expected = totalsCache.get(key)
  if (expected === undefined) {
    expected = authorTotals(sizes)
    totalsCache.set(key, expected)
  }
  const seen = new Set<number>()
  for (const row of rows) {
    const { authorId, posts, views } = row
    if (typeof authorId !== "number" || typeof posts !== "number" || typeof views !== "number") {
      throw new Error(
        `aggregate: not plain numbers: ${JSON.stringify(row, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))} (${typeof authorId}, ${typeof posts}, ${typeof views})`,
      )
    }
    if (seen.has(authorId)) throw new Error(`aggregate: author ${authorId} appears twice`)
    seen.add(authorId)
    const want = expected.get(authorId)
    if (want === undefined || want.posts !== posts || want.views !== views) {
      throw new Error(
        `aggregate: author ${authorId}: posts ${posts}, views ${views}; expected ${want === undefined ? "no group" : `posts ${want.posts}, views ${want.views}`}`,
      )
    }
  }
  if (seen.size !== expected.size) throw new Error(`aggregate: ${seen.size} groups, expected ${expected.size}`)
  return rows.length
}

/**
 * Checks the relation filter's results (no post or author twice in one call: an `EXISTS` must not
 * turn into a join that repeats authors) and returns the posts plus authors loaded.
 */
export const checkRelationFilter = (results: ReadonlyArray<RelationFilterResult>): number => {
  let loaded = 0
  for (const [part, pick] of [
    ["(a) posts", (r: RelationFilterResult) => r.posts],
    ["(b) authors", (r: RelationFilterResult) => r.authors],
  ] as const) {
    for (const result of results) {
      const items = pick(result)
      const ids = new Set(items.map((item) => item.id))
      if (ids.size !== items.length) throw new Error(`relation-filter ${part}: ${items.length - ids.size} duplicates in ${items.length} rows`)
      loaded += items.length
    }
  }
  return loaded
}

/** Checks what a stream folded (every row once, in id order, the right sum of `n`) and returns the rows. */
export const checkStream = (fold: StreamFold, sizes: Sizes): number => {
  const sum = streamSum(sizes.streamRows)
  if (fold.rows !== sizes.streamRows || fold.lastId !== sizes.streamRows || fold.sum !== sum) {
    throw new Error(
      `stream: ${fold.rows} rows, last id ${fold.lastId}, sum of n ${fold.sum}; expected ${sizes.streamRows} rows, last id ${sizes.streamRows}, sum ${sum}`,
    )
  }
  return fold.rows
}

/** Sample numbers: measured samples are 0, 1, …; warm-ups and the counting run use their own. */
export const WARMUP_SAMPLE_BASE = 1_000
export const COUNT_SAMPLE = 2_000

/** The call one sample makes, or null when the contestant has no such operation. */
export const sampleCall = (
  session: Session,
  id: WorkloadId,
  sizes: Sizes,
  sample: number,
): (() => Promise<Loaded>) | null => {
  switch (id) {
    case "point": {
      if (!session.pointLookup) return null
      const ids = lookupIds(sample, sizes.pointLookups, sizes.posts)
      return () => session.pointLookup!(ids)
    }
    case "read-small":
      return session.readPosts ? () => session.readPosts!(sizes.readSmall) : null
    case "read-large":
      return session.readPosts ? () => session.readPosts!(sizes.readLarge) : null
    case "read-huge":
      return session.readPosts ? () => session.readPosts!(sizes.readHuge) : null
    case "page": {
      if (!session.page) return null
      const params = { minViews: sizes.pageMinViews, limit: sizes.pageLimit, offset: sizes.pageOffset }
      return async () => {
        let loaded = await session.page!(params)
        for (let i = 1; i < sizes.pageCalls; i++) loaded = await session.page!(params)
        return loaded
      }
    }
    case "eager-1n":
      return session.authorsWithPosts ? () => session.authorsWithPosts!(sizes.eagerAuthors) : null
    case "eager-mn":
      return session.postsWithTags ? () => session.postsWithTags!(sizes.eagerPosts) : null
    case "aggregate": {
      if (!session.aggregate) return null
      return async () => {
        const rows = await session.aggregate!()
        return { count: () => checkAggregate(rows, sizes), value: rows }
      }
    }
    case "relation-filter": {
      if (!session.relationFilter) return null
      const names = relationNames(sizes)
      const minViews = sizes.relationMinViews
      return async () => {
        const results: Array<RelationFilterResult> = []
        for (const authorName of names) results.push(await session.relationFilter!({ authorName, minViews }))
        return { count: () => checkRelationFilter(results), value: results }
      }
    }
    case "bulk-insert": {
      if (!session.bulkInsert) return null
      const rows = bulkPosts(sizes)
      return () => session.bulkInsert!(rows)
    }
    case "batch-update":
      return session.batchUpdate ? () => session.batchUpdate!(sizes.batchUpdate) : null
    case "upsert": {
      // The table is put back to the rows of upsertExisting() before the sample and counted and
      // checked after it, by the child, outside the timed region.
      if (!session.upsert) return null
      const rows = upsertRows(sizes)
      return () => session.upsert!(rows)
    }
    case "stream": {
      if (!session.stream) return null
      // The counting run (not timed) also samples what is still referenced, after a gc.
      const live = sample === COUNT_SAMPLE
      return async () => {
        const fold = new StreamFold(live)
        fold.start()
        await session.stream!(fold, sizes.streamBatch)
        fold.sample()
        const livePeakBytes = fold.livePeakBytes
        return {
          count: () => checkStream(fold, sizes),
          value: null,
          peakBytes: fold.peakBytes,
          ...(livePeakBytes === undefined ? {} : { livePeakBytes }),
        }
      }
    }
  }
}
