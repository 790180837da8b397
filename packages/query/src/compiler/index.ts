import type { Dialect } from "@ferro/core"
import type { Compiler } from "./compiler.js"
import { PostgresCompiler } from "./postgres.js"
import { SqliteCompiler } from "./sqlite.js"

export { Compiler } from "./compiler.js"

const compilers: { readonly [D in Dialect]: Compiler } = {
  sqlite: new SqliteCompiler(),
  postgres: new PostgresCompiler(),
}

/** The compiler for `dialect`. */
export const compilerFor = (dialect: Dialect): Compiler => compilers[dialect]
