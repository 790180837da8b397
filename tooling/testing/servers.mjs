// What the throwaway database servers of the test tooling (postgres.mjs, mariadb.mjs) share:
// root detection, Debian installs, a free loopback port, and whether a pid is alive.
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"

export const isRoot = () => process.getuid?.() === 0

/** Installs Debian `packageName` with apt-get (root only; says what to run otherwise). */
export const aptInstall = (packageName, what) => {
  if (!isRoot()) throw new Error(`${what} is not installed and installing it needs root: apt-get install -y --no-install-recommends ${packageName}`)
  console.error(`• installing Debian's ${packageName} package (apt-get)`)
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env })
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", packageName], { stdio: "inherit", env })
}

/** A TCP port nothing listens on at 127.0.0.1 right now. */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

/**
 * Whether a process with this pid is alive. A server this process spawned stays a zombie
 * (which signal 0 still reaches) until Node reaps it, which a synchronous wait never lets
 * happen: /proc tells a zombie apart.
 */
export const alive = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // The state follows the command name, which is in parentheses and may contain spaces.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3)
    return state !== "Z" && state !== "X"
  } catch (error) {
    if (error?.code === "ENOENT" || error?.code === "ESRCH") return false
  }
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error?.code === "EPERM"
  }
}
