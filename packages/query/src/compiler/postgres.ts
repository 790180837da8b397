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
}
