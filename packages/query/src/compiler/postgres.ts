import { type ColumnMetadata, type Statement, quoteIdentifier as q } from "@ferro/core"
import { Compiler } from "./compiler.js"

/** PostgreSQL: `$n` placeholders and native ILIKE. */
export class PostgresCompiler extends Compiler {
  readonly dialect = "postgres" as const
  protected placeholder(n: number): string {
    return `$${n}`
  }
  protected ilike(column: string, pattern: string): string {
    return `${column} ILIKE ${pattern}`
  }
  protected override asText(column: ColumnMetadata, sql: string): string {
    return column.type === "text" || column.type === "enum" ? sql : `${sql}::text`
  }
  /** Identity columns do not advance when a row supplies its own key; setval() catches up. */
  override syncKeyGenerator(table: string, column: ColumnMetadata): Statement {
    return {
      sql: `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT MAX(${q(column.column)}) FROM ${q(table)}), 1))`,
      params: [q(table), column.column],
    }
  }
}
