// Finds a headless Chromium for browser tests: Debian's `chromium` package (installed with
// apt-get when missing; CI runs as root on a fresh Debian machine). Browser builds of their own
// (`npx playwright install`) cannot be downloaded here, so playwright-core drives this one.
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]

/** Flags Chromium needs as root in a container, with nothing of its own reaching the network. */
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]

const find = () => {
  const given = process.env.FERRO_CHROMIUM
  if (given) {
    if (!existsSync(given)) throw new Error(`FERRO_CHROMIUM=${given}: no such file`)
    return given
  }
  return CANDIDATES.find((path) => existsSync(path)) ?? null
}

/** Path of a Chromium executable, installing Debian's `chromium` package first when none is there. */
export const ensureChromium = () => {
  const found = find()
  if (found !== null) return found
  if (process.platform !== "linux" || process.getuid?.() !== 0) {
    throw new Error("Chromium is missing: install it (Debian: apt-get install -y chromium) or set FERRO_CHROMIUM to its path")
  }
  console.error("• installing Debian's chromium package (apt-get)")
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  execFileSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "inherit", "inherit"], env })
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], { stdio: ["ignore", "inherit", "inherit"], env })
  const installed = find()
  if (installed === null) throw new Error("apt-get installed chromium but no executable was found at /usr/bin/chromium")
  return installed
}

// CLI: `node tooling/testing/chromium.mjs` installs when missing and prints the path.
if (import.meta.url === `file://${process.argv[1]}`) console.log(ensureChromium())
