/**
 * Ferro's native SQLite engine with `identityMap: false`, on the read workloads: the engine alone,
 * without the weak identity map, to show what the map costs per row.
 *
 * @module
 */
import type { OpenSession } from "../contestant.js"
import { openFerro } from "./ferro.js"

const open: OpenSession = (config) => openFerro(config, "native", { identityMap: false })

export default open
