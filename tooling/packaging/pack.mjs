// Packs the public packages as they would be published and builds fresh projects from the
// tarballs outside the workspace, the way a user's `npm i ferro-orm` meets them.
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..")

/** Every package a user may install: packages/* that are not private. */
export const publicPackages = () =>
  readdirSync(join(root, "packages"))
    .map((dir) => join(root, "packages", dir))
    .filter((dir) => existsSync(join(dir, "package.json")))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) }))
    .filter(({ manifest }) => manifest.private !== true)

const pnpm = () => {
  const local = join(root, "node_modules", ".bin", "pnpm")
  return existsSync(local) ? local : "pnpm"
}

/**
 * `pnpm pack` of every public package into `outDir` (workspace: ranges become versions;
 * prepack scripts run, so @ferro/sqlite-native carries its prebuilt binary). Returns
 * `{ name -> tarball path }`.
 */
export const packAll = (outDir) => {
  mkdirSync(outDir, { recursive: true })
  const tarballs = {}
  for (const { dir, manifest } of publicPackages()) {
    const before = new Set(readdirSync(outDir))
    execFileSync(pnpm(), ["pack", "--pack-destination", outDir], { cwd: dir, stdio: "pipe", encoding: "utf8" })
    const made = readdirSync(outDir).filter((f) => f.endsWith(".tgz") && !before.has(f))
    if (made.length !== 1) throw new Error(`pnpm pack of ${manifest.name} made ${made.length} tarballs`)
    tarballs[manifest.name] = join(outDir, made[0])
  }
  return tarballs
}

/** The file list of a tarball. */
export const tarballFiles = (tarball) =>
  execFileSync("tar", ["tzf", tarball], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean)
    .map((line) => line.replace(/^package\//, ""))

/**
 * A fresh project in `dir` depending on `packages` (names of packed packages, taken from the
 * tarballs, with every @ferro/* dependency pinned to its tarball through overrides) and on
 * `registry` (name -> range, fetched from the npm registry).
 */
export const writeProject = (dir, { tarballs, packages, registry = {}, devRegistry = {}, pnpmSettings = "" }) => {
  mkdirSync(dir, { recursive: true })
  // Overrides for the requested packages and their dependency closure only: an override of an
  // optional peer (say @ferro/sqlite-native) would make pnpm install it.
  const manifests = Object.fromEntries(publicPackages().map(({ manifest }) => [manifest.name, manifest]))
  const closure = new Set()
  const visit = (name) => {
    if (closure.has(name) || tarballs[name] === undefined) return
    closure.add(name)
    for (const dep of Object.keys(manifests[name]?.dependencies ?? {})) visit(dep)
  }
  packages.forEach(visit)
  const local = Object.fromEntries([...closure].map((name) => [name, `file:${tarballs[name]}`]))
  const manifest = {
    name: "ferro-user-project",
    version: "1.0.0",
    private: true,
    type: "module",
    dependencies: { ...Object.fromEntries(packages.map((name) => [name, local[name]])), ...registry },
    devDependencies: devRegistry,
    overrides: local,
  }
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`)
  // pnpm (11+) reads overrides from pnpm-workspace.yaml only; nothing else is set there, so
  // every other pnpm setting keeps its default.
  const yaml = Object.entries(local).map(([name, spec]) => `  ${JSON.stringify(name)}: ${JSON.stringify(spec)}`)
  writeFileSync(join(dir, "pnpm-workspace.yaml"), `overrides:\n${yaml.join("\n")}\n${pnpmSettings}`)
  return dir
}

/** Runs a command in `cwd`; returns `{ status, output, ms }` (never throws). */
export const run = (command, args, cwd, env = {}) => {
  const started = process.hrtime.bigint()
  const result = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 })
  const ms = Number((process.hrtime.bigint() - started) / 1_000_000n)
  return { status: result.status ?? 1, output: `${result.stdout ?? ""}${result.stderr ?? ""}`, ms }
}

/** `npm install` in `dir` with its own empty cache, so nothing is shared with other runs. */
export const npmInstall = (dir, cache = join(dir, ".npm-cache")) =>
  run("npm", ["install", "--no-audit", "--no-fund", "--foreground-scripts", "--cache", cache], dir, {
    // Workspace settings must not leak into the user's project.
    npm_config_nodedir: "",
    npm_config_workspaces: "",
  })

/** Lines of an install log that show a native compile (node-gyp or a compiler run). */
export const compileSteps = (output) =>
  output.split("\n").filter((line) => /gyp info spawn make|\bCXX\(target\)|\bCC\(target\)|prebuild-install warn/.test(line))

/** Disk use of a directory in bytes (du -sb). */
export const diskBytes = (dir) => Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0])
