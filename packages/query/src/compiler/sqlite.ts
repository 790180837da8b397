import { Compiler } from "./compiler.js"

/** SQLite: `?` placeholders; ILIKE as `lower(x) LIKE lower(?)` (LIKE itself is made case-sensitive). */
export class SqliteCompiler extends Compiler {
  readonly dialect = "sqlite" as const
  protected placeholder(): string {
    return "?"
  }
  protected ilike(column: string, pattern: string): string {
    return `lower(${column}) LIKE lower(${pattern})`
  }
}
