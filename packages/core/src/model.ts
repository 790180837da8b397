/**
 * `Model(table, fields, options?)`: a base class to extend. The class validates on
 * construction, is an Effect Schema (decode / encode / JSON Schema), and carries its
 * model-metadata contract as `Model.metadata`.
 *
 * @module
 */
import { Either, ParseResult, Schema } from "effect"
import { ValidationError, type ValidationIssue } from "./errors.js"
import { type AnyColumnField, type ColumnField, type ColumnSpec, fromSchema } from "./fields.js"
import {
  type ColumnMetadata,
  type IndexMetadata,
  METADATA_VERSION,
  type ModelMetadata,
} from "./metadata.js"
import { indexName, toSnakeCase } from "./naming.js"
import { registerModel } from "./registry.js"
import { normalizeValue } from "./normalize.js"
import { storageType } from "./storage.js"

/** What a model's field map may hold: `field.*` results or plain Effect Schemas. */
export type FieldInput = AnyColumnField | Schema.Schema.AnyNoContext

/** A model's field map. */
export type FieldsShape = { readonly [property: string]: FieldInput }

/** Keys of `F` that are stored columns. */
export type ColumnKeys<F> = {
  [K in keyof F]: F[K] extends ColumnField<unknown, boolean> ? K : F[K] extends Schema.Schema.AnyNoContext ? K : never
}[keyof F] &
  string

/** The property type of one field. */
export type PropertyType<V> =
  V extends ColumnField<infer T, boolean> ? T : V extends Schema.Schema<infer A, infer _I, never> ? A : never

type OptionalKeys<F> = {
  [K in ColumnKeys<F>]: F[K] extends ColumnField<unknown, true>
    ? K
    : F[K] extends ColumnField<unknown, boolean>
      ? never
      : null extends PropertyType<F[K]>
        ? K // a plain schema admitting null defaults to null
        : never
}[ColumnKeys<F>]

type RequiredKeys<F> = Exclude<ColumnKeys<F>, OptionalKeys<F>>

type Simplify<T> = { [K in keyof T]: T[K] } & {}

/** The instance properties of a model with fields `F` (mutable: assign, then `save()`). */
export type ModelProps<F> = { -readonly [K in ColumnKeys<F>]: PropertyType<F[K]> }

/** Create input: required fields are those without a default, not nullable, not database-assigned. */
export type CreateInput<F> = Simplify<
  { readonly [K in RequiredKeys<F>]: PropertyType<F[K]> } & { readonly [K in OptionalKeys<F>]?: PropertyType<F[K]> }
>

type Encode<T> = T extends Date ? string : T extends bigint ? string : T extends Uint8Array ? string : T

/** JSON-friendly encoded form of an instance (dates as ISO strings, bigints and bytes as strings). */
export type ModelEncoded<F> = { readonly [K in ColumnKeys<F>]: Encode<PropertyType<F[K]>> }

/** Options of `Model()`. */
export interface ModelOptions<F> {
  /** Multi-column indexes, by property name, in index order. */
  readonly compositeIndexes?: ReadonlyArray<ReadonlyArray<ColumnKeys<F>>>
  /** Multi-column unique constraints, by property name. */
  readonly compositeUniques?: ReadonlyArray<ReadonlyArray<ColumnKeys<F>>>
  /** Column naming: `"snake_case"` (default: `createdAt` -> `created_at`) or `"preserve"`. */
  readonly naming?: "snake_case" | "preserve"
}

/** Runtime facts about a model class that the other packages need beyond the contract. */
export interface ModelRuntime {
  readonly metadata: ModelMetadata
  /** Column specs by property name (validation schemas, default makers). */
  readonly specs: ReadonlyMap<string, ColumnSpec>
  /** Validates one property value; returns the issues, empty when valid. */
  readonly validateValue: (property: string, value: unknown) => ReadonlyArray<ValidationIssue>
}

/** Marks the constructor argument as already-valid database data. */
export const TRUSTED: unique symbol = Symbol.for("ferro/trusted")

/** The class `Model()` returns: construct to validate; also an Effect Schema. */
export interface ModelConstructor<F extends FieldsShape, Instance = ModelProps<F>>
  extends Schema.Schema<ModelProps<F>, ModelEncoded<F>, never> {
  new (input: CreateInput<F>): Instance
  /** The model-metadata contract. */
  readonly metadata: ModelMetadata
  /** Phantom: the field map, for type inference. */
  readonly "~fields": F
}

/** Any class produced by `Model()` (or a subclass). */
export interface AnyModelConstructor {
  readonly metadata: ModelMetadata
  readonly name: string
  readonly prototype: object
}

const runtimes = new WeakMap<object, ModelRuntime>()
const modelClasses: Array<Function> = []
const extensions: Array<(modelClass: Function) => void> = []

