/**
 * Deterministic hostile strings for the reliability suite: a seeded PRNG (mulberry32) picks
 * fragments that break naive quoting, escaping, LIKE patterns, comment handling and Unicode
 * handling. Same seed, same strings, every run.
 */

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export const prng = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Fragments that are well-formed Unicode (no lone surrogate halves) and contain no NUL. */
export const FRAGMENTS: ReadonlyArray<string> = [
  "'", "''", '"', '""', "`", "\\", "\\\\", "\\'", "\\\"", "\\n", "\\x00", "\\u0000", "\\0",
  "'; DROP TABLE rel_sentinel; --", '"; DROP TABLE rel_sentinel; --', "'); DELETE FROM rel_sentinel; --",
  "' OR '1'='1", "1 OR 1=1", "--", "-- comment", "/*", "*/", "/* x */", "#", ";", "; SELECT 1;",
  "%", "_", "%%", "__", "\\%", "\\_", "%_%", "[a-z]", "[!x]", "^", "*", "?", "$1", "$2", "$$", "$tag$", ":name", "@p", "${x}",
  "E'\\x41'", "U&'\\0041'", "\\x41", "0x41", "char(39)", "||", "&&",
  "null", "NULL", "undefined", "true", "false", "0", "-1", "1e309", "NaN", "{}", "[]", '{"a":1}', "<script>", "&amp;",
  "\n", "\r\n", "\r", "\t", "\v", "\f", " ", "   ", "\u00a0", "\u0001", "\u001f", "\u007f", "\u0085",
  "\u2028", "\u2029", "\u200b", "\u200d", "\ufeff", "\ufffd", "\ufffe",
  "\u202e", "\u202d", "\u200f", "\u200e", "\u2066", "\u2069", "مرحبا", "עברית", "שָׁלוֹם",
  "e\u0301", "\u0301", "a\u0308\u0323", "Z\u0351\u0363\u036b\u0344", "\u1100\u1161\u11a8",
  "😀", "👨‍👩‍👧‍👦", "🏳️‍🌈", "👍🏽", "𝌆", "𐐷", "\u{10ffff}", "\u{1f600}\u{1f601}", "🇫🇷",
  "ß", "İ", "ı", "Σ", "ς", "ﬀ", "Å", "Å", "日本語", "中文", "한국어", "ไทย", "Ελληνικά", "кириллица",
]

const ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-"

export interface HostileSet {
  /** Well-formed, NUL-free strings: every backend stores them exactly. */
  readonly clean: ReadonlyArray<string>
  /** Well-formed strings holding NUL: SQLite stores them; PostgreSQL text cannot (refused with ValidationError). */
  readonly withNul: ReadonlyArray<string>
  /** Strings with a lone surrogate half: refused on every backend by the ORM's value check. */
  readonly loneSurrogates: ReadonlyArray<string>
}

const long = (next: () => number, length: number): string => {
  let out = ""
  while (out.length < length) out += FRAGMENTS[Math.floor(next() * FRAGMENTS.length)]!.replace(/[%_]/g, "")
  // Cut on a code point boundary (never leave a lone high surrogate at the end).
  out = out.slice(0, length)
  if (/[\ud800-\udbff]$/.test(out)) out = out.slice(0, -1)
  return out
}

/** `count` distinct hostile strings (at least 2,000 by default), generated from `seed`. */
export const hostileStrings = (seed = 0x5eed_f3e0, count = 2000): HostileSet => {
  const next = prng(seed)
  const pick = <T>(items: ReadonlyArray<T>): T => items[Math.floor(next() * items.length)]!
  const clean = new Set<string>(["", " ", "'", "\\", "%", "_", "--", "/*"])
  // Long strings: 1 KB, 10 KB, 100 KB and one 1 MB (1,048,576 code units, LIKE metacharacters removed
  // so an exact-match pattern stays linear).
  for (const length of [1024, 10_000, 100_000, 1_048_576]) clean.add(long(next, length))
  while (clean.size < count) {
    const parts = 1 + Math.floor(next() * 6)
    let s = ""
    for (let i = 0; i < parts; i++) {
      s += next() < 0.75 ? pick(FRAGMENTS) : Array.from({ length: 1 + Math.floor(next() * 8) }, () => pick([...ASCII])).join("")
    }
    clean.add(s)
  }
  const base = [...clean].filter((s) => s.length < 200)
  const withNul = Array.from({ length: 40 }, (_, i) => {
    // Insert on a code point boundary, so no surrogate pair is split.
    const points = [...pick(base)]
    const at = Math.floor(next() * (points.length + 1))
    return `${points.slice(0, at).join("")}\u0000${points.slice(at).join("")}#${i}`
  })
  const loneSurrogates = Array.from({ length: 20 }, (_, i) => `${pick(base)}${i % 2 ? "\ud800x" : "x\udc00"}#${i}`)
  return { clean: [...clean], withNul, loneSurrogates }
}

/** Escapes `%`, `_` and `\` so the text matches itself as a LIKE pattern (Ferro escapes with `\` on every backend). */
export const likeLiteral = (s: string): string => s.replace(/[\\%_]/g, "\\$&")

/** A short, safe description of a string for failure reports (never the 1 MB text itself). */
export const describe = (s: string): string =>
  `${JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s)} (length ${s.length})`
