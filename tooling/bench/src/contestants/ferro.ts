/**
 * Ferro, three ways: `ferro` (the default generated-JS engine), `ferro-native` (SQLite's native
 * engine, `connect(url, { engine: "native" })`) and `ferro-lazy` (the native engine's lazy row
 * views, `all({ lazy: true })`, on the read workloads only).
 *
 * The identity map stays on (Ferro's default) and is cleared before every sample, outside the
 * timed region, so every sample hydrates new objects instead of returning cached ones.
 *
 * `ferro` and `ferro-session` also run the `aggregate` and `relation-filter` workloads with the
 * query-power API (SPEC §2), from `ferro-query-power.ts`, loaded with a dynamic `import()`: on a
 * build without that API the import or a workload's probe fails, and that workload is not run
 * ("–"), the reason given in the contestant's notes.
 *
 * Likewise the `upsert` and `stream` workloads (SPEC §2 "Writes beyond save" and "Streaming"),
 * from `ferro-writes.ts`, probed after connecting (the upsert probe writes one row and deletes
 * it): `ferro`, `ferro-native` and `ferro-session` run both (the stream of instances, identity
 * map on: a stream consults it and never fills it); `ferro-partial` runs only the stream, as a
 * partial select (plain objects).
 *
 * @module
 */
import { type ConnectOptions, connect, disconnect, session } from "ferro-orm"
import { getConnection } from "@ferro/core/internal"
import type { ChildConfig } from "../config.js"
import {
  type AggregateRow,
  type StreamFold,
  type Loaded,
  type OpenSession,
  type PageParams,
  type RelationFilterParams,
  type RelationFilterResult,
  type Session,
  totalCounter,
} from "../contestant.js"
import type { UpsertRow } from "../data.js"
import { Author, Post } from "../schema/ferro-models.js"

export type FerroVariant = "js" | "native" | "lazy"

/** `connect()` options including the engine choice (not in every build's ConnectOptions type). */
type EngineConnectOptions = ConnectOptions & { readonly engine?: "js" | "native" }

/** What `all({ lazy: true })` returns: row views, not model instances. */
interface LazyRows extends Iterable<unknown> {
  readonly length: number
  materialize(): ReadonlyArray<unknown>
}

/** A query whose `all()` takes the lazy option (typed apart: older builds do not have it). */
interface LazyCapable {
  all(options: { readonly lazy: true }): PromiseLike<unknown>
}

const isLazyRows = (value: unknown): value is LazyRows =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  typeof (value as { length?: unknown }).length === "number" &&
  typeof (value as { materialize?: unknown }).materialize === "function" &&
  typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function"

const lazyAll = async (query: object): Promise<LazyRows> => {
  const result: unknown = await (query as LazyCapable).all({ lazy: true })
  if (!isLazyRows(result)) {
    throw new Error("all({ lazy: true }) did not return a lazy result (no length/materialize/iterator): lazy mode is not available in this build")
  }
  return result
}

/** The query-power workloads this build can run, and why not the others. */
interface QueryPower {
  readonly aggregate?: () => Promise<ReadonlyArray<AggregateRow>>
  readonly relationFilter?: (params: RelationFilterParams) => Promise<RelationFilterResult>
  readonly missing: ReadonlyArray<string>
}

const reason = (error: unknown): string =>
  (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).split("\n")[0]!

const loadQueryPower = async (): Promise<QueryPower> => {
  let module: typeof import("./ferro-query-power.js")
  try {
    module = await import("./ferro-query-power.js")
  } catch (error) {
    return { missing: [`aggregate and relation-filter not run: the query-power API (SPEC §2) is not in this build (${reason(error)})`] }
  }
  const missing: Array<string> = []
  const probe = (name: string, check: () => void): boolean => {
    try {
      check()
      return true
    } catch (error) {
      missing.push(`${name} not run: the query-power API (SPEC §2) is not in this build (${reason(error)})`)
      return false
    }
  }
  return {
    ...(probe("aggregate", module.probeAggregate) ? { aggregate: module.aggregate } : {}),
    ...(probe("relation-filter", module.probeRelationFilter) ? { relationFilter: module.relationFilter } : {}),
    missing,
  }
}

/** The upsert and stream this build can run (SPEC §2), and why not the others. */
interface Writes {
  readonly upsert?: (rows: ReadonlyArray<UpsertRow>) => Promise<number>
  readonly stream?: (fold: StreamFold, batchSize: number) => Promise<void>
  readonly missing: ReadonlyArray<string>
}

