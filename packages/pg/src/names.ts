/**
 * Names for the SQL texts this pool sends again and again, so PostgreSQL parses and plans each
 * once per connection (pg sends `Parse` for a name only on a connection that has not seen it,
 * then `Bind`/`Execute`): on the bench's point lookup, unnamed statements were ×1.23 raw and
 * Drizzle's named ones ×0.74.
 *
 * Bounded, so dynamic SQL cannot grow memory on either side: a text gets a name on its second
 * sighting (one-off texts never take a slot), at most {@link NAMED_STATEMENTS} texts are named
 * per schema generation (each is a prepared statement on every connection that ran it), and
 * texts longer than {@link MAX_NAMED_SQL} characters (multi-row INSERTs) stay unnamed.
 */
export const NAMED_STATEMENTS = 256
/** Texts seen once, waiting for a second sighting; the oldest is forgotten past this. */
export const SIGHTINGS = 1024
/** Longer texts are sent unnamed: the server would keep a large parse tree per connection. */
export const MAX_NAMED_SQL = 4096

export class StatementNames {
  readonly #names = new Map<string, string>()
  readonly #seen = new Set<string>()
  #next = 0

  constructor(readonly prefix: string) {}

  /** The name to send `sql` under, or undefined to send it unnamed. */
  nameFor(sql: string): string | undefined {
    const name = this.#names.get(sql)
    if (name !== undefined) return name
    if (this.#names.size >= NAMED_STATEMENTS || sql.length > MAX_NAMED_SQL) return undefined
    if (!this.#seen.delete(sql)) {
      if (this.#seen.size >= SIGHTINGS) this.#seen.delete(this.#seen.values().next().value!)
      this.#seen.add(sql)
      return undefined
    }
    // Never reused for another text: pg refuses a name already prepared for a different one.
    const fresh = `${this.prefix}${++this.#next}`
    this.#names.set(sql, fresh)
    return fresh
  }

  /**
   * After DDL: no name is reused, so every text is parsed and planned afresh (a plan whose
   * result columns changed fails with "cached plan must not change result type").
   */
  forget(): void {
    this.#names.clear()
    this.#seen.clear()
  }

  get size(): number {
    return this.#names.size
  }
}

/**
 * PostgreSQL's answer to a prepared statement whose result columns changed since it was
 * planned (SQLSTATE 0A000, "cached plan must not change result type").
 */
export const isCachedPlanResultChange = (error: unknown): boolean =>
  typeof error === "object" &&
  error !== null &&
  (error as { code?: unknown }).code === "0A000" &&
  /cached plan must not change result type/.test(String((error as { message?: unknown }).message))
