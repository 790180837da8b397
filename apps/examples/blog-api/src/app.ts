/**
 * The blog API as a Hono app, with no server attached: `main.ts` connects and serves it, the
 * tests serve it on an ephemeral port. Every request runs in its own Ferro `session()` (a unit
 * of work with a private identity map); errors map to statuses in `onError`.
 */
import { Hono, type Context } from "hono"
import { HTTPException } from "hono/http-exception"
import {
  ForeignKeyViolation,
  ModelDoesNotExist,
  UniqueViolation,
  ValidationError,
  session,
  transaction,
} from "ferro-orm"
import { Author, Post, Tag } from "./models.js"

type Json = Record<string, unknown>

// ---------------------------------------------------------------------------------------------
// Input helpers

/** A 422 naming the field, in the same shape as Ferro's own validation errors. */
const invalid = (model: string, path: string, message: string): ValidationError =>
  new ValidationError(model, [{ path, message }])

/** The request body as a JSON object; malformed JSON or a non-object is a 400. */
const readBody = async (c: Context): Promise<Json> => {
  let body: unknown
  try {
    body = JSON.parse(await c.req.text())
  } catch {
    throw new HTTPException(400, { message: "Malformed JSON body" })
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HTTPException(400, { message: "The body must be a JSON object" })
  }
  return body as Json
}

/** Copies the listed keys that the body has (absent keys stay absent, so defaults apply). */
const pick = (body: Json, keys: ReadonlyArray<string>): Json => {
  const out: Json = {}
  for (const key of keys) if (key in body) out[key] = body[key]
  return out
}

/** A path id; anything but a positive integer cannot name a row, so it is a 404. */
const idParam = (c: Context, model: string): number => {
  const raw = c.req.param("id") ?? ""
  const id = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(id)) throw new ModelDoesNotExist(model, raw)
  return id
}

const MAX_PAGE_SIZE = 100

/** `page` and `pageSize` query parameters (defaults 1 and 20). */
const pagination = (c: Context): { page: number; pageSize: number } => {
  const parse = (name: string, fallback: number, max: number): number => {
    const raw = c.req.query(name)
    if (raw === undefined) return fallback
    const n = /^[0-9]{1,9}$/.test(raw) ? Number(raw) : NaN
    if (!(n >= 1 && n <= max)) throw invalid("Query", name, `must be an integer from 1 to ${max}`)
    return n
  }
  return { page: parse("page", 1, 1_000_000), pageSize: parse("pageSize", 20, MAX_PAGE_SIZE) }
}

/** `tags` in a post body: an array of tag names, created when missing. */
const tagNames = (value: unknown): Array<string> => {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v.length === 0)) {
    throw invalid("Post", "tags", "must be an array of non-empty tag names")
  }
  return [...new Set(value as Array<string>)]
}

const tagsNamed = async (names: ReadonlyArray<string>): Promise<Array<Tag>> => {
  const tags: Array<Tag> = []
  for (const name of names) tags.push((await Tag.getOrCreate({ name }))[0])
  return tags
}

// ---------------------------------------------------------------------------------------------
// Output

const authorJson = (a: Author) => ({
  id: a.id,
  name: a.name,
  email: a.email,
  publishedCount: a.publishedCount,
})

const tagJson = (t: Tag) => ({ id: t.id, name: t.name })

/** A post with its author and tags (no query when they were eager loaded with `with()`). */
const postJson = async (p: Post) => {
  const author = await p.author
  const tags = await p.tags.orderBy((t) => t.name).all()
  return {
    id: p.id,
    title: p.title,
    body: p.body,
    published: p.published,
    createdAt: p.createdAt.toISOString(),
    authorId: p.authorId,
    author: author === null ? null : authorJson(author),
    tags: tags.map(tagJson),
  }
}

const loadPost = async (id: number): Promise<Post> => {
  const [post] = await Post.where((p) => p.id.eq(id)).with("author", "tags").all()
  if (post === undefined) throw new ModelDoesNotExist("Post", id)
  return post
}

// ---------------------------------------------------------------------------------------------
// Errors

const errorBody = (error: string, message: string, extra?: Json) => ({ error, message, ...extra })

/** Maps an error to a response; bodies carry no SQL and no values. */
const onError = (err: Error, c: Context): Response => {
  if (err instanceof ValidationError) {
    const issues = err.issues.map((issue) => ({ path: issue.path, message: issue.message }))
    return c.json(errorBody("ValidationError", "The input is invalid", { issues }), 422)
  }
  if (err instanceof ModelDoesNotExist) return c.json(errorBody("NotFound", `${err.model} not found`), 404)
  if (err instanceof UniqueViolation) {
    return c.json(errorBody("Conflict", "A record with the same unique value already exists"), 409)
  }
  if (err instanceof ForeignKeyViolation) {
    return c.json(errorBody("Conflict", "The request conflicts with a related record (missing or still referenced)"), 409)
  }
  if (err instanceof HTTPException) return c.json(errorBody("BadRequest", err.message), err.status)
  console.error(err)
  return c.json(errorBody("InternalError", "Internal server error"), 500)
}

