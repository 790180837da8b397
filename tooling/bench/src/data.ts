/**
 * Deterministic data: the seeded rows, the rows bulk-inserted and upserted, the streamed rows,
 * and the ids each point-lookup sample reads. Every contestant derives the same values from the same seeds.
 *
 * @module
 */
import type { Sizes } from "./config.js"

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
export const prng = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface AuthorRow {
  readonly id: number
  readonly name: string
  readonly email: string
}

/** A post as the contestants insert it (no id: the database assigns it). */
export interface NewPost {
  readonly title: string
  readonly body: string
  readonly views: number
  readonly published: boolean
  readonly createdAt: Date
  readonly authorId: number
}

export interface PostRow extends NewPost {
  readonly id: number
}

export interface TagRow {
  readonly id: number
  readonly name: string
}

const WORDS = [
  "ferro", "orm", "sqlite", "postgres", "query", "model", "schema", "effect", "index", "join",
  "eager", "lazy", "native", "engine", "batch", "insert", "update", "select", "page", "order",
]

const BASE_TIME = Date.UTC(2024, 0, 1)

const sentence = (random: () => number, words: number): string => {
  const out: Array<string> = []
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(random() * WORDS.length)]!)
  return out.join(" ")
}

const makePost = (random: () => number, n: number, authors: number): NewPost => ({
  title: `Post ${n}: ${sentence(random, 4)}`,
  body: sentence(random, 20),
  views: Math.floor(random() * 10_000),
  published: random() < 0.7,
  // Whole milliseconds, so every backend stores and returns the same instant.
  createdAt: new Date(BASE_TIME + n * 60_000 + Math.floor(random() * 3_600_000)),
  authorId: ((n - 1) % authors) + 1,
})

export const seedAuthors = (sizes: Sizes): Array<AuthorRow> =>
  Array.from({ length: sizes.authors }, (_, i) => ({ id: i + 1, name: `Author ${i + 1}`, email: `author${i + 1}@example.com` }))

/** Posts 1..posts; author `((id - 1) % authors) + 1`, so each author has posts/authors posts. */
export const seedPosts = (sizes: Sizes): Array<PostRow> => {
  const random = prng(1)
  return Array.from({ length: sizes.posts }, (_, i) => ({ id: i + 1, ...makePost(random, i + 1, sizes.authors) }))
}

export const seedTags = (sizes: Sizes): Array<TagRow> =>
  Array.from({ length: sizes.tags }, (_, i) => ({ id: i + 1, name: `tag-${i + 1}` }))

/** `[postId, tagId]` pairs: each post gets `tagsPerPost` distinct tags. */
export const seedPostTags = (sizes: Sizes): Array<readonly [number, number]> => {
  const pairs: Array<readonly [number, number]> = []
  for (let post = 1; post <= sizes.posts; post++) {
    for (let k = 0; k < sizes.tagsPerPost; k++) pairs.push([post, ((post * 7 + k * 13) % sizes.tags) + 1])
  }
  return pairs
}

/** The rows a bulk-insert sample inserts (the same for every contestant and sample). */
export const bulkPosts = (sizes: Sizes): Array<NewPost> => {
  const random = prng(2)
  return Array.from({ length: sizes.bulkInsert }, (_, i) => makePost(random, sizes.posts + i + 1, sizes.authors))
}

/** `count` distinct ids in 1..max for one point-lookup sample; `sample` picks the draw. */
export const lookupIds = (sample: number, count: number, max: number): Array<number> => {
  const random = prng(1000 + sample)
  const seen = new Set<number>()
  const ids: Array<number> = []
  while (ids.length < Math.min(count, max)) {
    const id = 1 + Math.floor(random() * max)
    if (!seen.has(id)) {
      seen.add(id)
      ids.push(id)
    }
  }
  return ids
}

/** Per author: how many seeded posts and the sum of their views (what the grouped aggregate must return). */
export const authorTotals = (sizes: Sizes): ReadonlyMap<number, { readonly posts: number; readonly views: number }> => {
  const totals = new Map<number, { posts: number; views: number }>()
  for (const p of seedPosts(sizes)) {
    const t = totals.get(p.authorId)
    if (t === undefined) totals.set(p.authorId, { posts: 1, views: p.views })
    else {
      t.posts++
      t.views += p.views
    }
  }
  return totals
}

/** The authors' names the relation-filter iterations of one sample look for, spread over all authors. */
export const relationNames = (sizes: Sizes): Array<string> =>
  Array.from({ length: sizes.relationCalls }, (_, i) => `Author ${1 + Math.floor(((i + 0.5) * sizes.authors) / sizes.relationCalls)}`)

/** A row of `upsert_items` as the contestants write it (the unique `key`; no id: the database assigns it). */
export interface UpsertRow {
  readonly key: string
  readonly value: number
  readonly label: string
}

const itemKey = (i: number): string => `item-${i}`

/**
 * The rows in `upsert_items` before every upsert sample (put back outside the timed region):
 * every other key of {@link upsertRows}, so half of the upsert conflicts, spread through every batch.
 */
export const upsertExisting = (sizes: Sizes): Array<UpsertRow> =>
  Array.from({ length: Math.ceil(sizes.upsert / 2) }, (_, j) => ({ key: itemKey(2 * j), value: 2 * j, label: `old ${2 * j}` }))

/** The rows one upsert sample writes: on a conflicting key, `value` and `label` are merged. */
export const upsertRows = (sizes: Sizes): Array<UpsertRow> =>
  Array.from({ length: sizes.upsert }, (_, i) => ({ key: itemKey(i), value: 1_000_000 + i, label: `new ${i}` }))

/**
 * `stream_rows` holds ids 1..streamRows with `n = id % 1000` and `label = 'row ' || id`,
 * generated by the database itself (a recursive CTE on SQLite, generate_series on PostgreSQL).
 */
export const STREAM_N_MODULO = 1_000

/** The sum of `n` over every streamed row (what a stream sample must fold to). */
export const streamSum = (rows: number): number => {
  const full = Math.floor(rows / STREAM_N_MODULO)
  const rest = rows % STREAM_N_MODULO
  // Every full block of 1,000 ids has n = 1..999 and one 0; the last partial block n = 1..rest.
  return (full * (STREAM_N_MODULO * (STREAM_N_MODULO - 1))) / 2 + (rest * (rest + 1)) / 2
}
