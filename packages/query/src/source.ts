/**
 * Sources of column references: a query's root table and the tables its to-one relation paths
 * join (`p.author.name`), plus the to-many relations `some`/`every`/`none` and counts range
 * over. The same path inside one query is the same source, hence one join.
 *
 * @module
 */
import { type ColumnMetadata, QueryError } from "@ferro/core"
import type { Collection, Source } from "./expression.js"
import { type ModelClass, modelName, noteModelClass, primaryKeyColumn } from "./operations.js"
import { childKeyColumn, linkColumns, relationOf } from "./relations.js"

const classes = new WeakMap<Source, ModelClass>()
const steps = new WeakMap<Source, Map<string, Step>>()

/** What a relation property of a source leads to. */
export type Step =
  | { readonly kind: "one"; readonly source: Source; readonly modelClass: ModelClass }
  | { readonly kind: "many"; readonly collection: Collection; readonly modelClass: ModelClass }

/** A fresh root source for a query over `modelClass`. */
export const rootSource = (modelClass: ModelClass): Source => {
  const source: Source = { metadata: modelClass.metadata, model: modelName(modelClass), parent: null, hop: null, optional: false }
  classes.set(source, modelClass)
  return source
}

/** The model class a source reads. */
export const sourceClass = (source: Source): ModelClass => classes.get(source)!

const columnOf = (modelClass: ModelClass, property: string): ColumnMetadata => {
  const column = modelClass.metadata.columns.find((c) => c.property === property)
  if (column === undefined) throw new QueryError(`${modelName(modelClass)} lost the column '${property}'`)
  return column
}

const ownerKey = (modelClass: ModelClass, property: string): ColumnMetadata => {
  if (modelClass.metadata.primaryKey === null) {
    throw new QueryError(`'${property}' of ${modelName(modelClass)} needs the model to have a primary key`)
  }
  return primaryKeyColumn(modelClass)
}

/** Resolves relation `property` of `source` (cached: the same path is the same join). */
export const relationStep = (source: Source, property: string): Step => {
  let known = steps.get(source)
  if (known === undefined) steps.set(source, (known = new Map()))
  const cached = known.get(property)
  if (cached !== undefined) return cached
  const modelClass = sourceClass(source)
  const relation = relationOf(modelClass, property)
  const { meta, target } = relation
  noteModelClass(target)
  let step: Step
  if (meta.kind === "foreignKey") {
    const parentColumn = columnOf(modelClass, meta.via!)
    const child: Source = {
      metadata: target.metadata,
      model: modelName(target),
      parent: source,
      hop: { relation: meta, parentColumn, childColumn: primaryKeyColumn(target) },
      optional: source.optional || parentColumn.nullable,
    }
    classes.set(child, target)
    step = { kind: "one", source: child, modelClass: target }
  } else if (meta.kind === "backRef" && meta.joinTable === null && meta.one) {
    const child: Source = {
      metadata: target.metadata,
      model: modelName(target),
      parent: source,
      hop: { relation: meta, parentColumn: ownerKey(modelClass, property), childColumn: childKeyColumn(relation) },
      optional: true,
    }
    classes.set(child, target)
    step = { kind: "one", source: child, modelClass: target }
  } else if (meta.kind === "backRef" && meta.joinTable === null) {
    step = {
      kind: "many",
      modelClass: target,
      collection: {
        owner: source,
        ownerColumn: ownerKey(modelClass, property),
        target: rootSource(target),
        link: { kind: "direct", targetColumn: childKeyColumn(relation) },
      },
    }
  } else {
    const { ownerColumn, linkedColumn, join } = linkColumns(modelClass, relation)
    step = {
      kind: "many",
      modelClass: target,
      collection: {
        owner: source,
        ownerColumn: ownerKey(modelClass, property),
        target: rootSource(target),
        link: { kind: "joinTable", table: join.table, ownerKey: ownerColumn, targetKey: linkedColumn, targetColumn: primaryKeyColumn(target) },
      },
    }
  }
  known.set(property, step)
  return step
}