/**
 * Adds behaviour to every model class, past and future (used by `@ferro/query` to install
 * the ORM's static and instance methods).
 */
export const extendModels = (extension: (modelClass: Function) => void): void => {
  extensions.push(extension)
  for (const cls of modelClasses) extension(cls)
}

/** Runtime facts of a model class or subclass. Throws for a class `Model()` did not create. */
export const modelRuntime = (modelClass: object): ModelRuntime => {
  let cls: object | null = modelClass
  while (cls !== null) {
    const runtime = runtimes.get(cls)
    if (runtime !== undefined) return runtime
    cls = Object.getPrototypeOf(cls)
  }
  throw new TypeError("Expected a Ferro model class (a class extending Model(...))")
}

/** True for an instance of any Ferro model. */
export const isModelInstance = (value: unknown): value is object =>
  typeof value === "object" && value !== null && MODEL_BRAND in value

const MODEL_BRAND: unique symbol = Symbol.for("ferro/model")

const issuesOf = (issue: ParseResult.ParseIssue): ReadonlyArray<ValidationIssue> => {
  const issues = ParseResult.ArrayFormatter.formatIssueSync(issue).map((issue) => ({
    path: issue.path.map(String).join("."),
    // Effect appends the offending value ("…, actual 5"); values never go into Ferro's messages.
    message: issue.message.replace(/,? actual [\s\S]*$/, "").replace(/^Expected ([\s\S]*?)$/, "expected $1"),
  }))
  // A nullable field's failure also reports the `null` branch of its union; that is noise.
  return issues.filter(
    (i) => !(i.message === "expected null" && issues.some((o) => o !== i && o.path === i.path)),
  )
}

