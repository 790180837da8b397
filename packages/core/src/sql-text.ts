/**
 * SQL-text helpers the backends' introspectors share: a tokenizer good enough to find keywords
 * and balanced parentheses, CHECK-expression extraction, type-spelling tidying, grouping.
 *
 * @module
 */

/**
 * A storage type spelled like Ferro writes it: lower case, single spaces, no space inside
 * parentheses, `", "` between arguments (`Varchar( 20 )` -> `varchar(20)`, `numeric(10,2)` ->
 * `numeric(10, 2)`). Quoted names (PostgreSQL user types such as `"Mood"`) keep their case.
 */
export const tidyType = (type: string): string => {
  const tidied = type
    .trim()
    .replace(/\s+/g, " ")
    .replace(/\s*\(\s*/g, "(")
    .replace(/\s*\)/g, ")")
    .replace(/\s*,\s*/g, ", ")
  return tidied.includes('"') ? tidied : tidied.toLowerCase()
}

export interface Token {
  readonly kind: "word" | "quoted" | "string" | "punct"
  readonly text: string
  readonly start: number
  readonly end: number
}

/**
 * Splits SQL text into words, quoted identifiers, string literals and punctuation, skipping
 * whitespace and comments: enough to find keywords and balanced parentheses without being
 * fooled by a `)` or a keyword inside a literal or an identifier.
 */
export const tokenize = (sql: string): Array<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  const closing = (quote: string, from: number): number => {
    // Doubled quotes escape themselves ('it''s', "a""b"); [..] has no escape.
    let j = from
    for (;;) {
      const k = sql.indexOf(quote, j)
      if (k === -1) return sql.length
      if (quote !== "]" && sql[k + 1] === quote) {
        j = k + 2
        continue
      }
      return k + 1
    }
  }
  while (i < sql.length) {
    const c = sql[i]!
    if (/\s/.test(c)) {
      i++
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i)
      i = end === -1 ? sql.length : end + 1
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2)
      i = end === -1 ? sql.length : end + 2
    } else if (c === "'") {
      const end = closing("'", i + 1)
      tokens.push({ kind: "string", text: sql.slice(i, end), start: i, end })
      i = end
    } else if (c === '"' || c === "`" || c === "[") {
      const end = closing(c === "[" ? "]" : c, i + 1)
      tokens.push({ kind: "quoted", text: sql.slice(i, end), start: i, end })
      i = end
    } else if (/[\p{L}\p{N}_$]/u.test(c)) {
      let j = i + 1
      while (j < sql.length && /[\p{L}\p{N}_$.]/u.test(sql[j]!) && !(sql[j] === "." && !/\d/.test(c))) j++
      tokens.push({ kind: "word", text: sql.slice(i, j), start: i, end: j })
      i = j
    } else {
      tokens.push({ kind: "punct", text: c, start: i, end: i + 1 })
      i++
    }
  }
  return tokens
}

export const isWord = (token: Token | undefined, word: string): boolean =>
  token !== undefined && token.kind === "word" && token.text.toUpperCase() === word

/** Index of the `)` that closes the `(` at `open`, or -1. */
export const matchingParen = (tokens: ReadonlyArray<Token>, open: number): number => {
  let depth = 0
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!
    if (t.kind !== "punct") continue
    if (t.text === "(") depth++
    else if (t.text === ")" && --depth === 0) return i
  }
  return -1
}

/** The expression inside each `CHECK (...)` of a statement, in order, as written. */
export const checkExpressions = (sql: string): Array<string> => {
  const tokens = tokenize(sql)
  const out: Array<string> = []
  for (let i = 0; i < tokens.length - 1; i++) {
    if (!isWord(tokens[i], "CHECK") || tokens[i + 1]!.text !== "(" || tokens[i + 1]!.kind !== "punct") continue
    const close = matchingParen(tokens, i + 1)
    if (close === -1) break
    out.push(sql.slice(tokens[i + 1]!.end, tokens[close]!.start).trim())
    i = close
  }
  return out
}

/** Groups rows by a key, keeping row order within each group. */
export const groupBy = <T>(rows: ReadonlyArray<T>, key: (row: T) => string): Map<string, Array<T>> => {
  const groups = new Map<string, Array<T>>()
  for (const row of rows) {
    const k = key(row)
    const group = groups.get(k)
    if (group === undefined) groups.set(k, [row])
    else group.push(row)
  }
  return groups
}

