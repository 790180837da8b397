import type { Dialect } from "@ferro/core/internal"
import { Compiler } from "./compiler.js"

export { Compiler } from "./compiler.js"

const compilers = new WeakMap<Dialect, Compiler>()

/** The compiler for `dialect`: one per dialect object, built on first use. */
export const compilerFor = (dialect: Dialect): Compiler => {
  let compiler = compilers.get(dialect)
  if (compiler === undefined) compilers.set(dialect, (compiler = new Compiler(dialect)))
  return compiler
}
