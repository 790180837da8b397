/**
 * The docs site in a real headless Chromium (Debian's package, driven by playwright-core):
 * builds the site as `npm run docs:build` does (TypeDoc's API reference, then `vitepress
 * build`), serves `.vitepress/dist` from a tiny static server on a free loopback port, then
 * checks that every sidebar page and the API reference render with no console error and no
 * failed request, that the sidebar reaches every guide, that navigation and the local search
 * work and that code blocks are highlighted. Screenshots go to `.screenshots/` (git-ignored).
 *
 * Every wait is for a selector or an event, never a sleep: nothing here depends on timing.
 */
import { spawn } from "node:child_process"
import { createReadStream, existsSync, mkdirSync, readdirSync, statSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { dirname, extname, join, normalize, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { chromium, type Browser, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
// @ts-expect-error plain ESM helper shared with other test tooling
import { CHROMIUM_ARGS, ensureChromium } from "../../../tooling/testing/chromium.mjs"

const docs = join(dirname(fileURLToPath(import.meta.url)), "..")
const dist = join(docs, ".vitepress", "dist")
const shots = join(docs, ".screenshots")
const binOf = (name: string) => join(docs, "node_modules", ".bin", name)

/** Runs a command to completion without blocking the worker; its output is shown only when it fails. */
const run = (command: string, args: ReadonlyArray<string>) =>
  new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { cwd: docs, env: { ...process.env, FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => (output += chunk))
    child.stderr.on("data", (chunk: Buffer) => (output += chunk))
    child.on("error", reject)
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${[command, ...args].join(" ")} exited with ${code}:\n${output.slice(-4000)}`)),
    )
  })

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
}

/** The file a URL path names under clean URLs (`/guide/queries` -> guide/queries.html), or null. */
const fileFor = (pathname: string): string | null => {
  const decoded = decodeURIComponent(pathname)
  const base = normalize(join(dist, decoded))
  if (base !== dist && !base.startsWith(dist + sep)) return null
  for (const candidate of [base, `${base}.html`, join(base, "index.html")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate
  }
  return null
}

/** A static server for the built site on a free loopback port. */
const serve = () =>
  new Promise<{ server: Server; origin: string }>((resolve, reject) => {
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://localhost")
      const file = fileFor(url.pathname)
      const status = file === null ? 404 : 200
      const path = file ?? join(dist, "404.html")
      response.writeHead(status, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" })
      createReadStream(path).pipe(response)
    })
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }))
  })

const guides = readdirSync(join(docs, "guide"))
  .filter((file) => file.endsWith(".md"))
  .map((file) => `/guide/${file.slice(0, -3)}`)
  .sort()

let server: Server | undefined
let origin = ""
let browser: Browser | undefined

beforeAll(async () => {
  const executablePath = ensureChromium() as string
  await run(binOf("typedoc"), ["--logLevel", "Warn"])
  await run(binOf("vitepress"), ["build"])
  ;({ server, origin } = await serve())
  browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true })
})

afterAll(async () => {
  await browser?.close()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
})

/** A fresh page that records console errors, uncaught exceptions and failed requests. */
const openPage = async () => {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } })
  const problems: string[] = []
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`)
  })
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`))
  page.on("requestfailed", (request) => {
    // Leaving a page aborts the prefetches VitePress started for the links it shows.
    if (request.failure()?.errorText !== "net::ERR_ABORTED") problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`)
  })
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`)
  })
  return { page, problems }
}

/** Loads a path and waits until Vue has hydrated the page and its title is there. */
const visit = async (page: Page, path: string) => {
  await page.goto(`${origin}${path}`, { waitUntil: "load" })
  await page.waitForFunction(() => Boolean((document.querySelector("#app") as { __vue_app__?: unknown } | null)?.__vue_app__))
  await page.locator(".VPContent").waitFor()
}

/** Internal links of the sidebar shown on the current page, as paths. */
const sidebarLinks = async (page: Page) => {
  const hrefs = await page.locator(".VPSidebar a[href]").evaluateAll((links) => links.map((a) => (a as HTMLAnchorElement).href))
  return [...new Set(hrefs.filter((href) => href.startsWith(origin)).map((href) => new URL(href).pathname))]
}

describe("docs site in Chromium", () => {
  test("the home page renders its hero, install line and a highlighted sample", async () => {
    const { page, problems } = await openPage()
    await visit(page, "/")
    await expect(page.locator(".VPHero .name").innerText()).resolves.toContain("Ferro")
    await expect(page.locator(".VPHome").innerText()).resolves.toContain("npm i ferro-orm better-sqlite3 effect")
    expect(await page.locator('div[class*="language-ts"] pre.shiki span[style*="--shiki-light"]').count()).toBeGreaterThan(10)
    mkdirSync(shots, { recursive: true })
    await page.screenshot({ path: join(shots, "home.png"), fullPage: true })
    await page.close()
    expect(problems).toEqual([])
  })

  test("the sidebar reaches every guide, and every sidebar page and the API index load cleanly", async () => {
    const { page, problems } = await openPage()
    await visit(page, "/guide/getting-started")
    const links = await sidebarLinks(page)
    for (const guide of guides) expect(links).toContain(guide)
    for (const path of ["/install", "/errors", "/performance", "/api/"]) expect(links).toContain(path)
    const pages = [...new Set([...links, "/api/"])]
    const failures: Record<string, string[]> = {}
    for (const path of pages) {
      const before = problems.length
      await visit(page, path)
      // A page that rendered has its title; a missing page would show VitePress's 404.
      await page.locator(".vp-doc h1").first().waitFor()
      expect(await page.locator(".NotFound").count(), path).toBe(0)
      if (problems.length > before) failures[path] = problems.slice(before)
    }
    // The API reference has its own sidebar: every package's page loads too.
    await visit(page, "/api/")
    const apiLinks = (await sidebarLinks(page)).filter((path) => path.startsWith("/api/") && path !== "/api/")
    expect(apiLinks).toEqual(expect.arrayContaining(["/api/ferro-orm/", "/api/@ferro/core"]))
    for (const path of apiLinks) {
      const before = problems.length
      await visit(page, path)
      await page.locator(".vp-doc h1").first().waitFor()
      if (problems.length > before) failures[path] = problems.slice(before)
    }
    await page.close()
    expect(failures).toEqual({})
    expect(problems).toEqual([])
  })

  test("navigation: the sidebar moves between guides without a reload", async () => {
    const { page, problems } = await openPage()
    await visit(page, "/guide/getting-started")
    await page.evaluate(() => ((window as { __marker?: boolean }).__marker = true))
    await page.locator('.VPSidebar a[href$="/guide/transactions"]').first().click()
    // The router changes the URL first and the content when the page's chunk has loaded: wait for both.
    await page.waitForURL(/\/guide\/transactions$/)
    await page.locator(".vp-doc h1", { hasText: "Transactions" }).waitFor()
    // Client-side navigation keeps the same document.
    expect(await page.evaluate(() => (window as { __marker?: boolean }).__marker)).toBe(true)
    await page.close()
    expect(problems).toEqual([])
  })

  test("the local search finds transactions", async () => {
    const { page, problems } = await openPage()
    await visit(page, "/")
    await page.locator(".VPNavBarSearch button").click()
    const input = page.locator(".VPLocalSearchBox input")
    await input.waitFor()
    await input.fill("transaction")
    const results = page.locator(".VPLocalSearchBox .results li a")
    await results.first().waitFor()
    const hrefs = await results.evaluateAll((links) => links.map((a) => (a as HTMLAnchorElement).getAttribute("href") ?? ""))
    expect(hrefs.some((href) => href.includes("/guide/transactions"))).toBe(true)
    await page.close()
    expect(problems).toEqual([])
  })

  test("guide code blocks are highlighted by Shiki", async () => {
    const { page, problems } = await openPage()
    await visit(page, "/guide/queries")
    const blocks = page.locator('div[class*="language-ts"] pre.shiki')
    expect(await blocks.count()).toBeGreaterThan(3)
    expect(await blocks.first().locator('span[style*="--shiki-light"]').count()).toBeGreaterThan(10)
    await page.screenshot({ path: join(shots, "guide-queries.png"), fullPage: false })
    await page.close()
    expect(problems).toEqual([])
  })

  test("the performance page shows both backends' tables and charts", async () => {
    const { page, problems } = await openPage()
    await visit(page, "/performance")
    for (const id of ["sqlite", "postgres"]) await page.locator(`h2#${id}`).waitFor()
    expect(await page.locator(".bench-chart-box svg.bench-chart rect").count()).toBeGreaterThan(20)
    const firstRow = await page.locator(".bench-table").first().locator("tbody tr").first().innerText()
    expect(firstRow).toMatch(/×1\.00/)
    await page.screenshot({ path: join(shots, "performance.png"), fullPage: false })
    await page.close()
    expect(problems).toEqual([])
  })
})
