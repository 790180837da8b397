/**
 * Serves the blog API: `DATABASE_URL` (default `sqlite:data/blog.db`; `postgres://…` works
 * too) with autoMigrate, on `PORT` (default 3000).
 */
import { serve } from "@hono/node-server"
import { connect, disconnect } from "ferro-orm"
import { createApp } from "./app.js"

const url = process.env.DATABASE_URL ?? "sqlite:data/blog.db"
const port = Number(process.env.PORT ?? 3000)

await connect(url, { autoMigrate: true })
const server = serve({ fetch: createApp().fetch, port }, (info) => {
  console.log(`blog-api listening on http://localhost:${info.port}`)
})

const shutdown = () => {
  server.close(() => void disconnect().then(() => process.exit(0)))
}
process.on("SIGINT", shutdown)
process.on("SIGTERM", shutdown)
