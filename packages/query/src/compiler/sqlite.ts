import type { ColumnMetadata } from "@ferro/core"
import { Compiler } from "./compiler.js"

/**
 * SQLite: `?` placeholders. ILIKE folds case with `ferro_lower` (a Unicode-aware function the
 * driver registers; SQLite's `lower()` only folds ASCII), LIKE itself is made case-sensitive.
 * Decimals are stored as exact text, so ordering comparisons and sorts go through
 * `ferro_decimal_key` (an exact, order-preserving key the driver registers).
 */
export class SqliteCompiler extends Compiler {
  readonly dialect = "sqlite" as const
  protected placeholder(): string {
    return "?"
  }
  protected ilike(column: string, pattern: string): string {
    return `ferro_lower(${column}) LIKE ferro_lower(${pattern})`
  }
  protected override ordered(column: ColumnMetadata, sql: string): string {
    return column.type === "decimal" ? `ferro_decimal_key(${sql})` : sql
  }
}
