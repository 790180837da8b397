/**
 * The object a `where()` / `select()` / `orderBy()` callback receives: one expression per
 * column, a nested object of the same kind per to-one relation (`p.author.name`), and a
 * {@link CollectionRef} per to-many relation (`a.posts.some(...)`).
 *
 * @module
 */
import { QueryError } from "@ferro/core"
import type { Collection, Condition, Source } from "./expression.js"
import { ExpressionRef, Predicate, pseudoColumn, toCondition } from "./expression-ref.js"
import { relationStep, sourceClass } from "./source.js"

const proxies = new WeakMap<Source, Record<string, unknown>>()

/** A to-many relation inside a query callback: quantified filters and counts. */
export class CollectionRef {
  /** @internal */
  constructor(
    readonly collection: Collection,
    readonly label: string,
  ) {}

  #where(filter: unknown, what: string): Condition | null {
    if (filter === undefined) return null
    if (typeof filter !== "function") throw new QueryError(`${what} expects a callback such as (p) => p.views.gt(100)`)
    return toCondition(filter(columnsFor(this.collection.target)), what)
  }

  /** Rows with at least one related row matching (or any related row, without a callback). */
  some(filter?: (columns: never) => unknown): Predicate {
    return new Predicate({ kind: "related", quantifier: "some", collection: this.collection, where: this.#where(filter, `${this.label}.some()`) })
  }
  /** Rows whose related rows all match (true where there are none). */
  every(filter: (columns: never) => unknown): Predicate {
    const where = this.#where(filter, `${this.label}.every()`)
    if (where === null) throw new QueryError(`${this.label}.every() needs a callback`)
    return new Predicate({ kind: "related", quantifier: "every", collection: this.collection, where })
  }
  /** Rows with no related row matching (or no related row at all, without a callback). */
  none(filter?: (columns: never) => unknown): Predicate {
    return new Predicate({ kind: "related", quantifier: "none", collection: this.collection, where: this.#where(filter, `${this.label}.none()`) })
  }
  /** The number of related rows (matching the callback), per row: an expression. */
  count(filter?: (columns: never) => unknown): ExpressionRef {
    return new ExpressionRef(
      { kind: "relatedCount", collection: this.collection, where: this.#where(filter, `${this.label}.count()`) },
      pseudoColumn("int"),
      null,
      `${this.label}.count()`,
    )
  }
}

/**
 * The callback object for `source`. Reading a name that is neither a field nor a relation
 * throws a `QueryError` naming what the model has.
 */
export const columnsFor = (source: Source): Record<string, unknown> => {
  let proxy = proxies.get(source)
  if (proxy !== undefined) return proxy
  const modelClass = sourceClass(source)
  const { metadata } = source
  const model = source.model
  const refs = new Map<string, unknown>()
  const relations = new Set(metadata.relations.map((r) => r.property))
  const resolve = (property: string): unknown => {
    let ref = refs.get(property)
    if (ref !== undefined) return ref
    const column = metadata.columns.find((c) => c.property === property)
    if (column !== undefined) {
      ref = new ExpressionRef({ kind: "column", source, column }, column, { model, metadata }, property)
    } else if (relations.has(property)) {
      const step = relationStep(source, property)
      ref = step.kind === "one" ? columnsFor(step.source) : new CollectionRef(step.collection, property)
    } else {
      return undefined
    }
    refs.set(property, ref)
    return ref
  }
  void modelClass
  const names = [...metadata.columns.map((c) => c.property), ...relations]
  proxy = new Proxy({} as Record<string, unknown>, {
    get: (_target, property) => {
      if (typeof property !== "string") return undefined
      const ref = resolve(property)
      if (ref === undefined) {
        if (property === "then" || property === "toJSON") return undefined
        throw new QueryError(`'${property}' is not a field of ${model}; fields: ${names.join(", ")}`)
      }
      return ref
    },
    has: (_target, property) => typeof property === "string" && names.includes(property),
    ownKeys: () => names,
    getOwnPropertyDescriptor: (_target, property) =>
      typeof property === "string" && names.includes(property)
        ? { value: resolve(property), enumerable: true, configurable: true }
        : undefined,
  })
  proxies.set(source, proxy)
  return proxy
}
