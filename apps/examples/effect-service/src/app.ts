/**
 * The service: handlers for every endpoint of `Api` (api.ts), written with `Effect.gen` over
 * Ferro's Effect API, and the layer that serves them. `makeServer()` has no port of its own, so
 * `main.ts` serves on `PORT` and the tests on a free one.
 *
 * - The database comes from `Ferro.layer({ url, autoMigrate: true })`: it connects when the
 *   layer is built and disconnects when it is released. The handler groups require its
 *   `Ferro.FerroConnection`, so a server layer without a database does not type-check.
 * - Every request runs in its own `Ferro.session` (one unit of work, a private identity map).
 * - Ferro's tagged errors become the schema'd HTTP errors of api.ts (`Effect.catchTag`); any
 *   other Ferro failure (a lost connection, a query error) is a defect, a bare 500.
 */
import { createServer } from "node:http"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Layer } from "effect"
import { HttpRouter } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Ferro, count, type FerroFailure, type ForeignKeyViolation, type ModelDoesNotExist, type UniqueViolation, type ValidationError } from "ferro-orm"
import { Api, Conflict, NotFound, Unprocessable } from "./api.js"
import { Author, Post } from "./models.js"

// Errors ---------------------------------------------------------------------------------------

/** The HTTP error each expected Ferro failure becomes. */
interface HttpErrorOf {
  readonly ModelDoesNotExist: NotFound
  readonly ValidationError: Unprocessable
  readonly UniqueViolation: Conflict
  readonly ForeignKeyViolation: Conflict
}
type Expected = keyof HttpErrorOf

const notFound = (e: ModelDoesNotExist) => new NotFound({ message: `${e.model} not found` })

const unprocessable = (e: ValidationError) =>
  new Unprocessable({
    message: "The input is invalid",
    issues: e.issues.map(({ path, message }) => ({ path, message })),
  })

// Conflict bodies carry no SQL and none of the values sent (the error's message names the model
// and fields only, but the body says even less).
const conflict = (e: UniqueViolation | ForeignKeyViolation) =>
  e._tag === "UniqueViolation"
    ? new Conflict({ reason: "unique", message: "A record with the same unique value already exists" })
    : new Conflict({ reason: "foreignKey", message: "The request conflicts with a related record (missing or still referenced)" })

/**
 * `effect.pipe(httpErrors("ModelDoesNotExist", "ValidationError"))`: the listed Ferro failures
 * become their HTTP errors, caught by `_tag`; every other Ferro failure dies (a 500).
 */
const httpErrors =
  <const T extends Expected>(...expected: readonly [T, ...Array<T>]) =>
  <A, R>(effect: Effect.Effect<A, FerroFailure, R>): Effect.Effect<A, HttpErrorOf[T], R> =>
    Effect.catchTag(
      effect,
      // Keep what the endpoint expects; anything else is a defect.
      expected as readonly [Expected, ...Array<Expected>],
      (e) => Effect.fail(e),
      (unexpected) => Effect.die(unexpected),
    ).pipe(
      Effect.catchTag("ModelDoesNotExist", (e) => Effect.fail(notFound(e))),
      Effect.catchTag("ValidationError", (e) => Effect.fail(unprocessable(e))),
      Effect.catchTag(["UniqueViolation", "ForeignKeyViolation"], (e) => Effect.fail(conflict(e))),
    ) as Effect.Effect<A, HttpErrorOf[T], R>

// Output ---------------------------------------------------------------------------------------

const authorJson = (a: Author) => ({ id: a.id, name: a.name, email: a.email, publishedCount: a.publishedCount })

const postJson = (p: Post) => ({
  id: p.id,
  title: p.title,
  body: p.body,
  views: p.views,
  published: p.published,
  authorId: p.authorId,
})

// Handlers -------------------------------------------------------------------------------------

