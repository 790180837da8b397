// Starts and stops a throwaway MariaDB server for tests and the benchmark: Debian's
// mariadb-server (installed with apt-get when missing), its data, socket and logs in a temp
// dir, listening on a free loopback port. Run as the `mysql` user when started by root.
// Only the server started here is ever stopped, by its own pid.
import { spawn, spawnSync } from "node:child_process"
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { alive, aptInstall, freePort, isRoot } from "./servers.mjs"

export const TEST_PASSWORD = "ferro-test-pw"
export const TEST_USER = "ferro"
export const TEST_DATABASE = "ferro"


// mariadbd and mariadb-install-db live in /usr/sbin and /usr/bin, which a minimal PATH may leave out.
const findBinary = (name) => {
  for (const dir of ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/sbin", "/bin"]) {
    const path = join(dir, name)
    if (existsSync(path)) return path
  }
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, name))) return join(dir, name)
  }
  return null
}

const findBinaries = () => {
  const server = findBinary("mariadbd")
  const installDb = findBinary("mariadb-install-db")
  const client = findBinary("mariadb")
  return server && installDb && client ? { server, installDb, client } : null
}

const install = () => aptInstall("mariadb-server", "MariaDB (mariadbd)")

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/** Whether pid is a MariaDB server (so a recycled pid is never signalled). */
const isMariadbd = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "mariadbd"
  } catch {
    return false
  }
}

/** SIGTERM (a clean shutdown), waiting up to `graceMs` for the exit, then SIGKILL. */
const kill = (pid, graceMs = 30_000) => {
  if (!alive(pid)) return
  try {
    process.kill(pid, "SIGTERM")
  } catch {
    return
  }
  const deadline = Date.now() + graceMs
  while (alive(pid) && Date.now() < deadline) sleep(20)
  if (!alive(pid)) return
  try {
    process.kill(pid, "SIGKILL")
  } catch {}
  const hardDeadline = Date.now() + 10_000
  while (alive(pid) && Date.now() < hardDeadline) sleep(20)
}

const readPid = (file) => {
  try {
    const pid = Number(readFileSync(file, "utf8").trim())
    return Number.isInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}

/**
 * Stops servers this tooling started for a run that died without stopping them (a killed
 * vitest never runs its teardown, and the server is detached from the run's terminal). Each
 * server's temp dir names the process that owns it (owner.pid) and the server (server.pid,
 * written at spawn); only dirs whose owner is gone are stopped and removed.
 */
const reapOrphans = () => {
  let entries = []
  try {
    entries = readdirSync(tmpdir()).filter((name) => name.startsWith("ferro-mariadb-"))
  } catch {
    return
  }
  for (const name of entries) {
    const root = join(tmpdir(), name)
    const owner = readPid(join(root, "owner.pid"))
    if (owner === null || alive(owner)) continue
    const pid = readPid(join(root, "server.pid"))
    // Throwaway data: no clean shutdown needed.
    if (pid !== null && isMariadbd(pid)) kill(pid, 0)
    rmSync(root, { recursive: true, force: true })
  }
}

const mysqlIds = () => {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("mysql:"))
  if (!line) throw new Error("no mysql user on this machine (the mariadb-server package creates it)")
  const [, , uid, gid] = line.split(":")
  return { uid: Number(uid), gid: Number(gid) }
}

/** Runs SQL as root over the server's socket (root has no password there); SQL goes on stdin, never argv. */
const rootSql = (client, socket, sql, timeoutMs = 30_000) =>
  spawnSync(client, ["--no-defaults", "--protocol=socket", `--socket=${socket}`, "--user=root", "--connect-timeout=2", "--batch", "--skip-column-names"], {
    input: sql,
    encoding: "utf8",
    timeout: timeoutMs,
  })

const logTail = (root) => {
  try {
    return readFileSync(join(root, "server.log"), "utf8").slice(-2000)
  } catch {
    return ""
  }
}

/**
 * Starts a server. Returns `{ url, pid, port, dataDir, stop, restart }`; `url` connects over TCP as
 * `ferro` (password TEST_PASSWORD, every privilege) to the empty database `ferro`. `stop()` and
 * `restart()` are synchronous, like the PostgreSQL helper's.
 */