/** Loads ferro-writes.ts and probes `which` of its workloads (after connect: the upsert probe writes). */
const loadWrites = async (which: { readonly upsert: boolean; readonly stream: "instances" | "partial" | null }): Promise<Writes> => {
  const wanted = [...(which.upsert ? ["upsert"] : []), ...(which.stream !== null ? ["stream"] : [])]
  if (wanted.length === 0) return { missing: [] }
  let module: typeof import("./ferro-writes.js")
  try {
    module = await import("./ferro-writes.js")
  } catch (error) {
    return { missing: [`${wanted.join(" and ")} not run: ferro-writes.ts does not load in this build (${reason(error)})`] }
  }
  const missing: Array<string> = []
  const probe = async (name: string, api: string, check: () => void | Promise<void>): Promise<boolean> => {
    try {
      await check()
      return true
    } catch (error) {
      missing.push(`${name} not run: ${api} is not in this build (${reason(error)})`)
      return false
    }
  }
  const upsertApi = 'bulkCreate(items, { onConflict: { on, update } }) (SPEC §2 "Writes beyond save")'
  const streamApi =
    which.stream === "partial" ? `a partial select's stream() (SPEC §2 "Streaming")` : 'Query.stream({ batchSize }) (SPEC §2 "Streaming")'
  const upsert = which.upsert && (await probe("upsert", upsertApi, module.probeUpsert)) ? module.upsert : undefined
  const stream =
    which.stream === null
      ? undefined
      : which.stream === "partial"
        ? (await probe("stream", streamApi, module.probeStreamPartial))
          ? module.streamPartial
          : undefined
        : (await probe("stream", streamApi, module.probeStream))
          ? module.stream
          : undefined
  return { ...(upsert ? { upsert } : {}), ...(stream ? { stream } : {}), missing }
}

const engineOf = (driver: object): string | undefined => {
  const engine = (driver as { engine?: unknown }).engine
  return typeof engine === "string" ? engine : undefined
}

/**
 * Opens Ferro as one contestant. `identityMap: false` measures the engine without the weak
 * identity map (a WeakRef and a map entry per hydrated row), on the read workloads only.
 */
