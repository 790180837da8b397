/**
 * The blog API over real HTTP: the app is served on an ephemeral port and called with
 * `fetch`, once on a SQLite file and once on a fresh PostgreSQL schema.
 */
import { mkdtempSync, rmSync } from "node:fs"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type ServerType } from "@hono/node-server"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { connect, disconnect } from "ferro-orm"
import { createApp } from "../src/app.js"

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string
  }
}

// Fresh databases ----------------------------------------------------------------------------

const tempDirs: Array<string> = []

const freshSqliteUrl = async (): Promise<string> => {
  const dir = mkdtempSync(join(tmpdir(), "ferro-blog-api-"))
  tempDirs.push(dir)
  return `sqlite:${join(dir, "blog.db")}`
}

/** A new, empty schema on the test PostgreSQL server, pinned through `?schema=`. */
const freshPostgresUrl = async (): Promise<string> => {
  const server = inject("postgresUrl")
  const schema = `blog_${process.pid}_${Date.now().toString(36)}`
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

// HTTP helpers -------------------------------------------------------------------------------

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
  describe(`blog-api over HTTP [${backend.name}]`, () => {
    let server: ServerType
    let base = ""

    beforeAll(async () => {
      await connect(await backend.freshUrl(), { autoMigrate: true })
      // Resolves on "listening": no test waits on a clock.
      base = await new Promise<string>((resolve) => {
        server = serve({ fetch: createApp().fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
          resolve(`http://127.0.0.1:${info.port}`),
        )
      })
    })

    afterAll(async () => {
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())))
      await disconnect()
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

    it("authors: create, get, list with a total, update, delete", async () => {
      const created = await call("POST", "/authors", { name: "Ada", email: `ada-${backend.name}@example.com` })
      expect(created.status).toBe(201)
      expect(created.body).toEqual({ id: expect.any(Number), name: "Ada", email: `ada-${backend.name}@example.com`, publishedCount: 0 })
      const id = created.body.id

      expect((await call("GET", `/authors/${id}`)).body).toEqual(created.body)

      const list = await call("GET", "/authors?page=1&pageSize=100")
      expect(list.status).toBe(200)
      expect(list.body).toMatchObject({ page: 1, pageSize: 100 })
      expect(list.body.total).toBe(list.body.items.length)
      expect(list.body.items.map((a: { id: number }) => a.id)).toContain(id)

      const updated = await call("PATCH", `/authors/${id}`, { name: "Ada Lovelace" })
      expect(updated.status).toBe(200)
      expect(updated.body.name).toBe("Ada Lovelace")
      expect((await call("GET", `/authors/${id}`)).body.name).toBe("Ada Lovelace")

      expect((await call("DELETE", `/authors/${id}`)).status).toBe(204)
      expect((await call("GET", `/authors/${id}`)).status).toBe(404)
    })

    it("authors: 422 with the field messages, 409 on a duplicate email, 404, 400", async () => {
      const invalid = await call("POST", "/authors", { name: "" })
      expect(invalid.status).toBe(422)
      expect(invalid.body.error).toBe("ValidationError")
      const paths = invalid.body.issues.map((i: { path: string }) => i.path)
      expect(paths).toEqual(expect.arrayContaining(["name", "email"]))
      for (const issue of invalid.body.issues) expect(issue.message).toEqual(expect.any(String))

      const email = `${unique("dup")}@example.com`
      expect((await call("POST", "/authors", { name: "One", email })).status).toBe(201)
      const duplicate = await call("POST", "/authors", { name: "Two", email })
      expect(duplicate.status).toBe(409)
      expect(duplicate.body.error).toBe("Conflict")
      expectNoLeak(duplicate, email)

      const other = await newAuthor()
      const dupPatch = await call("PATCH", `/authors/${other.id}`, { email })
      expect(dupPatch.status).toBe(409)
      expectNoLeak(dupPatch, email)
      const badPatch = await call("PATCH", `/authors/${other.id}`, { name: 42 })
      expect(badPatch.status).toBe(422)
      expect(badPatch.body.issues.map((i: { path: string }) => i.path)).toContain("name")

      for (const path of ["/authors/999999", "/authors/abc", "/authors/0"]) {
        expect((await call("GET", path)).status).toBe(404)
      }
      expect((await call("PATCH", "/authors/999999", { name: "X" })).status).toBe(404)
      expect((await call("DELETE", "/authors/999999")).status).toBe(404)

      const malformed = await call("POST", "/authors", undefined, '{"name": "Ada",')
      expect(malformed.status).toBe(400)
      expect(malformed.body.error).toBe("BadRequest")
      expect((await call("POST", "/authors", [1, 2])).status).toBe(400)
      expect((await call("PATCH", `/authors/${other.id}`, undefined, "not json")).status).toBe(400)
    })

    it("posts: create with tags, get, update, delete; the author and tags come along", async () => {
      const author = await newAuthor()
      const [t1, t2, t3] = [unique("tag"), unique("tag"), unique("tag")]
      const created = await call("POST", "/posts", { title: "Hello", body: "First", authorId: author.id, tags: [t2, t1] })
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({
        title: "Hello",
        body: "First",
        published: false,
        authorId: author.id,
        author: { id: author.id, name: author.name },
        tags: [{ name: t1 }, { name: t2 }],
      })
      expect(Number.isNaN(Date.parse(created.body.createdAt))).toBe(false)
      const id = created.body.id

      expect((await call("GET", `/posts/${id}`)).body).toEqual(created.body)

      const updated = await call("PATCH", `/posts/${id}`, { title: "Hello again", tags: [t3] })
      expect(updated.status).toBe(200)
      expect(updated.body).toMatchObject({ title: "Hello again", body: "First", tags: [{ name: t3 }] })

      const moved = await newAuthor()
      const reassigned = await call("PATCH", `/posts/${id}`, { authorId: moved.id })
      expect(reassigned.body.author).toMatchObject({ id: moved.id, name: moved.name })
      expect(reassigned.body.tags).toEqual([expect.objectContaining({ name: t3 })])

      expect((await call("DELETE", `/posts/${id}`)).status).toBe(204)
      expect((await call("GET", `/posts/${id}`)).status).toBe(404)
      expect((await call("DELETE", `/posts/${id}`)).status).toBe(404)
    })

    it("posts: 422, 409 for a missing or still-referenced author, 404, 400", async () => {
      const author = await newAuthor()
      const invalid = await call("POST", "/posts", { title: "", authorId: author.id })
      expect(invalid.status).toBe(422)
      expect(invalid.body.issues.map((i: { path: string }) => i.path)).toContain("title")

      const badTags = await call("POST", "/posts", { title: "T", authorId: author.id, tags: [""] })
      expect(badTags.status).toBe(422)
      expect(badTags.body.issues).toEqual([{ path: "tags", message: expect.any(String) }])

      const noAuthor = await call("POST", "/posts", { title: "Orphan", authorId: 987654 })
      expect(noAuthor.status).toBe(409)
      expectNoLeak(noAuthor, "987654")
      expect((await call("GET", "/posts?author=nobody-at-all")).body.total).toBe(0)

      const post = (await call("POST", "/posts", { title: "Kept", authorId: author.id })).body
      const stillReferenced = await call("DELETE", `/authors/${author.id}`)
      expect(stillReferenced.status).toBe(409)
      expectNoLeak(stillReferenced)
      expect((await call("GET", `/authors/${author.id}`)).status).toBe(200)

      const badMove = await call("PATCH", `/posts/${post.id}`, { authorId: 987654 })
      expect(badMove.status).toBe(409)
      expect((await call("GET", `/posts/${post.id}`)).body.authorId).toBe(author.id)

      expect((await call("PATCH", `/posts/${post.id}`, { title: "" })).status).toBe(422)
      expect((await call("PATCH", `/posts/${post.id}`, undefined, "{")).status).toBe(400)
      expect((await call("POST", "/posts", undefined, "{")).status).toBe(400)
      expect((await call("GET", "/posts/424242")).status).toBe(404)
      expect((await call("PATCH", "/posts/424242", { title: "X" })).status).toBe(404)
      expect((await call("GET", "/posts/x1")).status).toBe(404)
    })

    it("GET /posts filters by published, author name and tag name, pages with a total", async () => {
      const ada = await newAuthor(unique("Ada"))
      const bob = await newAuthor(unique("Bob"))
      const orm = unique("orm")
      const sql = unique("sql")
      // 25 posts by Ada tagged orm (every third also sql), 5 by Bob tagged sql.
      const adaPosts: Array<number> = []
      for (let i = 0; i < 25; i++) {
        const tags = i % 3 === 0 ? [orm, sql] : [orm]
        const reply = await call("POST", "/posts", { title: `Ada ${i}`, authorId: ada.id, tags, published: i % 2 === 0 })
        expect(reply.status).toBe(201)
        adaPosts.push(reply.body.id)
      }
      for (let i = 0; i < 5; i++) {
        expect((await call("POST", "/posts", { title: `Bob ${i}`, authorId: bob.id, tags: [sql] })).status).toBe(201)
      }

      const byAuthor = await call("GET", `/posts?author=${encodeURIComponent(ada.name)}`)
      expect(byAuthor.body).toMatchObject({ total: 25, page: 1, pageSize: 20 })
      expect(byAuthor.body.items.map((p: { id: number }) => p.id)).toEqual(adaPosts.slice(0, 20))
      // Eager loads: every item has its author and its tags.
      for (const item of byAuthor.body.items) {
        expect(item.author).toMatchObject({ id: ada.id, name: ada.name })
        expect(item.tags.map((t: { name: string }) => t.name)).toContain(orm)
      }

      const page2 = await call("GET", `/posts?author=${encodeURIComponent(ada.name)}&tag=${orm}&page=2&pageSize=20`)
      expect(page2.body).toMatchObject({ total: 25, page: 2, pageSize: 20 })
      expect(page2.body.items.map((p: { id: number }) => p.id)).toEqual(adaPosts.slice(20))

      const published = await call("GET", `/posts?published=true&author=${encodeURIComponent(ada.name)}&tag=${orm}&pageSize=50`)
      expect(published.body.total).toBe(13)
      expect(published.body.items.every((p: { published: boolean }) => p.published)).toBe(true)

      const drafts = await call("GET", `/posts?published=false&author=${encodeURIComponent(ada.name)}`)
      expect(drafts.body.total).toBe(12)

      const sqlAll = await call("GET", `/posts?tag=${sql}&pageSize=100`)
      expect(sqlAll.body.total).toBe(9 + 5)
      const sqlAda = await call("GET", `/posts?tag=${sql}&author=${encodeURIComponent(ada.name)}`)
      expect(sqlAda.body.total).toBe(9)
      for (const item of sqlAda.body.items) {
        expect(item.tags.map((t: { name: string }) => t.name).sort()).toEqual([orm, sql].sort())
      }

      expect((await call("GET", `/posts?tag=${unique("none")}`)).body).toEqual({ items: [], total: 0, page: 1, pageSize: 20 })
      expect((await call("GET", `/posts?author=${encodeURIComponent(bob.name)}&tag=${orm}`)).body.total).toBe(0)

      for (const query of ["pageSize=0", "pageSize=101", "page=0", "page=x", "published=yes"]) {
        const reply = await call("GET", `/posts?${query}`)
        expect(reply.status).toBe(422)
        expect(reply.body.issues).toHaveLength(1)
      }
      expect((await call("GET", "/authors?pageSize=1000")).status).toBe(422)
    })

    it("POST /posts/:id/publish sets published and counts it on the author, once, in one transaction", async () => {
      const author = await newAuthor()
      const ids: Array<number> = []
      for (let i = 0; i < 3; i++) ids.push((await call("POST", "/posts", { title: `P${i}`, authorId: author.id })).body.id)

      const first = await call("POST", `/posts/${ids[0]}/publish`)
      expect(first.status).toBe(200)
      expect(first.body).toMatchObject({ id: ids[0], published: true, author: { id: author.id, publishedCount: 1 } })

      // Publishing again changes nothing.
      const again = await call("POST", `/posts/${ids[0]}/publish`)
      expect(again.body.author.publishedCount).toBe(1)

      // Concurrent publishes of the other two: each counts once.
      const replies = await Promise.all(ids.slice(1).map((id) => call("POST", `/posts/${id}/publish`)))
      expect(replies.map((r) => r.status)).toEqual([200, 200])
      expect((await call("GET", `/authors/${author.id}`)).body.publishedCount).toBe(3)
      const listed = await call("GET", `/posts?published=true&author=${encodeURIComponent(author.name)}`)
      expect(listed.body.total).toBe(3)

      const missing = await call("POST", "/posts/777777/publish")
      expect(missing.status).toBe(404)
      expect(missing.body).toEqual({ error: "NotFound", message: "Post not found" })
    })

    it("tags: create and list; 409 on a duplicate name, 422, 400", async () => {
      const name = unique("tag")
      const created = await call("POST", "/tags", { name })
      expect(created.status).toBe(201)
      expect(created.body).toEqual({ id: expect.any(Number), name })

      const list = await call("GET", "/tags")
      expect(list.status).toBe(200)
      expect(list.body.items).toContainEqual(created.body)
      expect(list.body.total).toBe(list.body.items.length)

      const duplicate = await call("POST", "/tags", { name })
      expect(duplicate.status).toBe(409)
      expectNoLeak(duplicate, name)

      const invalid = await call("POST", "/tags", {})
      expect(invalid.status).toBe(422)
      expect(invalid.body.issues.map((i: { path: string }) => i.path)).toContain("name")
      expect((await call("POST", "/tags", undefined, "nope")).status).toBe(400)
    })

    it("an unknown route is a JSON 404", async () => {
      const reply = await call("GET", "/nothing-here")
      expect(reply.status).toBe(404)
      expect(reply.body.error).toBe("NotFound")
    })
  })
}
