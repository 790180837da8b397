// Starts and stops a throwaway PostgreSQL server for tests: Debian's postgresql binaries
// (installed with apt-get when missing), run as the `postgres` user (PostgreSQL refuses root),
// on a free loopback port, with data and socket in a temp dir. Only the server started here
// is ever stopped, by its own data dir and pid.
import { execFileSync, spawnSync } from "node:child_process"
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir, userInfo } from "node:os"
import { join } from "node:path"
import { alive, aptInstall, freePort, isRoot } from "./servers.mjs"

export const TEST_PASSWORD = "ferro-test-pw"

const findBinDir = () => {
  const base = "/usr/lib/postgresql"
  if (!existsSync(base)) return null
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a))
  return versions.length ? join(base, versions[0], "bin") : null
}

const install = () => aptInstall("postgresql", "PostgreSQL")

/** Runs a PostgreSQL binary as the postgres user (directly when not root). */
const runAsPostgres = (bin, args, options = {}) => {
  // runuser lives in /usr/sbin, which a minimal PATH (CI, cron) may leave out.
  const runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].find((p) => existsSync(p)) ?? "runuser"
  const [command, argv] = isRoot() ? [runuser, ["-u", "postgres", "--", bin, ...args]] : [bin, args]
  const result = spawnSync(command, argv, { encoding: "utf8", ...options })
  if (result.status !== 0) {
    const reason = result.error !== undefined ? String(result.error.message) : result.stderr || result.stdout
    throw new Error(`${bin} ${args.join(" ")} failed (${result.status ?? result.signal}): ${reason}`)
  }
  return result.stdout
}

/**
 * Stops servers this tooling started for a run that died without stopping them (a killed
 * vitest never runs its teardown). Each server's temp dir names the process that owns it
 * (owner.pid); only dirs whose owner is gone are stopped and removed. Servers of live runs,
 * and anything this tooling did not start, are left alone.
 */
const reapOrphans = (binDir) => {
  let entries = []
  try {
    entries = readdirSync(tmpdir()).filter((name) => name.startsWith("ferro-pg-"))
  } catch {
    return
  }
  for (const name of entries) {
    const root = join(tmpdir(), name)
    let owner
    try {
      owner = Number(readFileSync(join(root, "owner.pid"), "utf8"))
    } catch {
      continue
    }
    if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) continue
    try {
      if (existsSync(join(root, "data", "postmaster.pid"))) {
        runAsPostgres(join(binDir, "pg_ctl"), ["-D", join(root, "data"), "-m", "immediate", "-w", "stop"])
      }
    } catch {}
    rmSync(root, { recursive: true, force: true })
  }
}

/**
 * Starts a server. Returns `{ url, pid, dataDir, stop, restart }`; `url` authenticates with a password
 * (scram-sha-256) so wrong-password behaviour can be tested.
 */
export const startPostgres = async () => {
  let binDir = findBinDir()
  if (binDir === null) {
    install()
    binDir = findBinDir()
    if (binDir === null) throw new Error("postgresql installed but initdb was not found under /usr/lib/postgresql")
  }
  reapOrphans(binDir)
  const root = mkdtempSync(join(tmpdir(), "ferro-pg-"))
  const dataDir = join(root, "data")
  const socketDir = join(root, "socket")
  const passwordFile = join(root, "pw")
  for (const dir of [dataDir, socketDir]) execFileSync("mkdir", ["-p", dir])
  writeFileSync(passwordFile, `${TEST_PASSWORD}\n`)
  // The process that owns this server: a later start stops the server if this process died.
  writeFileSync(join(root, "owner.pid"), String(process.pid))
  if (isRoot()) {
    const { uid, gid } = (() => {
      const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"))
      if (!line) throw new Error("no postgres user on this machine")
      const [, , u, g] = line.split(":")
      return { uid: Number(u), gid: Number(g) }
    })()
    for (const path of [root, dataDir, socketDir, passwordFile]) chownSync(path, uid, gid)
  }
  chmodSync(root, 0o700)
  runAsPostgres(join(binDir, "initdb"), [
    "-D", dataDir, "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
    "--auth-local=trust", "--auth-host=scram-sha-256", `--pwfile=${passwordFile}`,
  ])
  const port = await freePort()
  const options = [
    "-c listen_addresses=127.0.0.1", `-p ${port}`, `-k ${socketDir}`,
    // Throwaway data: durability off for speed.
    "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
    "-c max_connections=300", "-c shared_buffers=64MB",
  ].join(" ")
  try {
    runAsPostgres(join(binDir, "pg_ctl"), ["-D", dataDir, "-l", join(root, "server.log"), "-w", "-t", "60", "-o", options, "start"])
  } catch (error) {
    // Stop whatever may have started from our data dir, then clean up; never leave it behind.
    try {
      runAsPostgres(join(binDir, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"])
    } catch {}
    let log = ""
    try {
      log = readFileSync(join(root, "server.log"), "utf8").slice(-2000)
    } catch {}
    rmSync(root, { recursive: true, force: true })
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${log}`)
  }
  const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0])
  const url = `postgres://postgres:${TEST_PASSWORD}@127.0.0.1:${port}/postgres`
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    try {
      runAsPostgres(join(binDir, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"])
    } catch {
      try {
        process.kill(pid, "SIGQUIT")
      } catch {}
    }
    rmSync(root, { recursive: true, force: true })
  }
  /** `pg_ctl restart` (fast shutdown: every connection is terminated), waiting until it accepts connections again. */
  const restart = () => {
    if (stopped) throw new Error("the server was stopped")
    runAsPostgres(join(binDir, "pg_ctl"), ["-D", dataDir, "-l", join(root, "server.log"), "-m", "fast", "-w", "-t", "60", "restart"])
  }
  return { url, pid, port, dataDir, stop, restart, user: userInfo().username }
}

// CLI: `node tooling/testing/postgres.mjs` starts a server, prints its URL, stops on Ctrl-C.
if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startPostgres()
  console.log(server.url)
  const stop = () => {
    server.stop()
    process.exit(0)
  }
  process.on("SIGINT", stop)
  process.on("SIGTERM", stop)
  setInterval(() => {}, 1 << 30)
}
