import { type ColumnMetadata, type Dialect, type IdentityMap, Instances, type ReadOptions, TRUSTED } from "@ferro/core/internal"
import { decoderFor, needsBigints } from "./decoders.js"

/** A model class as the hydrator sees it: constructed with `(fill, TRUSTED)` (or validated input). */
export type HydratableClass<T> = new (
  input: Record<string, unknown> | ((instance: Record<string, unknown>) => void),
  trusted: typeof TRUSTED,
) => T

/** Where hydrated instances belong. */
export interface HydrationTarget {
  /** Connection name recorded on each instance. */
  readonly connection: string
  /** Identity map to consult and fill, or null. */
  readonly identityMap: IdentityMap | null
}

/** Turns array rows into model instances. */
export interface Hydrator<T> {
  /** Whether the statement must read integers as `bigint`. */
  readonly bigints: boolean
  /**
   * How to read rows for this hydrator, built once: `bigints`, and on SQLite the datetime
   * columns a `forEachRow` engine may pass as epoch milliseconds.
   */
  readonly readOptions: ReadOptions
  /** Hydrates every row; rows whose key is already mapped yield the mapped instance. */
  readonly all: (rows: ReadonlyArray<ReadonlyArray<unknown>>, target: HydrationTarget) => Array<T>
  /**
   * Decodes one row into a plain props object (no instance, no identity map). The row must
   * list the model's columns in metadata order for it to serve as a change-tracking snapshot.
   */
  readonly props: (row: ReadonlyArray<unknown>) => Record<string, unknown>
  /**
   * A row callback for engines that hand over cells as call arguments (the native engine's
   * `forEachRow`): each call hydrates one row, exactly as {@link all} would, and appends the
   * instance to `out`. No row array is built unless the instance is new (its snapshot).
   */
  readonly collector: (out: Array<T>, target: HydrationTarget) => (...cells: Array<unknown>) => void
}

interface Plan {
  readonly table: string
  readonly columns: ReadonlyArray<ColumnMetadata>
  readonly primaryKey: string | null
  /** Read integers as bigint even if no selected column needs it (the row has other cells that do). */
  readonly bigints?: boolean
}

const cache = new WeakMap<object, Map<string, Hydrator<unknown>>>()
/** One dialect's hydrators for a column set: plain, and reading integers as bigint. */
interface Slot {
  readonly dialect: Dialect
  plain: Hydrator<unknown> | undefined
  bigints: Hydrator<unknown> | undefined
}
const fastCache = new WeakMap<object, WeakMap<ReadonlyArray<ColumnMetadata>, Array<Slot>>>()

/**
 * The JS expression decoding a cell whose source expression is `cell`, null-safe; a decoded
 * cell is first held in the temporary `name`.
 */
const decodedCell = (column: ColumnMetadata, dialect: Dialect, bigints: boolean, cell: string, name: string) => {
  const expression = decoderFor(column, dialect, bigints)
  if (expression === null) return { decl: "", value: cell }
  return {
    decl: `const ${name} = ${cell};`,
    value: `(${name} === null ? null : ${expression.replace(/\bv\b/g, name)})`,
  }
}

/**
 * Source that fills `target` from the row's cells. `cell(i)` is the expression of cell i:
 * `row[i]` for array rows, an argument name for cells passed as arguments. With `target`
 * "props" it declares a props object literal; otherwise it assigns properties one by one (in
 * column order, so every hydrated instance of a model shares one hidden class).
 */
const fillSource = (
  columns: ReadonlyArray<ColumnMetadata>,
  dialect: Dialect,
  bigints: boolean,
  cell: (i: number) => string,
  target: "props" | "instance",
): string => {
  const decls: Array<string> = []
  const fields: Array<string> = []
  columns.forEach((column, i) => {
    const { decl, value } = decodedCell(column, dialect, bigints, cell(i), `c${i}`)
    if (decl !== "") decls.push(decl)
    fields.push(target === "props" ? `${JSON.stringify(column.property)}: ${value}` : `instance[${JSON.stringify(column.property)}] = ${value};`)
  })
  return target === "props"
    ? `${decls.join("\n")}\nconst props = { ${fields.join(", ")} };`
    : `${decls.join("\n")}\n${fields.join("\n")}`
}

/**
 * The generated-JS hydrator for `modelClass` reading `columns` (in select-list order) from
 * `dialect`. Built once per class, dialect and column set, then cached.
 */
