/**
 * Ferro's generated-JS engine on the stream only, as a partial select:
 * `StreamRow.select((r) => ({ id: r.id, n: r.n, label: r.label })).orderBy((r) => r.id).stream({ batchSize })`
 * (plain objects, not instances, not in the identity map; SPEC §2 "Streaming"), to set beside
 * `ferro`'s stream of instances. "–" until the build has `stream()` (see `ferro.ts`).
 *
 * @module
 */
import type { OpenSession } from "../contestant.js"
import { openFerro } from "./ferro.js"

const open: OpenSession = (config) => openFerro(config, "js", { partialStream: true })

export default open
