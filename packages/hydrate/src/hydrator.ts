import { type ColumnMetadata, type Dialect, type IdentityMap, Instances, TRUSTED } from "@ferro/core"
import { decoderFor, decoderHelpers, needsBigints } from "./decoders.js"

/** A model class as the hydrator sees it: constructed with `(props, TRUSTED)`. */
export type HydratableClass<T> = new (props: Record<string, unknown>, trusted: typeof TRUSTED) => T

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

/**
 * Source that declares `props` from the row's cells. `cell(i)` is the expression of cell i:
 * `row[i]` for array rows, an argument name for cells passed as arguments.
 */
const propsSource = (
  columns: ReadonlyArray<ColumnMetadata>,
  dialect: Dialect,
  bigints: boolean,
  cell: (i: number) => string = (i) => `row[${i}]`,
): string => {
  const decls: Array<string> = []
  const fields: Array<string> = []
  columns.forEach((column, i) => {
    const expression = decoderFor(column, dialect, bigints)
    if (expression === null) {
      fields.push(`${JSON.stringify(column.property)}: ${cell(i)}`)
    } else {
      decls.push(`const c${i} = ${cell(i)};`)
      const inlined = expression.replace(/\bv\b/g, `c${i}`)
      fields.push(`${JSON.stringify(column.property)}: c${i} === null ? null : ${inlined}`)
    }
  })
  return `${decls.join("\n")}\nconst props = { ${fields.join(", ")} };`
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
  let perClass = cache.get(modelClass)
  if (perClass === undefined) {
    perClass = new Map()
    cache.set(modelClass, perClass)
  }
  const key = `${dialect}:${plan.bigints === true}:${plan.columns.map((c) => c.column).join(",")}`
  const cached = perClass.get(key)
  if (cached !== undefined) return cached as Hydrator<T>

  const bigints = dialect === "sqlite" && (plan.bigints === true || needsBigints(plan.columns))
  const body = propsSource(plan.columns, dialect, bigints)
  const pkIndex = plan.primaryKey === null ? -1 : plan.columns.findIndex((c) => c.property === plan.primaryKey)
  const pkExpression = pkIndex < 0 ? "undefined" : `props[${JSON.stringify(plan.primaryKey)}]`
  const allSource = `
    "use strict";
    return function hydrateAll(rows, target) {
      const map = target.identityMap;
      const connection = target.connection;
      const out = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i];
        ${body}
        const pk = ${pkExpression};
        if (map !== null && pk !== undefined) {
          const hit = map.get(table, pk);
          if (hit !== undefined) { out[i] = hit; continue; }
        }
        const instance = new Model(props, TRUSTED);
        markPersisted(instance, connection, row, pk);
        if (map !== null && pk !== undefined) map.set(table, pk, instance);
        out[i] = instance;
      }
      return out;
    }`
  const propsOnly = `"use strict"; return function props(row) { ${body} return props; }`
  const args = plan.columns.map((_, i) => `a${i}`)
  const collectorSource = `
    "use strict";
    return function collector(out, target) {
      const map = target.identityMap;
      const connection = target.connection;
      return function onRow(${args.join(", ")}) {
        ${propsSource(plan.columns, dialect, bigints, (i) => `a${i}`)}
        const pk = ${pkExpression};
        if (map !== null && pk !== undefined) {
          const hit = map.get(table, pk);
          if (hit !== undefined) { out.push(hit); return; }
        }
        const instance = new Model(props, TRUSTED);
        markPersisted(instance, connection, [${args.join(", ")}], pk);
        if (map !== null && pk !== undefined) map.set(table, pk, instance);
        out.push(instance);
      };
    }`
  const collector = new Function("Model", "TRUSTED", "markPersisted", "table", "helpers", collectorSource)(
    modelClass,
    TRUSTED,
    Instances.markPersisted,
    plan.table,
    decoderHelpers,
  ) as Hydrator<T>["collector"]
  const all = new Function("Model", "TRUSTED", "markPersisted", "table", "helpers", allSource)(
    modelClass,
    TRUSTED,
    Instances.markPersisted,
    plan.table,
    decoderHelpers,
  ) as Hydrator<T>["all"]
  const props = new Function("helpers", propsOnly)(decoderHelpers) as Hydrator<T>["props"]
  const hydrator: Hydrator<T> = { bigints, all, props, collector }
  perClass.set(key, hydrator as Hydrator<unknown>)
  return hydrator
}
