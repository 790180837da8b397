/**
 * The Effect service over real HTTP: the server layer is built on a free port (port 0, the
 * bound port read from `HttpServer`'s address) and called with `fetch`, once on a SQLite file
 * and once on a fresh PostgreSQL schema. Releasing the layer closes the server and disconnects.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, ManagedRuntime } from "effect"
import { HttpServer } from "effect/http"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { makeServer } from "../src/app.js"

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string
  }
}

// Fresh databases ----------------------------------------------------------------------------

const tempDirs: Array<string> = []

const freshSqliteUrl = async (): Promise<string> => {
  const dir = mkdtempSync(join(tmpdir(), "ferro-effect-service-"))
  tempDirs.push(dir)
  return `sqlite:${join(dir, "effect-service.db")}`
}

/** A new, empty schema on the test PostgreSQL server, pinned through `?schema=`. */
const freshPostgresUrl = async (): Promise<string> => {
  const server = inject("postgresUrl")
  const schema = `effect_service_${process.pid}_${Date.now().toString(36)}`
  const admin = new pg.Client({ connectionString: server })
  await admin.connect()
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`)
  } finally {
    await admin.end()
  }
  const url = new URL(server)
  url.searchParams.set("schema", schema)
  return url.toString()
}

afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

// HTTP ---------------------------------------------------------------------------------------

interface Reply {
  readonly status: number
  readonly body: any
  readonly text: string
}

const backends = [
  { name: "sqlite", freshUrl: freshSqliteUrl },
  { name: "postgres", freshUrl: freshPostgresUrl },
] as const

for (const backend of backends) {
  describe(`effect-service over HTTP [${backend.name}]`, () => {
    let runtime: ManagedRuntime.ManagedRuntime<HttpServer.HttpServer, unknown>
    let base = ""

    beforeAll(async () => {
      runtime = ManagedRuntime.make(makeServer({ url: await backend.freshUrl(), port: 0, log: false }))
      // Building the layer connects, migrates and listens; the address is the bound port.
      base = await runtime.runPromise(
        Effect.gen(function* () {
          const server = yield* HttpServer.HttpServer
          return HttpServer.formatAddress(server.address)
        }),
      )
    })

    afterAll(async () => {
      await runtime.dispose()
    })

    const call = async (method: string, path: string, body?: unknown, raw?: string): Promise<Reply> => {
      const init: RequestInit = { method }
      if (raw !== undefined || body !== undefined) {
        init.headers = { "content-type": "application/json" }
        init.body = raw ?? JSON.stringify(body)
      }
      const res = await fetch(base + path, init)
      const text = await res.text()
      return { status: res.status, text, body: text === "" ? null : JSON.parse(text) }
    }

    /** Error bodies never carry SQL or the values that were sent. */
    const expectNoLeak = (reply: Reply, ...values: Array<string>) => {
      expect(reply.text).not.toMatch(/\b(select|insert|update|delete|constraint|sqlite|violates)\b/i)
      for (const value of values) expect(reply.text).not.toContain(value)
    }

    let seq = 0
    const unique = (prefix: string) => `${prefix}-${backend.name}-${++seq}`
    const newAuthor = async (name = unique("author")) => {
      const reply = await call("POST", "/authors", { name, email: `${unique("mail")}@example.com` })
      expect(reply.status).toBe(201)
      return reply.body as { id: number; name: string; email: string; publishedCount: number }
    }
    const newPost = async (authorId: number, extra: Record<string, unknown> = {}) => {
      const reply = await call("POST", "/posts", { title: unique("post"), authorId, ...extra })
      expect(reply.status).toBe(201)
      return reply.body as { id: number; title: string; views: number; published: boolean; authorId: number }
    }

    it("authors: create, get, delete; 422 with the field messages, 409 on a duplicate email, 404", async () => {
      const email = `${unique("ada")}@example.com`
      const created = await call("POST", "/authors", { name: "Ada", email })
      expect(created.status).toBe(201)
      expect(created.body).toEqual({ id: expect.any(Number), name: "Ada", email, publishedCount: 0 })
      const id = created.body.id
      expect(await call("GET", `/authors/${id}`)).toMatchObject({ status: 200, body: created.body })

      const invalid = await call("POST", "/authors", { name: "", email: "" })
      expect(invalid.status).toBe(422)
      expect(invalid.body).toEqual({
        _tag: "Unprocessable",
        message: "The input is invalid",
        issues: expect.arrayContaining([
          { path: "name", message: expect.any(String) },
          { path: "email", message: expect.any(String) },
        ]),
      })
      expect(invalid.body.issues).toHaveLength(2)

      const duplicate = await call("POST", "/authors", { name: "Ada again", email })
      expect(duplicate.status).toBe(409)
      expect(duplicate.body).toEqual({ _tag: "Conflict", reason: "unique", message: expect.any(String) })
      expectNoLeak(duplicate, email)

      const missing = await call("GET", "/authors/999999")
      expect(missing).toMatchObject({ status: 404, body: { _tag: "NotFound", message: "Author not found" } })

      expect((await call("DELETE", `/authors/${id}`)).status).toBe(204)
      expect((await call("GET", `/authors/${id}`)).status).toBe(404)
      expect((await call("DELETE", `/authors/${id}`)).status).toBe(404)
    })

    it("posts: create and get; 409 for an unknown author or deleting an author with posts, 422, 404", async () => {
      const author = await newAuthor()
      const created = await call("POST", "/posts", { title: "Hello", body: "First", views: 7, authorId: author.id })
      expect(created.status).toBe(201)
      expect(created.body).toEqual({ id: expect.any(Number), title: "Hello", body: "First", views: 7, published: false, authorId: author.id })
      expect(await call("GET", `/posts/${created.body.id}`)).toMatchObject({ status: 200, body: created.body })

      const orphan = await call("POST", "/posts", { title: "Orphan", authorId: 987654 })
      expect(orphan.status).toBe(409)
      expect(orphan.body).toMatchObject({ _tag: "Conflict", reason: "foreignKey" })
      expectNoLeak(orphan, "987654")

      const stillReferenced = await call("DELETE", `/authors/${author.id}`)
      expect(stillReferenced.status).toBe(409)
      expect(stillReferenced.body.reason).toBe("foreignKey")
      expect((await call("GET", `/authors/${author.id}`)).status).toBe(200)

      const invalid = await call("POST", "/posts", { title: "", authorId: author.id })
      expect(invalid.status).toBe(422)
      expect(invalid.body.issues).toEqual([{ path: "title", message: expect.any(String) }])

      expect(await call("GET", "/posts/424242")).toMatchObject({ status: 404, body: { _tag: "NotFound", message: "Post not found" } })
    })

    it("requests that do not match the schemas are 400 before any handler runs; unknown routes 404", async () => {
      const author = await newAuthor()
      expect((await call("POST", "/posts", { title: "No author" })).status).toBe(400)
      expect((await call("POST", "/posts", { title: "T", authorId: "one" })).status).toBe(400)
      expect((await call("POST", "/posts", undefined, '{"title": "T",')).status).toBe(400)
      expect((await call("GET", "/posts/abc")).status).toBe(400)
      expect((await call("GET", "/posts/0")).status).toBe(400)
      expect((await call("GET", "/posts?pageSize=0")).status).toBe(400)
      expect((await call("GET", "/posts?pageSize=101")).status).toBe(400)
      expect((await call("GET", "/posts?published=yes")).status).toBe(400)
      expect((await call("GET", "/nothing-here")).status).toBe(404)
      // Nothing was written by the refused requests.
      expect((await call("GET", `/posts?author=${encodeURIComponent(author.name)}`)).body.total).toBe(0)
    })

    it("GET /posts filters across the relation (author name) and by published, and pages with a total", async () => {
      const ada = await newAuthor(unique("Ada"))
      const bob = await newAuthor(unique("Bob"))
      const adaPosts: Array<number> = []
      for (let i = 0; i < 25; i++) adaPosts.push((await newPost(ada.id, { views: i })).id)
      for (let i = 0; i < 3; i++) await newPost(bob.id)
      for (const id of adaPosts.filter((_, i) => i % 2 === 0)) {
        expect((await call("POST", `/posts/${id}/publish`, {})).status).toBe(200)
      }

      const byAda = await call("GET", `/posts?author=${encodeURIComponent(ada.name)}`)
      expect(byAda.status).toBe(200)
      expect(byAda.body).toMatchObject({ total: 25, page: 1, pageSize: 20 })
      expect(byAda.body.items.map((p: { id: number }) => p.id)).toEqual(adaPosts.slice(0, 20))
      for (const item of byAda.body.items) expect(item).toMatchObject({ authorId: ada.id, authorName: ada.name })

      const page2 = await call("GET", `/posts?author=${encodeURIComponent(ada.name)}&page=2&pageSize=20`)
      expect(page2.body).toMatchObject({ total: 25, page: 2, pageSize: 20 })
      expect(page2.body.items.map((p: { id: number }) => p.id)).toEqual(adaPosts.slice(20))

      const published = await call("GET", `/posts?author=${encodeURIComponent(ada.name)}&published=true&pageSize=100`)
      expect(published.body.total).toBe(13)
      expect(published.body.items.map((p: { id: number }) => p.id)).toEqual(adaPosts.filter((_, i) => i % 2 === 0))
      expect(published.body.items.every((p: { published: boolean }) => p.published)).toBe(true)
      const drafts = await call("GET", `/posts?author=${encodeURIComponent(ada.name)}&published=false`)
      expect(drafts.body.total).toBe(12)

      const byBob = await call("GET", `/posts?author=${encodeURIComponent(bob.name)}&pageSize=2`)
      expect(byBob.body).toMatchObject({ total: 3, pageSize: 2 })
      expect(byBob.body.items).toHaveLength(2)
      expect(await call("GET", `/posts?author=${unique("nobody")}`)).toMatchObject({
        status: 200,
        body: { items: [], total: 0, page: 1, pageSize: 20 },
      })
      const all = await call("GET", "/posts?pageSize=100")
      expect(all.body.total).toBeGreaterThanOrEqual(28)
    })

    it("POST /posts/:id/publish sets published and bumps the author's counter in one transaction", async () => {
      const author = await newAuthor()
      const post = await newPost(author.id)

      const first = await call("POST", `/posts/${post.id}/publish`, { title: "Published title" })
      expect(first.status).toBe(200)
      expect(first.body).toEqual({
        post: { ...post, title: "Published title", published: true },
        author: { ...author, publishedCount: 1 },
      })
      // Publishing again counts nothing.
      const again = await call("POST", `/posts/${post.id}/publish`, {})
      expect(again.body.author.publishedCount).toBe(1)
      expect((await call("GET", `/authors/${author.id}`)).body.publishedCount).toBe(1)

      expect(await call("POST", "/posts/777777/publish", {})).toMatchObject({
        status: 404,
        body: { _tag: "NotFound", message: "Post not found" },
      })
    })

    it("publish rolls back the author's counter when the title fails validation mid-transaction", async () => {
      const author = await newAuthor()
      const post = await newPost(author.id)

      // The counter is bumped first, then save() refuses the empty title: both roll back.
      const failed = await call("POST", `/posts/${post.id}/publish`, { title: "" })
      expect(failed.status).toBe(422)
      expect(failed.body).toEqual({ _tag: "Unprocessable", message: "The input is invalid", issues: [{ path: "title", message: expect.any(String) }] })

      expect((await call("GET", `/authors/${author.id}`)).body).toEqual(author)
      expect((await call("GET", `/posts/${post.id}`)).body).toEqual(post)
      const published = await call("GET", `/posts?author=${encodeURIComponent(author.name)}&published=true`)
      expect(published.body.total).toBe(0)

      // The same publish with a valid title then counts once.
      const ok = await call("POST", `/posts/${post.id}/publish`, { title: "Fixed" })
      expect(ok.status).toBe(200)
      expect(ok.body.author.publishedCount).toBe(1)
    })

    it("GET /stats/authors groups posts per author: count() and the sum of views", async () => {
      const ada = await newAuthor()
      const bob = await newAuthor()
      const idle = await newAuthor()
      for (const views of [10, 20, 30]) await newPost(ada.id, { views })
      await newPost(bob.id, { views: 5 })

      const stats = await call("GET", "/stats/authors")
      expect(stats.status).toBe(200)
      const byAuthor = new Map<number, unknown>(stats.body.map((row: { authorId: number }) => [row.authorId, row]))
      expect(byAuthor.get(ada.id)).toEqual({ authorId: ada.id, posts: 3, views: 60 })
      expect(byAuthor.get(bob.id)).toEqual({ authorId: bob.id, posts: 1, views: 5 })
      // Grouped over posts: an author without posts has no row.
      expect(byAuthor.has(idle.id)).toBe(false)
      const ids = stats.body.map((row: { authorId: number }) => row.authorId)
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
    })
  })
}
