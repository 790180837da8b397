#!/usr/bin/env node
// Install cost as an npm user meets it, measured side by side in one run: fresh projects,
// each with its own empty npm cache (so every byte comes from the registry or a tarball),
//   ferro:   the packed ferro-orm tarballs + better-sqlite3 + effect
//   drizzle: drizzle-orm + better-sqlite3
// Prints wall time, node_modules size and compile steps of each, and the ratios.
// Usage: node tooling/packaging/measure.mjs  (after `npm run build`)
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { compileSteps, diskBytes, npmInstall, packAll, writeProject } from "./pack.mjs"

const work = mkdtempSync(join(tmpdir(), "ferro-measure-"))
try {
  const tarballs = packAll(join(work, "tarballs"))
  const projects = {
    ferro: { packages: ["ferro-orm"], registry: { "better-sqlite3": "^13.2.0", effect: "^4.1.0" } },
    drizzle: { packages: [], registry: { "drizzle-orm": "^0.45.4", "better-sqlite3": "^13.2.0" } },
  }
  const results = {}
  // Interleaved rounds so a slow moment of the network or the disk hits both.
  const rounds = Number(process.env.ROUNDS ?? 2)
  for (let round = 0; round < rounds; round++) {
    for (const [name, spec] of Object.entries(projects)) {
      const dir = join(work, `${name}-${round}`)
      writeProject(dir, { tarballs, ...spec })
      const cache = join(work, `cache-${name}-${round}`)
      const result = npmInstall(dir, cache)
      if (result.status !== 0) throw new Error(`${name}: npm install failed\n${result.output.slice(-3000)}`)
      const entry = (results[name] ??= { ms: [], bytes: 0, compiles: 0 })
      entry.ms.push(result.ms)
      entry.bytes = diskBytes(join(dir, "node_modules"))
      entry.compiles = compileSteps(result.output).length
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name.padEnd(8)} install ${(median(r.ms) / 1000).toFixed(1)} s (runs: ${r.ms.map((ms) => (ms / 1000).toFixed(1)).join(", ")})  node_modules ${(r.bytes / 1e6).toFixed(1)} MB  compile steps ${r.compiles}`)
  }
  const f = results.ferro
  const d = results.drizzle
  console.log(`ratio ferro/drizzle: time ×${(median(f.ms) / median(d.ms)).toFixed(2)}, size ×${(f.bytes / d.bytes).toFixed(2)}`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
