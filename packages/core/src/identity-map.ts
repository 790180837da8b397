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
interface Entries extends TableIdentityMap {
  /** The live instance for `pk`, without sweeping. */
  peek(pk: unknown): object | undefined
  delete(pk: unknown): void
  /** Live entries (dead ones are dropped first). */
  entries(): Array<readonly [unknown, object]>
  /** Number of live entries (dead ones are dropped first). */
  count(): number
  /** Drops dead entries once the table has grown past twice its live size (weak entries only). */
  prune(): void
}

/** Weakly held entries: an instance nobody references is collected. */
class WeakEntries implements Entries {
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

  peek(pk: unknown): object | undefined {
    return this.refs.get(pk)?.deref()
  }

  add(pk: unknown, instance: object): void {
    this.refs.set(pk, new WeakRef(instance))
  }

  prune(): void {
    if (this.refs.size < this.sweepAt) return
    sweep(this.refs)
    this.sweepAt = Math.max(FIRST_SWEEP, this.refs.size * 2)
  }

  delete(pk: unknown): void {
    this.refs.delete(pk)
  }

  entries(): Array<readonly [unknown, object]> {
    const out: Array<readonly [unknown, object]> = []
    for (const [pk, ref] of this.refs) {
      const instance = ref.deref()
      if (instance !== undefined) out.push([pk, instance])
    }
    return out
  }

  count(): number {
    sweep(this.refs)
    return this.refs.size
  }
}

/** Strongly held entries (a session's map: it lives only as long as its unit of work). */
class StrongEntries implements Entries {
  readonly refs = new Map<unknown, object>()

  lookup(pk: unknown): object | undefined {
    return this.refs.get(pk)
  }

  peek(pk: unknown): object | undefined {
    return this.refs.get(pk)
  }

  add(pk: unknown, instance: object): void {
    this.refs.set(pk, instance)
  }

  delete(pk: unknown): void {
    this.refs.delete(pk)
  }

  entries(): Array<readonly [unknown, object]> {
    return [...this.refs]
  }

  count(): number {
    return this.refs.size
  }

  prune(): void {}
}

/**
 * Entries are weak references swept lazily: a lookup drops a dead entry it meets, and a table
 * that has grown past twice its live size is swept whole when the next batch starts (or the
 * next single instance is added), never while one is being hydrated: every instance of that
 * batch is alive anyway, and each `deref()` a sweep makes keeps its target for the rest of the
 * job. No FinalizationRegistry: registering every hydrated instance (a cell and an unregister
 * token each) cost more than the hydration around it at 100k rows, and amortised sweeping keeps
 * the map within 2x of its live size plus one batch.
 *
 * With `{ strong: true }` (a session's map) entries are plain references: no `WeakRef` per
 * instance, and the whole map is dropped when its owner ends.
 */
export class IdentityMap {
  readonly #tables = new Map<string, Entries>()
  readonly #strong: boolean

  constructor(options: { readonly strong?: boolean } = {}) {
    this.#strong = options.strong === true
  }

  /** Whether entries are held strongly. */
  get strong(): boolean {
    return this.#strong
  }

  /** The live instance for `(table, pk)`, if one is held. */
  get(table: string, pk: unknown): object | undefined {
    return this.#tables.get(table)?.lookup(pk)
  }

  /**
   * The instance a write to `(table, pk)` must keep honest: the one {@link get} returns, and
   * inside a transaction also one held by the enclosing unit of work (an instance the code
   * brought in). Batch update/delete use it; reads never do.
   */
  held(table: string, pk: unknown): object | undefined {
    return this.get(table, pk)
  }

  /** Hold `instance` as the object for `(table, pk)`. */
  set(table: string, pk: unknown, instance: object): void {
    const entries = this.#entries(table)
    if (entries.peek(pk) === instance) return
    entries.prune()
    entries.add(pk, instance)
  }

  #entries(table: string): Entries {
    let entries = this.#tables.get(table)
    if (entries === undefined) {
      entries = this.#strong ? new StrongEntries() : new WeakEntries()
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
    entries.prune()
    return entries
  }

  /** Forget the instance for `(table, pk)`. */
  evict(table: string, pk: unknown): void {
    this.#tables.get(table)?.delete(pk)
  }

  /** Live instances of `table`, by primary key (inside a transaction: also those held outside it). */
  live(table: string): ReadonlyArray<readonly [pk: unknown, instance: object]> {
    return this.#tables.get(table)?.entries() ?? []
  }

  /** Every live entry of this map itself, as `[table, pk, instance]`. */
  own(): Array<readonly [table: string, pk: unknown, instance: object]> {
    const out: Array<readonly [string, unknown, object]> = []
    for (const [table, entries] of this.#tables) for (const [pk, instance] of entries.entries()) out.push([table, pk, instance])
    return out
  }

  /** Number of live entries (dead ones are swept first); for tests and diagnostics. */
  size(table?: string): number {
    const tables = table === undefined ? [...this.#tables.values()] : [this.#tables.get(table)]
    let n = 0
    for (const entries of tables) if (entries !== undefined) n += entries.count()
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
 * A transaction's identity map: its own scope. Lookups never fall through to the enclosing
 * unit of work (the session's map or the connection's): a read inside a transaction returns
 * only instances this transaction loaded, created or saved, hydrated from rows it read, so no
 * two in-flight transactions share an object and none sees state that is stale relative to
 * its own snapshot. Writes still keep instances the code brought in honest: batch
 * update/delete reach the enclosing map's instances through {@link held} and {@link live}.
 * Savepoints share their transaction's map. What a commit publishes to `outer` is decided by
 * `@ferro/transactions` (see docs/architecture.md, "Identity map").
 */
export class TransactionIdentityMap extends IdentityMap {
  constructor(readonly outer: IdentityMap) {
    super()
  }

  override held(table: string, pk: unknown): object | undefined {
    return super.get(table, pk) ?? this.outer.held(table, pk)
  }

  override live(table: string): ReadonlyArray<readonly [pk: unknown, instance: object]> {
    const own = super.live(table)
    const seen = new Set(own.map(([pk]) => pk))
    return [...own, ...this.outer.live(table).filter(([pk]) => !seen.has(pk))]
  }
}
