/**
 * One primary key, one object: a per-connection map from (table, primary key) to the live
 * instance. Entries hold instances weakly, so an instance nobody references is collected and
 * its entry removed.
 *
 * @module
 */

interface Entry {
  readonly table: string
  readonly pk: unknown
  readonly ref: WeakRef<object>
}

export class IdentityMap {
  readonly #tables = new Map<string, Map<unknown, Entry>>()
  readonly #finalizer = new FinalizationRegistry<Entry>((entry) => {
    const table = this.#tables.get(entry.table)
    // Only drop the entry if it was not replaced by a newer instance for the same key.
    if (table !== undefined && table.get(entry.pk) === entry) table.delete(entry.pk)
  })

  /** The live instance for `(table, pk)`, if one is held. */
  get(table: string, pk: unknown): object | undefined {
    return this.#tables.get(table)?.get(pk)?.ref.deref()
  }

  /** Hold `instance` as the object for `(table, pk)`. */
  set(table: string, pk: unknown, instance: object): void {
    let entries = this.#tables.get(table)
    if (entries === undefined) {
      entries = new Map()
      this.#tables.set(table, entries)
    }
    const previous = entries.get(pk)
    if (previous !== undefined) {
      if (previous.ref.deref() === instance) return
      this.#finalizer.unregister(previous)
    }
    const entry: Entry = { table, pk, ref: new WeakRef(instance) }
    entries.set(pk, entry)
    this.#finalizer.register(instance, entry, entry)
  }

  /** Forget the instance for `(table, pk)`. */
  evict(table: string, pk: unknown): void {
    const entries = this.#tables.get(table)
    const entry = entries?.get(pk)
    if (entry !== undefined) {
      this.#finalizer.unregister(entry)
      entries!.delete(pk)
    }
  }

  /** Live instances of `table`, by primary key. */
  live(table: string): ReadonlyArray<readonly [pk: unknown, instance: object]> {
    const out: Array<readonly [unknown, object]> = []
    for (const [pk, entry] of this.#tables.get(table) ?? []) {
      const instance = entry.ref.deref()
      if (instance !== undefined) out.push([pk, instance])
    }
    return out
  }

  /** Number of entries (live or not yet finalised); for tests and diagnostics. */
  size(table?: string): number {
    if (table !== undefined) return this.#tables.get(table)?.size ?? 0
    let n = 0
    for (const entries of this.#tables.values()) n += entries.size
    return n
  }

  /** Forget every instance. */
  clear(): void {
    for (const entries of this.#tables.values()) for (const entry of entries.values()) this.#finalizer.unregister(entry)
    this.#tables.clear()
  }
}

/**
 * A transaction's identity map. Lookups fall through to the connection's map, so inside a
 * transaction a row already held outside is the same object; rows the transaction loads stay
 * in its own map (they may hold uncommitted data). An instance the transaction changes is
 * taken out of the outer map until commit (see `beforeChange`).
 */
export class TransactionIdentityMap extends IdentityMap {
  constructor(readonly outer: IdentityMap) {
    super()
  }

  override get(table: string, pk: unknown): object | undefined {
    const own = super.get(table, pk)
    if (own !== undefined) return own
    const shared = this.outer.get(table, pk)
    if (shared !== undefined) super.set(table, pk, shared)
    return shared
  }

  override live(table: string): ReadonlyArray<readonly [pk: unknown, instance: object]> {
    const own = super.live(table)
    const seen = new Set(own.map(([pk]) => pk))
    return [...own, ...this.outer.live(table).filter(([pk]) => !seen.has(pk))]
  }
}
