/**
 * Ferro's side of the `aggregate` and `relation-filter` workloads, written exactly as SPEC §2
 * ("Query power") spells the API: a partial select with `count()` and `p.views.sum()` grouped by
 * `p.authorId`, a filter across the forward relation (`p.author.name.eq(…)`) and one over the
 * back reference (`a.posts.some(…)`).
 *
 * Until that API is in the build this file does not type-check (the only file of the bench that
 * does not) and its chunk cannot even be linked at run time (`ferro-orm` has no `count` export):
 * `ferro.ts` loads it with a dynamic `import()` and calls the probes, and reports a workload as
 * not run ("–", the reason in the contestant's notes) when the import or its probe fails.
 *
 * @module
 */
import { count } from "ferro-orm"
import type { AggregateRow, RelationFilterParams, RelationFilterResult } from "../contestant.js"
import { Author, Post } from "../schema/ferro-models.js"

/**
 * `SELECT author_id, COUNT(*), SUM(views) FROM posts GROUP BY author_id`, built (not run).
 * `.all()` gives plain objects `{ authorId: number, posts: number, views: number | null }` (SPEC:
 * partial selects are plain typed objects; `count()` is a number, `sum` of an int a number, null
 * where SQL gives NULL).
 */
const postsPerAuthor = () =>
  Post.select((p) => ({ authorId: p.authorId, posts: count(), views: p.views.sum() })).groupBy((p) => p.authorId)

/** (a) Posts whose author's name is `name`: a filter across the forward relation, built (not run). */
const postsByAuthorName = (name: string) => Post.where((p) => p.author.name.eq(name))

/** (b) Authors with some post above `minViews` views: `some` over the back reference (each author once). */
const authorsWithPostAbove = (minViews: number) => Author.where((a) => a.posts.some((p) => p.views.gt(minViews)))

export const aggregate = async (): Promise<ReadonlyArray<AggregateRow>> => await postsPerAuthor().all()

/** Both parts, hydrated as `Post` and `Author` instances. */
export const relationFilter = async ({ authorName, minViews }: RelationFilterParams): Promise<RelationFilterResult> => {
  const posts = await postsByAuthorName(authorName).all()
  const authors = await authorsWithPostAbove(minViews).all()
  return { posts, authors }
}

/**
 * Probes: each throws, naming what is missing, unless this build has the API its workload uses.
 * They build the queries without running them (today `where` calls its callback at once and
 * throws "'author' is not a field of Post"; `select(fn)` ignores `fn` and has no `groupBy`).
 */
export const probeAggregate = (): void => {
  postsPerAuthor()
}

export const probeRelationFilter = (): void => {
  postsByAuthorName("")
  authorsWithPostAbove(0)
}
