/**
 * One primary key, one object: a per-connection map from (table, primary key) to the live
 * instance. Entries hold instances weakly, so an instance nobody references is collected and
 * its entry removed.
 *
 * @module
 */

/** Dead entries are swept once a table's map reaches this many entries (then twice its live size). */
const FIRST_SWEEP = 1024

/** One table's entries; also its {@link TableIdentityMap} view (no closures per call). */
class TableEntries implements TableIdentityMap {
  readonly refs = new Map<unknown, WeakRef<object>>()
  /** Size at which the next sweep runs. */
  sweepAt = FIRST_SWEEP

  lookup(pk: unknown): object | undefined {
    const ref = this.refs.get(pk)
    if (ref === undefined) return undefined
    const instance = ref.deref()
    if (instance === undefined) this.refs.delete(pk)
    return instance
  }

  add(pk: unknown, instance: object): void {
    this.refs.set(pk, new WeakRef(instance))
    if (this.refs.size >= this.sweepAt) {
      sweep(this.refs)
      this.sweepAt = Math.max(FIRST_SWEEP, this.refs.size * 2)
    }
  }
}

/**
 * Entries are weak references swept lazily: a lookup drops a dead entry it meets, and a table
 * that grows past twice its live size is swept whole. No FinalizationRegistry: registering
 * every hydrated instance (a cell and an unregister token each) cost more than the hydration
 * around it at 100k rows, and amortised sweeping keeps the map within 2x of its live size.
 */
export class IdentityMap {
  readonly #tables = new Map<string, TableEntries>()

  /** The live instance for `(table, pk)`, if one is held. */
  get(table: string, pk: unknown): object | undefined {
    return this.#tables.get(table)?.lookup(pk)
  }

  /** Hold `instance` as the object for `(table, pk)`. */
  set(table: string, pk: unknown, instance: object): void {
    const entries = this.#entries(table)
    if (entries.refs.get(pk)?.deref() === instance) return
    entries.add(pk, instance)
  }

  #entries(table: string): TableEntries {
    let entries = this.#tables.get(table)
    if (entries === undefined) {
      entries = new TableEntries()
      this.#tables.set(table, entries)
    }
    return entries
  }

  /**
   * One table's entries, for hydrating many rows: `lookup` is {@link get}, `add` holds an
   * instance for a key that `lookup` just missed. Saves the per-row table lookups.
   */
  table(table: string): TableIdentityMap {
    return this.#entries(table)
  }

  /** Forget the instance for `(table, pk)`. */
  evict(table: string, pk: unknown): void {
    this.#tables.get(table)?.refs.delete(pk)
  }

  /** Live instances of `table`, by primary key. */
  live(table: string): ReadonlyArray<readonly [pk: unknown, instance: object]> {
    const out: Array<readonly [unknown, object]> = []
    for (const [pk, ref] of this.#tables.get(table)?.refs ?? []) {
      const instance = ref.deref()
      if (instance !== undefined) out.push([pk, instance])
    }
    return out
  }

  /** Number of live entries (dead ones are swept first); for tests and diagnostics. */
  size(table?: string): number {
    const tables = table === undefined ? [...this.#tables.values()] : [this.#tables.get(table)]
    let n = 0
    for (const entries of tables) {
      if (entries === undefined) continue
      sweep(entries.refs)
      n += entries.refs.size
    }
    return n
  }

  /** Forget every instance. */
  clear(): void {
    this.#tables.clear()
  }
}

/** One table's view of an identity map (see {@link IdentityMap.table}). */
export interface TableIdentityMap {
  lookup(pk: unknown): object | undefined
  add(pk: unknown, instance: object): void
}

const sweep = (refs: Map<unknown, WeakRef<object>>): void => {
  for (const [pk, ref] of refs) if (ref.deref() === undefined) refs.delete(pk)
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

  readonly #views = new Map<string, TableIdentityMap>()

  override table(table: string): TableIdentityMap {
    let view = this.#views.get(table)
    if (view === undefined) {
      const own = super.table(table)
      // The outer map is asked by name each time: it may be cleared while this one lives.
      view = {
        lookup: (pk) => {
          const hit = own.lookup(pk)
          if (hit !== undefined) return hit
          const shared = this.outer.get(table, pk)
          if (shared !== undefined) own.add(pk, shared)
          return shared
        },
        add: (pk, instance) => own.add(pk, instance),
      }
      this.#views.set(table, view)
    }
    return view
  }

  override clear(): void {
    super.clear()
    this.#views.clear()
  }

  override live(table: string): ReadonlyArray<readonly [pk: unknown, instance: object]> {
    const own = super.live(table)
    const seen = new Set(own.map(([pk]) => pk))
    return [...own, ...this.outer.live(table).filter(([pk]) => !seen.has(pk))]
  }
}
