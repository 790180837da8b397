import type { ColumnMetadata } from "@ferro/core"
import type { AggregateFunction } from "../expression.js"
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
    return `ferro_lower(${column}) LIKE ferro_lower(${pattern}) ESCAPE '\\'`
  }
  // PostgreSQL's LIKE escapes with a backslash by default; SQLite needs to be told.
  protected override like(column: string, pattern: string): string {
    return `${column} LIKE ${pattern} ESCAPE '\\'`
  }
  // SQLite integers are 64-bit: keep an int column within 32 bits as PostgreSQL does.
  protected override checkedRange(column: ColumnMetadata, sql: string): string {
    return column.type === "int" ? `ferro_int32(${sql})` : sql
  }
  protected override ordered(column: ColumnMetadata, sql: string): string {
    return column.type === "decimal" ? `ferro_decimal_key(${sql})` : sql
  }
  // better-sqlite3 binds JS numbers as REAL: `"views" / ?` would divide exactly.
  protected override integerOperand(sql: string): string {
    return `CAST(${sql} AS INTEGER)`
  }
  // Decimals are exact text: SQLite's SUM/AVG would turn them into floats and MIN/MAX would
  // compare text. The driver's ferro_decimal_* functions work on the group's values instead.
  protected override aggregate(fn: AggregateFunction, type: ColumnMetadata | null, argument: string | null, distinct: boolean): string {
    if (type?.type === "decimal" && argument !== null && fn !== "count") {
      return `ferro_decimal_${fn}(group_concat(${distinct ? "DISTINCT " : ""}${argument}))`
    }
    return super.aggregate(fn, type, argument, distinct)
  }
}