export const openFerro = async (
  config: ChildConfig,
  variant: FerroVariant,
  {
    identityMap = true,
    inSession = false,
    partialStream = false,
  }: { readonly identityMap?: boolean; readonly inSession?: boolean; readonly partialStream?: boolean } = {},
): Promise<Session> => {
  const url = config.backend === "sqlite" ? `sqlite:${config.target}` : config.target
  const options: EngineConnectOptions = {
    pool: { max: config.plan.poolMax },
    identityMap,
    ...(variant === "js" ? {} : { engine: "native" as const }),
  }
  try {
    await connect(url, options)
  } catch (error) {
    // mysql:// URLs load Ferro's MySQL backend (@ferro/mysql); say so when this build lacks it.
    if (config.backend === "mysql") {
      throw new Error(`Ferro on MySQL is not available in this build (connect() loads @ferro/mysql for mysql:// URLs): ${reason(error)}`)
    }
    throw error
  }
  const connection = getConnection()
  if (variant !== "js") {
    const engine = engineOf(connection.driver)
    if (engine !== "native") {
      await disconnect()
      throw new Error(
        `connect(url, { engine: "native" }) opened engine '${engine ?? "unknown"}': this build's connect() ignores the option, or the native addon did not load`,
      )
    }
  }
  if (variant === "lazy") {
    try {
      await lazyAll(Post.select().limit(1))
    } catch (error) {
      await disconnect()
      throw error
    }
  }
  const statements = totalCounter(() => getConnection().driver.statementCount)
  // Only `ferro` and `ferro-session` run the query-power workloads.
  const power: QueryPower = variant === "js" && identityMap ? await loadQueryPower() : { missing: [] }
  // The upsert and the stream: every variant with the identity map on but the lazy one;
  // `ferro-partial` only the stream, as a partial select.
  const writes: Writes = partialStream
    ? await loadWrites({ upsert: false, stream: "partial" })
    : variant !== "lazy" && identityMap
      ? await loadWrites({ upsert: true, stream: "instances" })
      : { missing: [] }
  const queryPowerNote = [...power.missing, ...writes.missing].map((m) => `; ${m}`).join("")
  const { aggregate, relationFilter } = power
  const { upsert, stream } = writes
  const upsertCall = upsert === undefined ? {} : { upsert: async (rows: ReadonlyArray<UpsertRow>): Promise<Loaded> => ({ count: await upsert(rows), value: null }) }
  const base = {
    notes: (partialStream
      ? "generated-JS engine, the stream only, as a partial select (`select((r) => ({ id, n, label })).stream()`: plain objects, no identity map)"
      : inSession
      ? "generated-JS engine, each read call in its own `session()` (a strongly held identity map per unit of work, no WeakRef per row)"
      : !identityMap
      ? `${variant === "js" ? "generated-JS" : "native SQLite"} engine with \`identityMap: false\` (reads only): the engine without the weak identity map`
      : variant === "js"
        ? "generated-JS engine, identity map on (cleared before each sample)"
        : variant === "native"
          ? "native SQLite engine, identity map on (cleared before each sample)"
          : "native engine, lazy row views (`all({ lazy: true })`): created, not materialised") + queryPowerNote,
    statements,
    beforeSample() {
      getConnection().identityMap?.clear()
    },
    async close() {
      await disconnect()
    },
  }

  if (variant === "lazy") {
    const loaded = (rows: LazyRows): Loaded => ({ count: rows.length, value: rows })
    return {
      ...base,
      async readPosts(limit) {
        return loaded(await lazyAll(Post.select().orderBy((p) => p.id).limit(limit)))
      },
      async page({ minViews, limit, offset }) {
        return loaded(
          await lazyAll(
            Post.where((p) => p.views.gt(minViews))
              .orderBy((p) => p.createdAt, "desc")
              .limit(limit)
              .offset(offset),
          ),
        )
      },
    }
  }

  if (partialStream) return { ...base, ...(stream === undefined ? {} : { stream }) }

  const reads = {
    async pointLookup(ids: ReadonlyArray<number>): Promise<Loaded> {
      let last: Post | null = null
      for (const id of ids) last = await Post.get(id)
      return { count: ids.length, value: last }
    },
    async readPosts(limit: number): Promise<Loaded> {
      const posts = await Post.select().orderBy((p) => p.id).limit(limit).all()
      return { count: posts.length, value: posts }
    },
    async page({ minViews, limit, offset }: PageParams): Promise<Loaded> {
      const posts = await Post.where((p) => p.views.gt(minViews))
        .orderBy((p) => p.createdAt, "desc")
        .limit(limit)
        .offset(offset)
        .all()
      return { count: posts.length, value: posts }
    },
  }
  if (inSession) {
    // One unit of work per call, as a web request would open one.
    return {
      ...base,
      pointLookup: (ids: ReadonlyArray<number>) => session(() => reads.pointLookup(ids)),
      readPosts: (limit: number) => session(() => reads.readPosts(limit)),
      page: (params: PageParams) => session(() => reads.page(params)),
      ...(aggregate === undefined ? {} : { aggregate: () => session(aggregate) }),
      ...(relationFilter === undefined ? {} : { relationFilter: (params: RelationFilterParams) => session(() => relationFilter(params)) }),
      ...(upsert === undefined
        ? {}
        : { upsert: async (rows: ReadonlyArray<UpsertRow>): Promise<Loaded> => ({ count: await session(() => upsert(rows)), value: null }) }),
      ...(stream === undefined ? {} : { stream: (fold: StreamFold, batchSize: number) => session(() => stream(fold, batchSize)) }),
    }
  }
  if (!identityMap) return { ...base, ...reads }

  return {
    ...base,
    ...reads,
    async authorsWithPosts(n) {
      const authors = await Author.select().orderBy((a) => a.id).limit(n).with("posts").all()
      return {
        count: async () => {
          let children = 0
          for (const author of authors) children += (await author.posts.all()).length
          return children
        },
        value: authors,
      }
    },
    async postsWithTags(n) {
      const posts = await Post.select().orderBy((p) => p.id).limit(n).with("tags").all()
      return {
        count: async () => {
          let children = 0
          for (const post of posts) children += (await post.tags.all()).length
          return children
        },
        value: posts,
      }
    },
    async bulkInsert(rows) {
      return { count: await Post.bulkCreate(rows), value: null }
    },
    async batchUpdate(maxId) {
      const updated = await Post.where((p) => p.id.lte(maxId)).update({ views: (p) => p.views.add(1) })
      return { count: updated, value: null }
    },
    ...(aggregate === undefined ? {} : { aggregate }),
    ...(relationFilter === undefined ? {} : { relationFilter }),
    ...upsertCall,
    ...(stream === undefined ? {} : { stream }),
  }
}

const open: OpenSession = (config) => openFerro(config, "js")

export default open