const AuthorsLive = HttpApiBuilder.group(Api, "authors", (handlers) =>
  Effect.gen(function* () {
    // Requiring the connection ties the handlers to Ferro.layer: no database, no server.
    yield* Ferro.FerroConnection
    return handlers
      .handle("create", ({ payload }) =>
        Author.create(payload).pipe(Effect.map(authorJson), httpErrors("ValidationError", "UniqueViolation")),
      )
      .handle("get", ({ params }) => Author.get(params.id).pipe(Effect.map(authorJson), httpErrors("ModelDoesNotExist")))
      .handle("remove", ({ params }) =>
        Effect.gen(function* () {
          const author = yield* Author.get(params.id)
          yield* author.delete()
        }).pipe(httpErrors("ModelDoesNotExist", "ForeignKeyViolation")),
      )
      .handle("stats", () =>
        // One grouped aggregate query: posts and total views per author.
        Post.select((p) => ({ authorId: p.authorId, posts: count(), views: p.views.sum() }))
          .groupBy((p) => p.authorId)
          .orderBy((p) => p.authorId)
          .all()
          .pipe(Effect.orDie),
      )
  }),
)

const PostsLive = HttpApiBuilder.group(Api, "posts", (handlers) =>
  Effect.gen(function* () {
    yield* Ferro.FerroConnection
    return handlers
      .handle("create", ({ payload }) =>
        Post.create(payload).pipe(Effect.map(postJson), httpErrors("ValidationError", "ForeignKeyViolation")),
      )
      .handle("get", ({ params }) => Post.get(params.id).pipe(Effect.map(postJson), httpErrors("ModelDoesNotExist")))
      .handle("list", ({ query }) =>
        Effect.gen(function* () {
          const page = query.page ?? 1
          const pageSize = query.pageSize ?? 20
          let posts = Post.select()
          // A filter across the relation: the author's name, joined in the same query.
          if (query.author !== undefined) {
            const name = query.author
            posts = posts.where((p) => p.author.name.eq(name))
          }
          if (query.published !== undefined) {
            const published = query.published === "true"
            posts = posts.where((p) => p.published.eq(published))
          }
          const total = yield* posts.count()
          const items = yield* posts
            .orderBy((p) => p.id)
            .limit(pageSize)
            .offset((page - 1) * pageSize)
            .select((p) => ({
              id: p.id,
              title: p.title,
              body: p.body,
              views: p.views,
              published: p.published,
              authorId: p.authorId,
              authorName: p.author.name,
            }))
            .all()
          return { items, total, page, pageSize }
        }).pipe(Effect.orDie),
      )
      .handle("publish", ({ params, payload }) =>
        // The post and its author's counter change together or not at all: a title that fails
        // validation at save() fails the transaction after the counter was bumped, and both
        // roll back.
        Ferro.transaction(
          Effect.gen(function* () {
            const post = yield* Post.get(params.id)
            if (!post.published) {
              yield* Author.where((a) => a.id.eq(post.authorId)).update({ publishedCount: (a) => a.publishedCount.add(1) })
              post.published = true
            }
            if (payload.title !== undefined) post.title = payload.title
            yield* post.save()
            const author = yield* Author.get(post.authorId)
            return { post: postJson(post), author: authorJson(author) }
          }),
        ).pipe(httpErrors("ModelDoesNotExist", "ValidationError")),
      )
  }),
)

// Layers ---------------------------------------------------------------------------------------

/** Where the service keeps its data and where it listens. */
export interface ServerOptions {
  /** A Ferro URL: `sqlite:path.db`, `sqlite::memory:`, `postgres://…`. */
  readonly url: string
  /** 0 picks a free port; read the one chosen from `HttpServer.HttpServer`'s `address`. */
  readonly port: number
  readonly host?: string
  /** Log the listening address and each request (default true; the tests turn it off). */
  readonly log?: boolean
}

/** The API's routes with their handlers, backed by Ferro.layer. */
export const ApiLive = (url: string) =>
  HttpApiBuilder.layer(Api).pipe(
    Layer.provide([AuthorsLive, PostsLive]),
    Layer.provide(Ferro.layer({ url, autoMigrate: true })),
  )

/**
 * The whole service: the routes served by Node's HTTP server, one `Ferro.session` per request.
 * Its output includes `HttpServer.HttpServer`, whose `address` is the port actually bound.
 */
export const makeServer = (options: ServerOptions) =>
  HttpRouter.serve(ApiLive(options.url), {
    disableListenLog: options.log === false,
    disableLogger: options.log === false,
    middleware: (app) => Ferro.session(app).pipe(Effect.orDie),
  }).pipe(Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: options.port, host: options.host ?? "127.0.0.1" })))
