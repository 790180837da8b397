#!/usr/bin/env node
// generate + run in one command: `pnpm bench` here, `npm run typebench` at the root.
//   node scripts/bench.mjs [--models 200] [--extended] [--power] [--runs 3] [--compilers 7,7-single,5.9] [--out FILE] [--no-write]
import * as Generate from "./generate.mjs"
import * as Run from "./run.mjs"

const generateArgs = []
const runArgs = []
const argv = process.argv.slice(2)
for (let k = 0; k < argv.length; k++) {
  const arg = argv[k]
  if (arg === "--power" || arg === "--extended") generateArgs.push(arg)
  else if (arg === "--models") generateArgs.push(arg, argv[++k])
  else if (arg.startsWith("--models=")) generateArgs.push(arg)
  else if (arg === "--no-write") runArgs.push(arg)
  else if (arg === "--runs" || arg === "--compilers" || arg === "--out") runArgs.push(arg, argv[++k])
  else {
    console.error(`unknown argument ${arg}; expected --models N, --extended, --power, --runs N, --compilers LIST, --out FILE, --no-write`)
    process.exit(2)
  }
}
const shape = Generate.generate(Generate.parseArgs(generateArgs))
console.log(`generated ${shape.models} models in ${shape.ferro.replace(/\/ferro$/, "")}`)
process.exitCode = Run.main(runArgs)
