/**
 * Ferro's lazy results on the native engine (`all({ lazy: true })`): row views over columnar
 * data, created but not materialised. Read workloads only.
 *
 * @module
 */
import type { OpenSession } from "../contestant.js"
import { openFerro } from "./ferro.js"

const open: OpenSession = (config) => openFerro(config, "lazy")

export default open