// ---------------------------------------------------------------------------------------------
// The app

export const createApp = (): Hono => {
  const app = new Hono()

  // One unit of work per request: every ORM call in the handler joins this session.
  app.use("*", async (_c, next) => {
    await session(() => next())
  })
  app.onError(onError)
  app.notFound((c) => c.json(errorBody("NotFound", "No such route"), 404))

  // Authors ---------------------------------------------------------------------------------
  app.get("/authors", async (c) => {
    const { page, pageSize } = pagination(c)
    const query = Author.select()
    const [total, items] = [
      await query.count(),
      await query.orderBy((a) => a.id).limit(pageSize).offset((page - 1) * pageSize).all(),
    ]
    return c.json({ items: items.map(authorJson), total, page, pageSize })
  })

  app.post("/authors", async (c) => {
    const author = await Author.create(pick(await readBody(c), ["name", "email"]) as { name: string; email: string })
    return c.json(authorJson(author), 201)
  })

  app.get("/authors/:id", async (c) => c.json(authorJson(await Author.get(idParam(c, "Author")))))

  app.patch("/authors/:id", async (c) => {
    const body = await readBody(c)
    const author = await Author.get(idParam(c, "Author"))
    Object.assign(author, pick(body, ["name", "email"]))
    await author.save()
    return c.json(authorJson(author))
  })

  app.delete("/authors/:id", async (c) => {
    const author = await Author.get(idParam(c, "Author"))
    await author.delete()
    return c.body(null, 204)
  })

  // Posts -----------------------------------------------------------------------------------
  app.get("/posts", async (c) => {
    const { page, pageSize } = pagination(c)
    const published = c.req.query("published")
    if (published !== undefined && published !== "true" && published !== "false") {
      throw invalid("Query", "published", "must be true or false")
    }
    const authorName = c.req.query("author")
    const tagName = c.req.query("tag")
    const empty = c.json({ items: [], total: 0, page, pageSize })

    // Filters across relations: the author by name, the tag by name (a tag's posts are a query).
    let authorIds: Array<number> | undefined
    if (authorName !== undefined) {
      authorIds = (await Author.where((a) => a.name.eq(authorName)).all()).map((a) => a.id)
      if (authorIds.length === 0) return empty
    }
    let base = Post.select()
    if (tagName !== undefined) {
      const tag = await Tag.where((t) => t.name.eq(tagName)).first()
      if (tag === null) return empty
      base = tag.posts
    }
    if (published !== undefined) base = base.where((p) => p.published.eq(published === "true"))
    if (authorIds !== undefined) {
      const ids = authorIds
      base = base.where((p) => p.authorId.in(ids))
    }

    const total = await base.count()
    const posts = await base
      .orderBy((p) => p.id)
      .limit(pageSize)
      .offset((page - 1) * pageSize)
      .with("author", "tags")
      .all()
    return c.json({ items: await Promise.all(posts.map(postJson)), total, page, pageSize })
  })

  app.post("/posts", async (c) => {
    const body = await readBody(c)
    const names = "tags" in body ? tagNames(body.tags) : []
    const id = await transaction(async () => {
      const post = await Post.create(pick(body, ["title", "body", "published", "authorId"]) as { title: string; authorId: number })
      if (names.length > 0) await post.tags.add(...(await tagsNamed(names)))
      return post.id
    })
    return c.json(await postJson(await loadPost(id)), 201)
  })

  app.get("/posts/:id", async (c) => c.json(await postJson(await loadPost(idParam(c, "Post")))))

  app.patch("/posts/:id", async (c) => {
    const body = await readBody(c)
    const id = idParam(c, "Post")
    const names = "tags" in body ? tagNames(body.tags) : undefined
    await transaction(async () => {
      const post = await Post.get(id)
      Object.assign(post, pick(body, ["title", "body", "authorId"]))
      await post.save()
      if (names !== undefined) {
        await post.tags.clear()
        if (names.length > 0) await post.tags.add(...(await tagsNamed(names)))
      }
    })
    return c.json(await postJson(await loadPost(id)))
  })

  app.delete("/posts/:id", async (c) => {
    const post = await Post.get(idParam(c, "Post"))
    await post.delete()
    return c.body(null, 204)
  })

  // Publish: the post and its author's counter change together or not at all.
  app.post("/posts/:id/publish", async (c) => {
    const id = idParam(c, "Post")
    await transaction(async () => {
      const post = await Post.get(id)
      if (post.published) return // publishing twice counts once
      post.published = true
      await post.save()
      await Author.where((a) => a.id.eq(post.authorId)).update({ publishedCount: (a) => a.publishedCount.add(1) })
    })
    return c.json(await postJson(await loadPost(id)))
  })

  // Tags ------------------------------------------------------------------------------------
  app.get("/tags", async (c) => {
    const tags = await Tag.select().orderBy((t) => t.name).all()
    return c.json({ items: tags.map(tagJson), total: tags.length })
  })

  app.post("/tags", async (c) => {
    const tag = await Tag.create(pick(await readBody(c), ["name"]) as { name: string })
    return c.json(tagJson(tag), 201)
  })

  return app
}
