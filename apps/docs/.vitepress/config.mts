import { existsSync, readFileSync, readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { defineConfig, type DefaultTheme } from "vitepress"

const docs = join(dirname(fileURLToPath(import.meta.url)), "..")

/**
 * Guides that come first, in reading order; every other `guide/*.md` follows alphabetically,
 * so a new guide appears in the sidebar without editing this file.
 */
export const GUIDE_ORDER = [
  "getting-started",
  "models",
  "queries",
  "relations",
  "transactions",
  "sessions",
  "effect",
  "migrations",
  "engines",
]

/** The guide pages, in sidebar order, titled by their first `# ` heading. */
export function guidePages(): Array<{ slug: string; title: string }> {
  const slugs = readdirSync(join(docs, "guide"))
    .filter((file) => file.endsWith(".md"))
    .map((file) => file.slice(0, -3))
  const rank = (slug: string) => {
    const index = GUIDE_ORDER.indexOf(slug)
    return index === -1 ? GUIDE_ORDER.length : index
  }
  slugs.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
  return slugs.map((slug) => {
    const text = readFileSync(join(docs, "guide", `${slug}.md`), "utf8")
    const title = /^#\s+(.+)$/m.exec(text)?.[1]?.trim() ?? slug.replace(/-/g, " ")
    return { slug, title }
  })
}

/** The API reference's sidebar, written by typedoc-vitepress-theme (`npm run docs:build` runs TypeDoc first). */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  const file = join(docs, "api", "typedoc-sidebar.json")
  const items: DefaultTheme.SidebarItem[] = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : []
  // The package users install first, then the @ferro/* packages it bundles.
  items.sort((a, b) => Number(b.text === "ferro-orm") - Number(a.text === "ferro-orm"))
  return [{ text: "API reference", link: "/api/", items: items.map((item) => ({ ...item, collapsed: true })) }]
}

const guideSidebar: DefaultTheme.SidebarItem[] = [
  { text: "Introduction", items: [{ text: "Install", link: "/install" }] },
  { text: "Guide", items: guidePages().map(({ slug, title }) => ({ text: title, link: `/guide/${slug}` })) },
  {
    text: "Reference",
    items: [
      { text: "Errors", link: "/errors" },
      { text: "Performance", link: "/performance" },
      { text: "API reference", link: "/api/" },
    ],
  },
]

export default defineConfig({
  title: "Ferro",
  description: "A high-performance, async-first ORM for TypeScript on Node.js, built on Effect Schema.",
  lang: "en-US",
  cleanUrls: true,
  lastUpdated: false,
  // The samples' own scratch files and the package README are not pages.
  srcExclude: ["README.md", ".samples/**", "test/**", ".screenshots/**"],
  head: [
    ["link", { rel: "icon", type: "image/svg+xml", href: "/favicon.svg" }],
    ["meta", { name: "theme-color", content: "#b7410e" }],
  ],
  markdown: {
    theme: { light: "github-light", dark: "github-dark" },
    config(md) {
      // TypeDoc's markdown escapes braces for markdown (`\{\{`), which still renders `{{`: in
      // the generated API pages, text braces become entities so Vue does not read them as
      // template interpolation.
      const text = md.renderer.rules.text!
      md.renderer.rules.text = (tokens, idx, options, env, self) => {
        const html = text(tokens, idx, options, env, self)
        return String(env?.relativePath ?? "").startsWith("api/") ? html.replace(/\{/g, "&#123;").replace(/\}/g, "&#125;") : html
      }
    },
  },
  themeConfig: {
    logo: "/favicon.svg",
    nav: [
      { text: "Guide", link: "/guide/getting-started", activeMatch: "^/(guide/|install)" },
      { text: "Errors", link: "/errors" },
      { text: "Performance", link: "/performance" },
      { text: "API", link: "/api/", activeMatch: "^/api/" },
    ],
    sidebar: {
      "/api/": apiSidebar(),
      "/": guideSidebar,
    },
    search: {
      provider: "local",
      options: {
        miniSearch: {
          // The guides explain, the API reference lists: a word found in both ranks the guides
          // first. (Serialized into the client: the function must stand alone.)
          searchOptions: { boostDocument: (id: string) => (id.startsWith("/api/") ? 0.2 : 1) },
        },
      },
    },
    outline: { level: [2, 3] },
    socialLinks: [],
    footer: { message: "Released under the MIT License." },
  },
  vite: {
    // No CDN, no telemetry: everything the site needs is bundled at build time.
    server: { fs: { allow: [join(docs, "..", "..")] } },
  },
})
