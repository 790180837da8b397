import type { Statement, WriteResult } from "@ferro/core/internal"
import Database from "better-sqlite3"
import { type SqliteEngine, notAReader } from "./engine.js"
import { StatementCache } from "./statement-cache.js"

type Prepared = Database.Statement<unknown[], unknown>

/** The default engine: better-sqlite3, rows read as arrays. */
export class BetterSqlite3Engine implements SqliteEngine {
  readonly kind = "js" as const
  readonly #cache: StatementCache<Prepared>

  constructor(readonly database: Database.Database) {
    this.#cache = new StatementCache((sql) => database.prepare(sql))
  }

  get inTransaction(): boolean {
    return this.database.inTransaction
  }

  rows(statement: Statement, bigints: boolean): Array<Array<unknown>> {
    const prepared = this.#cache.get(statement.sql)
    if (!prepared.reader) throw notAReader()
    prepared.raw(true)
    prepared.safeIntegers(bigints)
    return prepared.all(...statement.params) as Array<Array<unknown>>
  }

  objects(statement: Statement): Array<Record<string, unknown>> {
    const prepared = this.#cache.get(statement.sql)
    if (!prepared.reader) {
      prepared.run(...statement.params)
      return []
    }
    prepared.raw(false)
    prepared.safeIntegers(true)
    return prepared.all(...statement.params) as Array<Record<string, unknown>>
  }

  execute(statement: Statement): WriteResult {
    const prepared = this.#cache.get(statement.sql)
    if (prepared.reader) {
      prepared.raw(true)
      prepared.safeIntegers(false)
      return { rowsAffected: prepared.all(...statement.params).length }
    }
    return { rowsAffected: prepared.run(...statement.params).changes }
  }

  exec(sql: string): void {
    this.database.exec(sql)
  }

  clearStatementCache(): void {
    this.#cache.clear()
  }

  close(): void {
    this.#cache.clear()
    if (this.database.open) this.database.close()
  }
}
