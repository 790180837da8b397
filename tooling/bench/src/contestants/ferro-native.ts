/**
 * Ferro on SQLite's native engine (`connect(url, { engine: "native" })`). Unavailable, with the
 * reason, when the connection does not report the native engine.
 *
 * @module
 */
import type { OpenSession } from "../contestant.js"
import { openFerro } from "./ferro.js"

const open: OpenSession = (config) => openFerro(config, "native")

export default open