const deepFreeze = <T>(value: T): T => {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

/**
 * Defines a model: `class Post extends Model("posts", { id: field.id(), ... }) {}`.
 *
 * @param table - table name (also the model's registry key)
 * @param fields - property name -> `field.*()` or a plain Effect Schema
 */
export function Model<const F extends FieldsShape>(
  table: string,
  fields: F,
  options: ModelOptions<F> = {},
): ModelConstructor<F> {
  if (typeof table !== "string" || table.length === 0) throw new TypeError("Model() needs a non-empty table name")
  if (typeof fields !== "object" || fields === null) throw new TypeError(`Model("${table}") needs a field map`)
  const naming = options.naming ?? "snake_case"
  if (naming !== "snake_case" && naming !== "preserve") {
    throw new TypeError(`Model("${table}"): naming must be "snake_case" or "preserve"`)
  }

  const specs = new Map<string, ColumnSpec>()
  for (const [property, value] of Object.entries(fields)) {
    if (value instanceof Object && (value as { _tag?: unknown })._tag === "ColumnField") {
      specs.set(property, (value as AnyColumnField).spec)
    } else if (Schema.isSchema(value)) {
      specs.set(property, fromSchema(value).spec)
    } else {
      throw new TypeError(`Model("${table}"): field '${property}' is neither a field.*() nor an Effect Schema`)
    }
  }

  const columns: Array<ColumnMetadata> = []
  const columnNames = new Map<string, string>()
  for (const [property, spec] of specs) {
    const column = spec.column ?? (naming === "preserve" ? property : toSnakeCase(property))
    const clash = columnNames.get(column)
    if (clash !== undefined) {
      throw new TypeError(`Model("${table}"): fields '${clash}' and '${property}' both map to column '${column}'`)
    }
    columnNames.set(column, property)
    columns.push({
      property,
      column,
      type: spec.type,
      storage: { sqlite: storageType(spec, "sqlite"), postgres: storageType(spec, "postgres") },
      nullable: spec.nullable,
      default: spec.default,
      primaryKey: spec.primaryKey,
      autoincrement: spec.autoincrement,
      unique: spec.unique && !spec.primaryKey,
      index: spec.index,
      enumValues: spec.enumValues,
      maxLength: spec.maxLength,
      precision: spec.precision,
      scale: spec.scale,
    })
  }
  const primaryKeys = columns.filter((c) => c.primaryKey)
  if (primaryKeys.length > 1) {
    throw new TypeError(
      `Model("${table}"): only one primary key field is supported, got ${primaryKeys.map((c) => c.property).join(", ")}`,
    )
  }

  const columnOf = (property: string, what: string): string => {
    const column = columns.find((c) => c.property === property)
    if (column === undefined) {
      throw new TypeError(
        `Model("${table}"): ${what} references unknown field '${property}'; known fields: ${columns.map((c) => c.property).join(", ")}`,
      )
    }
    return column.column
  }
  const indexes: Array<IndexMetadata> = []
  for (const c of columns) {
    if (c.unique) indexes.push({ name: indexName("uq", table, [c.column]), columns: [c.column], unique: true })
    if (c.index && !c.unique && !c.primaryKey) {
      indexes.push({ name: indexName("idx", table, [c.column]), columns: [c.column], unique: false })
    }
  }
  const composite = (groups: ReadonlyArray<ReadonlyArray<string>> | undefined, unique: boolean) => {
    const what = unique ? "compositeUniques" : "compositeIndexes"
    if (groups === undefined) return
    if (!Array.isArray(groups)) throw new TypeError(`Model("${table}"): ${what} must be an array of field-name arrays`)
    for (const group of groups) {
      if (!Array.isArray(group) || group.length < 2) {
        throw new TypeError(
          `Model("${table}"): each ${what} entry must name at least two fields (use { ${unique ? "unique" : "index"}: true } on a field for one)`,
        )
      }
      const cols = group.map((p) => columnOf(p, what))
      if (new Set(cols).size !== cols.length) {
        throw new TypeError(`Model("${table}"): ${what} entry [${group.join(", ")}] repeats a field`)
      }
      const same = (i: IndexMetadata) => i.unique === unique && i.columns.join("\0") === cols.join("\0")
      if (indexes.some(same)) continue
      let name = indexName(unique ? "uq" : "idx", table, cols)
      // A different index already has this name (e.g. unique `aB` -> uq_t_a_b vs [a, b]): disambiguate.
      if (indexes.some((i) => i.name === name)) name = indexName(unique ? "uq" : "idx", table, [...cols, "composite"])
      indexes.push({ name, columns: cols, unique })
    }
  }
  composite(options.compositeUniques, true)
  composite(options.compositeIndexes, false)

  const metadata: ModelMetadata = deepFreeze({
    version: METADATA_VERSION,
    table,
    primaryKey: primaryKeys[0]?.property ?? null,
    columns,
    indexes,
    foreignKeys: [],
    manyToMany: [],
  })

  const structFields: Record<string, Schema.Schema.AnyNoContext> = {}
  const valueFields: Record<string, Schema.Schema.AnyNoContext> = {}
  for (const [property, spec] of specs) {
    structFields[property] = spec.structSchema
    valueFields[property] = spec.valueSchema
  }
  const validateAll = ParseResult.validateEither(Schema.Struct(valueFields), {
    errors: "all",
    onExcessProperty: "error",
  })
  const valueValidators = new Map(
    [...specs].map(([p, spec]) => [p, ParseResult.validateEither(spec.valueSchema, { errors: "all" })] as const),
  )
  const defaults = [...specs].filter(([, spec]) => spec.makeDefault !== null) as Array<[string, ColumnSpec & { makeDefault: () => unknown }]>

  const normalized = [...specs].filter(([, spec]) => spec.type === "uuid" || spec.type === "time").map(([p, spec]) => [p, spec.type] as const)
  const prepare = (modelName: string, input: unknown): Record<string, unknown> => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      throw new ValidationError(modelName, [{ path: "", message: "expected an object of field values" }])
    }
    const props: Record<string, unknown> = { ...(input as Record<string, unknown>) }
    for (const [property, spec] of defaults) {
      if (props[property] === undefined) props[property] = spec.makeDefault()
    }
    // Canonical spellings (lower-case UUIDs, times without trailing zeros) so both backends
    // store, return and match the same value.
    for (const [property, type] of normalized) props[property] = normalizeValue(type, props[property])
    const result = validateAll(props)
    // The ParseError is not attached as cause: its message quotes the offending values.
    if (Either.isLeft(result)) throw new ValidationError(modelName, issuesOf(result.left))
    return props
  }

  const SchemaBase = Schema.Class<unknown>(table)(structFields) as unknown as new (
    props: Record<string, unknown>,
    trusted: boolean,
  ) => object

  class FerroModel extends SchemaBase {
    constructor(input: Record<string, unknown> = {}, trusted?: typeof TRUSTED | boolean) {
      super(trusted === TRUSTED || trusted === true ? input : prepare(new.target.name || table, input), true)
    }
  }
  Object.defineProperty(FerroModel.prototype, MODEL_BRAND, { value: true })
  Object.defineProperty(FerroModel, "name", { value: `Model(${table})` })
  Object.defineProperty(FerroModel, "metadata", { value: metadata, enumerable: true })

  runtimes.set(FerroModel, {
    metadata,
    specs,
    validateValue: (property, value) => {
      const validate = valueValidators.get(property)
      if (validate === undefined) return [{ path: property, message: "is not a field of this model" }]
      const result = validate(value)
      return Either.isLeft(result) ? issuesOf(result.left).map((i) => ({ ...i, path: i.path ? `${property}.${i.path}` : property })) : []
    },
  })
  registerModel({ metadata, modelClass: FerroModel })
  modelClasses.push(FerroModel)
  for (const extension of extensions) extension(FerroModel)
  return FerroModel as unknown as ModelConstructor<F>
}
