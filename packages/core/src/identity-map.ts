/**
 * One primary key, one object: a per-connection map from (table, primary key) to the live
 * instance. Entries hold instances weakly, so an instance nobody references is collected and
 * its entry removed.
 *
 * @module
 */

/** Dead entries are swept once a table's map reaches this many entries (then twice its live size). */
const FIRST_SWEEP = 1024

interface TableEntries {
  readonly refs: Map<unknown, WeakRef<object>>
  /** Size at which the next sweep runs. */
  sweepAt: number
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
    const entries = this.#tables.get(table)
    if (entries === undefined) return undefined
    const ref = entries.refs.get(pk)
    if (ref === undefined) return undefined
    const instance = ref.deref()
    if (instance === undefined) entries.refs.delete(pk)
    return instance
  }

  /** Hold `instance` as the object for `(table, pk)`. */
  set(table: string, pk: unknown, instance: object): void {
    const entries = this.#entries(table)
    if (entries.refs.get(pk)?.deref() === instance) return
    add(entries, pk, instance)
  }

  #entries(table: string): TableEntries {
    let entries = this.#tables.get(table)
    if (entries === undefined) {
      entries = { refs: new Map(), sweepAt: FIRST_SWEEP }
      this.#tables.set(table, entries)
    }
    return entries
  }

  /**
   * One table's entries, for hydrating many rows: `lookup` is {@link get}, `add` holds an
   * instance for a key that `lookup` just missed. Saves the per-row table lookups.
   */
  table(table: string): TableIdentityMap {
    const entries = this.#entries(table)
    return {
      lookup: (pk) => {
        const ref = entries.refs.get(pk)
        if (ref === undefined) return undefined
        const instance = ref.deref()
        if (instance === undefined) entries.refs.delete(pk)
        return instance
      },
      add: (pk, instance) => add(entries, pk, instance),
    }
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

const add = (entries: TableEntries, pk: unknown, instance: object): void => {
  entries.refs.set(pk, new WeakRef(instance))
  if (entries.refs.size >= entries.sweepAt) {
    sweep(entries.refs)
    entries.sweepAt = Math.max(FIRST_SWEEP, entries.refs.size * 2)
  }
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

  override table(table: string): TableIdentityMap {
    const own = super.table(table)
    const outer = this.outer.table(table)
    return {
      lookup: (pk) => {
        const hit = own.lookup(pk)
        if (hit !== undefined) return hit
        const shared = outer.lookup(pk)
        if (shared !== undefined) own.add(pk, shared)
        return shared
      },
      add: own.add,
    }
  }

  override live(table: string): ReadonlyArray<readonly [pk: unknown, instance: object]> {
    const own = super.live(table)
    const seen = new Set(own.map(([pk]) => pk))
    return [...own, ...this.outer.live(table).filter(([pk]) => !seen.has(pk))]
  }
}