export const hydratorFor = <T>(
  modelClass: HydratableClass<T>,
  plan: Plan,
  dialect: Dialect,
): Hydrator<T> => {
  // Fast path first: the same columns array (a model's metadata.columns) needs no key string.
  let byColumns = fastCache.get(modelClass)
  if (byColumns === undefined) fastCache.set(modelClass, (byColumns = new WeakMap()))
  let slots = byColumns.get(plan.columns)
  if (slots === undefined) byColumns.set(plan.columns, (slots = []))
  // A short list: one slot per dialect object in use (usually one).
  let slot: Slot | undefined
  for (const s of slots) if (s.dialect === dialect) slot = s
  if (slot === undefined) slots.push((slot = { dialect, plain: undefined, bigints: undefined }))
  const wide = plan.bigints === true
  const fast = wide ? slot.bigints : slot.plain
  if (fast !== undefined) return fast as Hydrator<T>
  let perClass = cache.get(modelClass)
  if (perClass === undefined) {
    perClass = new Map()
    cache.set(modelClass, perClass)
  }
  const key = `${dialect.name}:${plan.bigints === true}:${plan.columns.map((c) => c.column).join(",")}`
  const cached = perClass.get(key)
  if (cached !== undefined) {
    if (wide) slot.bigints = cached
    else slot.plain = cached
    return cached as Hydrator<T>
  }

  const bigints = dialect.readsBigints && (plan.bigints === true || needsBigints(plan.columns))
  const pkIndex = plan.primaryKey === null ? -1 : plan.columns.findIndex((c) => c.property === plan.primaryKey)
  const pkSource = (cell: (i: number) => string): string => {
    if (pkIndex < 0) return "const pk = undefined;"
    const { decl, value } = decodedCell(plan.columns[pkIndex]!, dialect, bigints, cell(pkIndex), "pkCell")
    return `${decl} const pk = ${value};`
  }
  // The model constructor's trusted path builds a bare instance (no props copy, no
  // validation) and calls `fill` on it before returning, so the columns are set when subclass
  // field initialisers run. `fill` reads the row being hydrated from `current`.
  const fillFunction = `
      let current = null;
      const fill = function fill(instance) {
        const row = current;
        ${fillSource(plan.columns, dialect, bigints, (i) => `row[${i}]`, "instance")}
      };`
  const rowSource = (cell: (i: number) => string, snapshot: string, emit: string, skip: string) => `
        ${pkSource(cell)}
        if (map !== null && pk !== undefined) {
          const hit = map.lookup(pk);
          if (hit !== undefined) { ${emit.replace("INSTANCE", "hit")} ${skip} }
        }
        const row = ${snapshot};
        current = row;
        const instance = new Model(fill, TRUSTED);
        current = null;
        markPersisted(instance, connection, row, pk);
        if (map !== null && pk !== undefined) map.add(pk, instance);
        ${emit.replace("INSTANCE", "instance")}`
  const allSource = `
    "use strict";
    ${fillFunction}
    return function hydrateAll(rows, target) {
      const map = target.identityMap === null ? null : target.identityMap.table(table);
      const connection = target.connection;
      const out = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        ${rowSource((i) => `rows[i][${i}]`, "rows[i]", "out[i] = INSTANCE;", "continue;")}
      }
      return out;
    }`
  const propsOnly = `"use strict"; return function props(row) { ${fillSource(plan.columns, dialect, bigints, (i) => `row[${i}]`, "props")} return props; }`
  const args = plan.columns.map((_, i) => `a${i}`)
  const collectorSource = `
    "use strict";
    ${fillFunction}
    return function collector(out, target) {
      const map = target.identityMap === null ? null : target.identityMap.table(table);
      const connection = target.connection;
      return function onRow(${args.join(", ")}) {
        ${rowSource((i) => `a${i}`, `[${args.join(", ")}]`, "out.push(INSTANCE);", "return;")}
      };
    }`
  const collector = new Function("Model", "TRUSTED", "markPersisted", "table", "helpers", collectorSource)(
    modelClass,
    TRUSTED,
    Instances.markPersisted,
    plan.table,
    dialect.decoderHelpers,
  ) as Hydrator<T>["collector"]
  const all = new Function("Model", "TRUSTED", "markPersisted", "table", "helpers", allSource)(
    modelClass,
    TRUSTED,
    Instances.markPersisted,
    plan.table,
    dialect.decoderHelpers,
  ) as Hydrator<T>["all"]
  const props = new Function("helpers", propsOnly)(dialect.decoderHelpers) as Hydrator<T>["props"]
  const epochColumns =
    dialect.epochDatetimes && plan.columns.some((c) => c.type === "datetime")
      ? Uint8Array.from(plan.columns, (c) => (c.type === "datetime" ? 1 : 0))
      : undefined
  const readOptions: ReadOptions = epochColumns === undefined ? { bigints } : { bigints, epochColumns }
  const hydrator: Hydrator<T> = { bigints, readOptions, all, props, collector }
  perClass.set(key, hydrator as Hydrator<unknown>)
  if (wide) slot.bigints = hydrator as Hydrator<unknown>
  else slot.plain = hydrator as Hydrator<unknown>
  return hydrator
}
