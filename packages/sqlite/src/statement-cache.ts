/** Prepared statements kept per connection; the least recently used is dropped past this. */
export const STATEMENT_CACHE_SIZE = 500

/**
 * An LRU of prepared statements keyed by SQL text, so a repeated query shape is prepared
 * once. `dispose` frees an evicted statement (the native engine finalizes it at once).
 */
export class StatementCache<T> {
  readonly #entries = new Map<string, T>()

  constructor(
    readonly prepare: (sql: string) => T,
    readonly dispose: (statement: T) => void = () => {},
    readonly capacity: number = STATEMENT_CACHE_SIZE,
  ) {}

  get(sql: string): T {
    let prepared = this.#entries.get(sql)
    if (prepared !== undefined) {
      // Refresh recency: Map iteration order is insertion order.
      this.#entries.delete(sql)
      this.#entries.set(sql, prepared)
      return prepared
    }
    prepared = this.prepare(sql)
    if (this.#entries.size >= this.capacity) {
      const oldest = this.#entries.keys().next().value!
      this.dispose(this.#entries.get(oldest)!)
      this.#entries.delete(oldest)
    }
    this.#entries.set(sql, prepared)
    return prepared
  }

  clear(): void {
    for (const statement of this.#entries.values()) this.dispose(statement)
    this.#entries.clear()
  }
}