export const startMariadb = async ({ timeoutMs = 60_000 } = {}) => {
  let bins = findBinaries()
  if (bins === null) {
    install()
    bins = findBinaries()
    if (bins === null) throw new Error("mariadb-server installed but mariadbd, mariadb-install-db or mariadb was not found")
  }
  reapOrphans()
  const root = mkdtempSync(join(tmpdir(), "ferro-mariadb-"))
  const dataDir = join(root, "data")
  const socket = join(root, "mysqld.sock")
  if (Buffer.byteLength(socket) > 100) {
    rmSync(root, { recursive: true, force: true })
    throw new Error(`the socket path ${socket} is too long for a Unix socket; set TMPDIR to a shorter directory`)
  }
  // The process that owns this server: a later start stops the server if this process died.
  writeFileSync(join(root, "owner.pid"), String(process.pid))
  const asRoot = isRoot()
  if (asRoot) {
    const { uid, gid } = mysqlIds()
    chownSync(root, uid, gid)
  }
  chmodSync(root, 0o700)
  const userArgs = asRoot ? ["--user=mysql"] : []
  const fail = (message) => {
    const log = logTail(root)
    rmSync(root, { recursive: true, force: true })
    return new Error(`${message}${log ? `\n${log}` : ""}`)
  }

  const installed = spawnSync(
    bins.installDb,
    [
      "--no-defaults", ...userArgs, `--datadir=${dataDir}`, "--auth-root-authentication-method=normal",
      "--skip-test-db", "--skip-name-resolve",
    ],
    { encoding: "utf8", timeout: timeoutMs },
  )
  if (installed.status !== 0) {
    const reason = installed.error !== undefined ? installed.error.message : installed.stderr || installed.stdout
    throw fail(`mariadb-install-db failed (${installed.status ?? installed.signal}): ${reason}`)
  }

  const port = await freePort()
  const serverArgs = [
    // First, so /etc/mysql's configuration is never read.
    "--no-defaults",
    ...userArgs,
    `--datadir=${dataDir}`, `--socket=${socket}`, `--pid-file=${join(root, "mysqld.pid")}`,
    `--log-error=${join(root, "server.log")}`, `--tmpdir=${root}`,
    "--skip-networking=0", "--bind-address=127.0.0.1", `--port=${port}`, "--skip-name-resolve",
    // Throwaway data: durability off for speed.
    "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0", "--sync-binlog=0", "--skip-log-bin",
    // MariaDB's own default packet limit (16 MiB), as users meet it: bulk writes must stay under it.
    "--innodb-buffer-pool-size=256M", "--max-allowed-packet=16M",
    "--max-connections=300",
    "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
  ]

  let pid = 0
  const spawnServer = () => {
    // Detached: its own process group, so a Ctrl-C meant for the run does not kill it before
    // stop() does (stop() and reapOrphans() are what end it).
    const child = spawn(bins.server, serverArgs, { detached: true, stdio: "ignore" })
    child.on("error", () => {})
    child.unref()
    if (child.pid === undefined) throw new Error(`could not start ${bins.server}`)
    pid = child.pid
    writeFileSync(join(root, "server.pid"), String(pid))
  }

  /** Polls the socket until the server answers (or exits, or the timeout passes). */
  const waitReady = () => {
    const deadline = Date.now() + timeoutMs
    let last = ""
    for (;;) {
      const probe = rootSql(bins.client, socket, "SELECT 1", 5_000)
      if (probe.status === 0) return
      last = probe.stderr || (probe.error?.message ?? "")
      if (!alive(pid)) throw new Error(`mariadbd exited while starting: ${last}`)
      if (Date.now() > deadline) throw new Error(`mariadbd did not accept connections within ${timeoutMs} ms: ${last}`)
      sleep(25)
    }
  }

  try {
    spawnServer()
    waitReady()
    const q = (s) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`
    const setup = ["127.0.0.1", "localhost"]
      .flatMap((host) => [
        `CREATE USER ${q(TEST_USER)}@${q(host)} IDENTIFIED BY ${q(TEST_PASSWORD)};`,
        `GRANT ALL PRIVILEGES ON *.* TO ${q(TEST_USER)}@${q(host)} WITH GRANT OPTION;`,
      ])
      .concat([`CREATE DATABASE \`${TEST_DATABASE}\`;`])
      .join("\n")
    const created = rootSql(bins.client, socket, setup)
    if (created.status !== 0) throw new Error(`creating the ${TEST_USER} user and database failed: ${created.stderr}`)
  } catch (error) {
    if (pid) kill(pid, 5_000)
    throw fail(error instanceof Error ? error.message : String(error))
  }

  const url = `mysql://${TEST_USER}:${TEST_PASSWORD}@127.0.0.1:${port}/${TEST_DATABASE}`
  let stopped = false
  const server = {
    url,
    pid,
    port,
    dataDir,
    socket,
    /** Stops the server (SIGTERM, SIGKILL after 30 s) and removes its temp dir. */
    stop: () => {
      if (stopped) return
      stopped = true
      kill(pid)
      rmSync(root, { recursive: true, force: true })
    },
    /** Stops the server cleanly (every connection is closed) and starts it again on the same port, waiting until it accepts connections. */
    restart: () => {
      if (stopped) throw new Error("the server was stopped")
      kill(pid)
      spawnServer()
      server.pid = pid
      waitReady()
    },
  }
  return server
}

// CLI: `node tooling/testing/mariadb.mjs` starts a server, prints its URL, stops on Ctrl-C.
if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startMariadb()
  console.log(server.url)
  const stop = () => {
    server.stop()
    process.exit(0)
  }
  process.on("SIGINT", stop)
  process.on("SIGTERM", stop)
  setInterval(() => {}, 1 << 30)
}
