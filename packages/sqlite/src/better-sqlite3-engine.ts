import type { Statement, WriteResult } from "@ferro/core/internal"
import Database from "better-sqlite3"
import { type EngineCursor, type SqliteEngine, notAReader } from "./engine.js"
import { StatementCache } from "./statement-cache.js"

type Prepared = Database.Statement<unknown[], unknown>

/** How a cached statement was last set to return rows (see {@link Entry}). */
const Mode = { Unset: 0, ArraysNumbers: 1, ArraysBigints: 2, Objects: 3 } as const
type Mode = (typeof Mode)[keyof typeof Mode]

/**
 * A cached statement and the row mode it was last set to: `raw()` and `safeIntegers()` are
 * native calls, and setting them before every execution cost about 0.3 µs of a 5 µs point
 * lookup (better-sqlite3 12, 400k lookups of a 7-column row), so they are set only when the
 * mode changes.
 */
interface Entry {
  readonly prepared: Prepared
  mode: Mode
}

/** The default engine: better-sqlite3, rows read as arrays. */
export class BetterSqlite3Engine implements SqliteEngine {
  readonly kind = "js" as const
  readonly #cache: StatementCache<Entry>
  /** Cursors (streams) open on the connection. */
  readonly #cursors = new Set<EngineCursor>()

  constructor(readonly database: Database.Database) {
    this.#cache = new StatementCache<Entry>((sql) => ({ prepared: database.prepare(sql), mode: Mode.Unset }))
  }

  get inTransaction(): boolean {
    return this.database.inTransaction
  }

  /** Sets the cached statement to return rows as `mode` says, unless it already does. */
  static #setMode(entry: Entry, mode: Mode): Prepared {
    const { prepared } = entry
    if (entry.mode !== mode) {
      prepared.raw(mode !== Mode.Objects)
      prepared.safeIntegers(mode !== Mode.ArraysNumbers)
      entry.mode = mode
    }
    return prepared
  }

  rows(statement: Statement, bigints: boolean): Array<Array<unknown>> {
    const entry = this.#cache.get(statement.sql)
    if (!entry.prepared.reader) throw notAReader()
    const prepared = BetterSqlite3Engine.#setMode(entry, bigints ? Mode.ArraysBigints : Mode.ArraysNumbers)
    return prepared.all(...statement.params) as Array<Array<unknown>>
  }

  objects(statement: Statement): Array<Record<string, unknown>> {
    const entry = this.#cache.get(statement.sql)
    const { prepared } = entry
    if (!prepared.reader) {
      this.#mutating(() => prepared.run(...statement.params))
      return []
    }
    BetterSqlite3Engine.#setMode(entry, Mode.Objects)
    return prepared.all(...statement.params) as Array<Record<string, unknown>>
  }

  execute(statement: Statement): WriteResult {
    const entry = this.#cache.get(statement.sql)
    const { prepared } = entry
    if (prepared.reader) {
      BetterSqlite3Engine.#setMode(entry, Mode.ArraysNumbers)
      return { rowsAffected: prepared.all(...statement.params).length }
    }
    return this.#mutating(() => ({ rowsAffected: prepared.run(...statement.params).changes }))
  }

  /**
   * better-sqlite3 refuses `run()` and `exec()` while an iterator is open on the connection (a
   * stream), though SQLite itself allows a write while a read statement is part-way: such a
   * write runs with the refusal lifted for that one call. What the open stream then sees of
   * the change follows SQLite's rules (rows it has not reached yet may or may not show it).
   */
  #mutating<T>(work: () => T): T {
    if (this.#cursors.size === 0) return work()
    this.database.unsafeMode(true)
    try {
      return work()
    } finally {
      this.database.unsafeMode(false)
    }
  }

  cursor(statement: Statement, bigints: boolean): EngineCursor {
    let iterator: IterableIterator<unknown> | undefined
    let done = false
    const cursors = this.#cursors
    const cursor: EngineCursor = {
      next: (max) => {
        if (done) return []
        if (iterator === undefined) {
          // A statement of its own: the cached one may be used by other queries meanwhile.
          const prepared = this.database.prepare(statement.sql)
          if (!prepared.reader) throw notAReader()
          prepared.raw(true)
          prepared.safeIntegers(bigints)
          iterator = prepared.iterate(...statement.params) as IterableIterator<unknown>
          cursors.add(cursor)
        }
        const rows: Array<Array<unknown>> = []
        try {
          while (rows.length < max) {
            const step = iterator.next()
            if (step.done === true) {
              cursor.close()
              break
            }
            rows.push(step.value as Array<unknown>)
          }
        } catch (error) {
          cursor.close()
          throw error
        }
        return rows
      },
      close: () => {
        if (done) return
        done = true
        cursors.delete(cursor)
        iterator?.return?.()
      },
    }
    return cursor
  }

  exec(sql: string): void {
    this.#mutating(() => this.database.exec(sql))
  }

  clearStatementCache(): void {
    this.#cache.clear()
  }

  close(): void {
    for (const cursor of [...this.#cursors]) cursor.close()
    this.#cache.clear()
    if (this.database.open) this.database.close()
  }
}
