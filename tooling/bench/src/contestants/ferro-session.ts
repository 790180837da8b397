/**
 * Ferro's generated-JS engine with every read call inside its own `session()`, on the read,
 * grouped-aggregate and relation-filter workloads (the last two with the query-power API, see
 * `ferro.ts`): the identity map of a unit of work is held strongly for the session's lifetime,
 * so hydration needs no WeakRef per row (compare with `ferro`, the connection's weak map).
 *
 * @module
 */
import type { OpenSession } from "../contestant.js"
import { openFerro } from "./ferro.js"

const open: OpenSession = (config) => openFerro(config, "js", { inSession: true })

export default open
