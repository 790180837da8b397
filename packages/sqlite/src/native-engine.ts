import type { ColumnarKind, ColumnarResult, ReadOptions, Statement, WriteResult } from "@ferro/core/internal"
import type { NativeDatabase, NativeStatement } from "@ferro/core/internal"
import { type EngineCursor, RowCallbackFailure, type SqliteEngine, notAReader } from "./engine.js"
import { StatementCache } from "./statement-cache.js"

/**
 * Ferro's native engine: the C++ addon owns the connection and steps statements itself.
 * Hydration reads go through {@link each}, which hands each row's cells to generated JS as
 * call arguments; lazy results through {@link columnar}.
 */
export class NativeSqliteEngine implements SqliteEngine {
  readonly kind = "native" as const
  readonly #cache: StatementCache<NativeStatement>
  /** Cursors (streams) open on the connection. */
  readonly #cursors = new Set<EngineCursor>()

  constructor(readonly database: NativeDatabase) {
    this.#cache = new StatementCache(
      (sql) => database.prepare(sql),
      (statement) => statement.finalize(),
    )
  }

  get inTransaction(): boolean {
    return this.database.inTransaction
  }

  rows(statement: Statement, bigints: boolean): Array<Array<unknown>> {
    const prepared = this.#cache.get(statement.sql)
    if (!prepared.reader) throw notAReader()
    const rows: Array<Array<unknown>> = []
    prepared.each(statement.params, bigints, (...cells) => {
      rows.push(cells)
    })
    return rows
  }

  objects(statement: Statement): Array<Record<string, unknown>> {
    const prepared = this.#cache.get(statement.sql)
    if (!prepared.reader) {
      prepared.run(statement.params)
      return []
    }
    const cells: Array<Array<unknown>> = []
    prepared.each(statement.params, true, (...row) => {
      cells.push(row)
    })
    // Names after stepping: a schema change since prepare re-prepares the statement.
    const names = prepared.columns()
    return cells.map((row) => {
      const object: Record<string, unknown> = {}
      // Duplicate names keep the last cell, as better-sqlite3 does.
      for (let i = 0; i < names.length; i++) object[names[i]!] = row[i]
      return object
    })
  }

  each(statement: Statement, options: ReadOptions, onRow: (...cells: Array<unknown>) => void): number {
    const prepared = this.#cache.get(statement.sql)
    if (!prepared.reader) throw notAReader()
    try {
      return prepared.each(statement.params, options.bigints === true, onRow, options.epochColumns)
    } catch (error) {
      throw prepared.callbackFailed ? new RowCallbackFailure(error) : error
    }
  }

  columnar(statement: Statement, kinds: ReadonlyArray<ColumnarKind>): ColumnarResult {
    const prepared = this.#cache.get(statement.sql)
    if (!prepared.reader) throw notAReader()
    return prepared.columnar(statement.params, kinds)
  }

  execute(statement: Statement): WriteResult {
    const prepared = this.#cache.get(statement.sql)
    if (prepared.reader) return { rowsAffected: prepared.each(statement.params, false, () => {}) }
    return { rowsAffected: prepared.run(statement.params) }
  }

  /**
   * Steps a statement of its own with the addon's `step()`: each `next(max)` resumes where the
   * last one stopped. SQLite allows other statements, writes included, while it is part-way.
   */
  cursor(statement: Statement, bigints: boolean): EngineCursor {
    let prepared: NativeStatement | undefined
    let done = false
    const cursors = this.#cursors
    const cursor: EngineCursor = {
      next: (max) => {
        if (done) return []
        const first = prepared === undefined
        if (prepared === undefined) {
          prepared = this.database.prepare(statement.sql)
          cursors.add(cursor)
          if (!prepared.reader) {
            cursor.close()
            throw notAReader()
          }
        }
        const rows: Array<Array<unknown>> = []
        try {
          const stepped = prepared.step(first ? statement.params : null, bigints, max, (...cells) => {
            rows.push(cells)
          })
          if (stepped < max) cursor.close()
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
        prepared?.finalize()
      },
    }
    return cursor
  }

  exec(sql: string): void {
    this.database.exec(sql)
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
