/**
 * The service's HTTP contract, declared with effect's own `HttpApi` modules: every endpoint's
 * path parameters, query, payload, success body and error bodies are schemas. Requests that
 * do not decode are answered `400` by `HttpApiBuilder` before a handler runs; Ferro's own
 * validation (the models' field rules) answers `422` with the field messages.
 */
import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema } from "effect/http-api"

// Errors ---------------------------------------------------------------------------------------
// Schema'd error bodies, each with its status. Handlers fail with Ferro's tagged errors; app.ts
// maps them onto these (by `_tag`, with Effect.catchTag).

/** `ModelDoesNotExist` → 404. */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", { message: Schema.String }, { httpApiStatus: 404 }) {}

export const Issue = Schema.Struct({ path: Schema.String, message: Schema.String })

/** `ValidationError` → 422, with one issue per failing field. */
export class Unprocessable extends Schema.TaggedError<Unprocessable>()(
  "Unprocessable",
  { message: Schema.String, issues: Schema.Array(Issue) },
  { httpApiStatus: 422 },
) {}

/** `UniqueViolation` / `ForeignKeyViolation` → 409. `reason` says which. */
export class Conflict extends Schema.TaggedError<Conflict>()(
  "Conflict",
  { reason: Schema.Literals(["unique", "foreignKey"]), message: Schema.String },
  { httpApiStatus: 409 },
) {}

// Bodies ---------------------------------------------------------------------------------------

const Id = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

export const AuthorJson = Schema.Struct({
  id: Schema.Int,
  name: Schema.String,
  email: Schema.String,
  publishedCount: Schema.Int,
})

export const PostJson = Schema.Struct({
  id: Schema.Int,
  title: Schema.String,
  body: Schema.String,
  views: Schema.Int,
  published: Schema.Boolean,
  authorId: Schema.Int,
})

/** A list item: the post plus its author's name, read across the relation in the same query. */
export const PostListItem = Schema.Struct({ ...PostJson.fields, authorName: Schema.String })

export const PostPage = Schema.Struct({
  items: Schema.Array(PostListItem),
  total: Schema.Int,
  page: Schema.Int,
  pageSize: Schema.Int,
})

export const AuthorStats = Schema.Struct({
  authorId: Schema.Int,
  posts: Schema.Int,
  views: Schema.NullOr(Schema.Number),
})

// Endpoints ------------------------------------------------------------------------------------

export class AuthorsGroup extends HttpApiGroup.make("authors")
  .add(
    HttpApiEndpoint.post("create", "/authors", {
      // Plain strings here: the models' own rules (non-empty, unique email) answer 422 / 409.
      payload: Schema.Struct({ name: Schema.String, email: Schema.String }),
      success: AuthorJson.pipe(HttpApiSchema.status(201)),
      error: [Unprocessable, Conflict],
    }),
    HttpApiEndpoint.get("get", "/authors/:id", {
      params: { id: Id },
      success: AuthorJson,
      error: NotFound,
    }),
    HttpApiEndpoint.delete("remove", "/authors/:id", {
      params: { id: Id },
      success: HttpApiSchema.NoContent,
      // 409 while the author still has posts (the foreign key restricts the delete).
      error: [NotFound, Conflict],
    }),
    HttpApiEndpoint.get("stats", "/stats/authors", {
      success: Schema.Array(AuthorStats),
    }),
  ) {}

export class PostsGroup extends HttpApiGroup.make("posts")
  .add(
    HttpApiEndpoint.post("create", "/posts", {
      payload: Schema.Struct({
        title: Schema.String,
        body: Schema.optional(Schema.String),
        views: Schema.optional(Schema.Int),
        authorId: Schema.Int,
      }),
      success: PostJson.pipe(HttpApiSchema.status(201)),
      error: [Unprocessable, Conflict],
    }),
    HttpApiEndpoint.get("get", "/posts/:id", {
      params: { id: Id },
      success: PostJson,
      error: NotFound,
    }),
    HttpApiEndpoint.get("list", "/posts", {
      query: {
        author: Schema.optional(Schema.String),
        published: Schema.optional(Schema.Literals(["true", "false"])),
        page: Schema.optional(Id),
        pageSize: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100 }))),
      },
      success: PostPage,
    }),
    HttpApiEndpoint.post("publish", "/posts/:id/publish", {
      params: { id: Id },
      // An optional new title, saved with the publish: an invalid one fails after the author's
      // counter was bumped, and the transaction rolls both back.
      payload: Schema.Struct({ title: Schema.optional(Schema.String) }),
      success: Schema.Struct({ post: PostJson, author: AuthorJson }),
      error: [NotFound, Unprocessable],
    }),
  ) {}

export class Api extends HttpApi.make("effect-service").add(AuthorsGroup).add(PostsGroup) {}
