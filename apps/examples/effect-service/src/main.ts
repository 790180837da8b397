/**
 * Serves the service: `DATABASE_URL` (default `sqlite:./effect-service.db`; `postgres://…`
 * works too) with autoMigrate, on `PORT` (default 3000). Ctrl-C interrupts the main fiber,
 * which releases the layers: the server closes, then Ferro disconnects.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Layer } from "effect"
import { makeServer } from "./app.js"

const url = process.env.DATABASE_URL ?? "sqlite:./effect-service.db"
const port = Number(process.env.PORT ?? 3000)

const ServerLive = makeServer({ url, port, host: process.env.HOST ?? "0.0.0.0" })

Layer.launch(ServerLive).pipe(NodeRuntime.runMain)
