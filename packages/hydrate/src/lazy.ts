import type { ColumnMetadata, ColumnarKind, ColumnarResult, Dialect } from "@ferro/core/internal"
import { cellDecoder } from "./decoders.js"

/** Where the cells of a lazy result live: typed-array columns (native engine) or array rows. */
export interface LazyCells {
  readonly length: number
  /** The driver-encoded cell of row `row`, column `column` (what the hydrators decode). */
  cell(row: number, column: number): unknown
}

/** A row of a lazy result: the model's column properties, read on access, and nothing else. */
export type LazyRow<T, P> = Readonly<P> & {
  /** The model instance for this row (through the identity map, like `all()`). */
  materialize(): T
  /** The decoded column values as a plain object (`JSON.stringify` and spread use it). */
  toJSON(): P
}

/**
 * How the native engine should store a column, given whether the statement reads integers
 * as bigint: integers go to 64-bit columns then, so cells come back exactly as
 * better-sqlite3 would return them.
 */
export const columnarKind = (column: ColumnMetadata, bigints: boolean): ColumnarKind => {
  switch (column.type) {
    case "int":
    case "bool":
      return bigints ? 1 : 0
    case "bigint":
      return 1
    case "float":
      return 0
    case "bytes":
      return 3
    default:
      return 2
  }
}

/** Cells read from the native engine's typed-array columns. */
export const columnarCells = (result: ColumnarResult): LazyCells => {
  const readers = result.columns.map((column): ((row: number) => unknown) => {
    const { nulls } = column
    switch (column.kind) {
      case 0:
      case 1: {
        const values = column.values
        return (row) => (nulls[row] === 1 ? null : values[row])
      }
      case 2: {
        const heap = Buffer.from(column.heap.buffer, column.heap.byteOffset, column.heap.byteLength)
        const offsets = column.offsets
        return (row) => (nulls[row] === 1 ? null : heap.toString("utf8", offsets[row], offsets[row + 1]))
      }
      case 3: {
        const heap = Buffer.from(column.heap.buffer, column.heap.byteOffset, column.heap.byteLength)
        const offsets = column.offsets
        // A copy, as better-sqlite3 hands out: the row may outlive edits to the result.
        return (row) => (nulls[row] === 1 ? null : Buffer.from(heap.subarray(offsets[row], offsets[row + 1])))
      }
    }
  })
  return { length: result.rows, cell: (row, column) => readers[column]!(row) }
}

/** Cells of array rows (engines without columnar results). */
export const arrayCells = (rows: ReadonlyArray<ReadonlyArray<unknown>>): LazyCells => ({
  length: rows.length,
  cell: (row, column) => rows[row]![column],
})

const RESULT = Symbol("ferro.lazy.result")
const INDEX = Symbol("ferro.lazy.index")

interface ViewState {
  readonly [RESULT]: LazyRows<unknown, object>
  readonly [INDEX]: number
}

/**
 * What a lazy result needs to know about its rows. Keep one per model and column set (it
 * carries the generated view class); the `Hydrator` of the same read is a good owner.
 */
export interface LazyPlan {
  readonly columns: ReadonlyArray<ColumnMetadata>
  readonly dialect: Dialect
  /** Whether the cells are in bigint mode (SQLite, a model with a bigint column). */
  readonly bigints: boolean
}

/** Hydrates driver-encoded rows into instances (identity map included). */
export type Materialize<T> = (rows: ReadonlyArray<ReadonlyArray<unknown>>) => Array<T>

type ViewClass = new (result: LazyRows<unknown, object>, index: number) => object

const viewClasses = new WeakMap<LazyPlan, { readonly View: ViewClass; readonly decoders: ReadonlyArray<(raw: unknown) => unknown> }>()

const viewClass = (plan: LazyPlan): { readonly View: ViewClass; readonly decoders: ReadonlyArray<(raw: unknown) => unknown> } => {
  const cached = viewClasses.get(plan)
  if (cached !== undefined) return cached
  const decoders = plan.columns.map((c) => cellDecoder(c, plan.dialect, plan.bigints))
  const Created = class LazyRowView {
    declare readonly [RESULT]: LazyRows<unknown, object>
    declare readonly [INDEX]: number
    constructor(result: LazyRows<unknown, object>, index: number) {
      Object.defineProperty(this, RESULT, { value: result })
      Object.defineProperty(this, INDEX, { value: index })
    }
    materialize(): unknown {
      const state = this as unknown as ViewState
      return state[RESULT].materializeRows([state[INDEX]])[0]
    }
    toJSON(): object {
      const state = this as unknown as ViewState
      return state[RESULT].props(state[INDEX])
    }
  }
  plan.columns.forEach((column, i) => {
    const decode = decoders[i]!
    Object.defineProperty(Created.prototype, column.property, {
      enumerable: true,
      get(this: ViewState) {
        return decode(this[RESULT].cells.cell(this[INDEX], i))
      },
    })
  })
  const entry = { View: Created, decoders }
  viewClasses.set(plan, entry)
  return entry
}

/**
 * A lazy result: rows stay in the engine's compact form (typed-array columns on the native
 * engine) and are decoded when read. Views are read-only and are not model instances (no
 * save(), no identity map, no relations); `materialize()` turns rows into instances.
 */
export class LazyRows<T, P extends object> implements Iterable<LazyRow<T, P>> {
  /** @internal */
  readonly cells: LazyCells
  readonly #plan: LazyPlan
  readonly #materialize: Materialize<T>

  /** @internal Created by `Query.all({ lazy: true })`. */
  constructor(cells: LazyCells, plan: LazyPlan, materialize: Materialize<T>) {
    this.cells = cells
    this.#plan = plan
    this.#materialize = materialize
  }

  /** Number of rows. */
  get length(): number {
    return this.cells.length
  }

  /** The view of row `index` (negative counts from the end), or undefined when out of range. */
  at(index: number): LazyRow<T, P> | undefined {
    const i = index < 0 ? this.cells.length + index : index
    if (!Number.isInteger(i) || i < 0 || i >= this.cells.length) return undefined
    const { View } = viewClass(this.#plan)
    return new View(this as unknown as LazyRows<unknown, object>, i) as LazyRow<T, P>
  }

  *[Symbol.iterator](): Iterator<LazyRow<T, P>> {
    for (let i = 0; i < this.cells.length; i++) yield this.at(i)!
  }

  /** Every row as a model instance (the same instances `all()` would return). */
  materialize(): Array<T> {
    return this.materializeRows(Array.from({ length: this.cells.length }, (_, i) => i))
  }

  /** @internal */
  materializeRows(indexes: ReadonlyArray<number>): Array<T> {
    const width = this.#plan.columns.length
    const rows = indexes.map((r) => {
      const row = new Array<unknown>(width)
      for (let c = 0; c < width; c++) row[c] = this.cells.cell(r, c)
      return row
    })
    return this.#materialize(rows)
  }

  /** @internal The decoded values of row `index`. */
  props(index: number): P {
    const { decoders } = viewClass(this.#plan)
    const props: Record<string, unknown> = {}
    this.#plan.columns.forEach((column, c) => {
      props[column.property] = decoders[c]!(this.cells.cell(index, c))
    })
    return props as P
  }

  /** Every row's decoded values as plain objects. */
  toJSON(): Array<P> {
    return Array.from({ length: this.cells.length }, (_, i) => this.props(i))
  }
}
