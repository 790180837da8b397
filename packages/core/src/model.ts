/**
 * `Model(table, fields, options?)`: a base class to extend. The class validates on
 * construction, is an Effect Schema (decode / encode / JSON Schema), and carries its
 * model-metadata contract as `Model.metadata`.
 *
 * @module
 */
import { Option, Result, Schema, type SchemaAST, SchemaIssue, SchemaParser, SchemaTransformation } from "effect"
import { ModelDefinitionError, ValidationError, type ValidationIssue } from "./errors.js"
import { type AnyColumnField, type AnySchema, type ColumnField, type ColumnSpec, fromSchema } from "./fields.js"
import { type AnyRelationField, RelationField } from "./relation-fields.js"
import {
  type ColumnMetadata,
  type ForeignKeyMetadata,
  type IndexMetadata,
  METADATA_VERSION,
  type ManyToManyMetadata,
  type ModelMetadata,
  type RelationMetadata,
} from "./metadata.js"
import { indexName, toSnakeCase } from "./naming.js"
import { registerModel } from "./registry.js"
import { normalizeValue } from "./normalize.js"
import { persistedSnapshot, setRelated } from "./instance-state.js"
import { field } from "./fields.js"

/** What a model's field map may hold: `field.*` results or plain Effect Schemas. */
export type FieldInput = AnyColumnField | AnyRelationField | AnySchema

/** A model's field map. */
export type FieldsShape = { readonly [property: string]: FieldInput }

/** Keys of `F` that are stored columns. */
export type ColumnKeys<F> = {
  [K in keyof F]: F[K] extends ColumnField<unknown, boolean> ? K : F[K] extends AnySchema ? K : never
}[keyof F] &
  string

/** The property type of one field. */
export type PropertyType<V> =
  V extends ColumnField<infer T, boolean> ? T : V extends AnySchema ? V["Type"] : never

/** Phantom key carrying a model instance's field map, for type inference from instances. */
export declare const FieldsOfInstance: unique symbol

/** The primary key property type of a model with fields `F`. */
export type PrimaryKeyOf<F> = {
  [K in keyof F]: F[K] extends ColumnField<infer T, boolean, true> ? T : never
}[keyof F]

/** Fields map of a model instance type (via its phantom key). */
export type InstanceFields<T> = T extends { readonly [FieldsOfInstance]?: infer F } ? F : never

/** Foreign-key fields of `F`. */
export type ForeignKeyKeys<F> = {
  [K in keyof F]: F[K] extends RelationField<"foreignKey", unknown> ? K : never
}[keyof F] &
  string

/** The shadow key property of foreign key `K`: `author` -> `authorId`. */
export type ShadowKey<K extends string> = `${K}Id`

type ForeignKeyValue<V> =
  V extends RelationField<"foreignKey", infer T, infer N>
    ? (PrimaryKeyOf<InstanceFields<T>> extends never ? string | number : PrimaryKeyOf<InstanceFields<T>>) | (N extends true ? null : never)
    : never

/** Shadow key properties (`authorId`) and their types. */
export type ShadowProps<F> = { -readonly [K in ForeignKeyKeys<F> as ShadowKey<K>]: ForeignKeyValue<F[K]> }

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

/** The stored properties of a model with fields `F` (mutable: assign, then `save()`). */
export type ModelProps<F> = { -readonly [K in ColumnKeys<F>]: PropertyType<F[K]> } & ShadowProps<F>

type RelationInput<F> = {
  // A foreign key is given as the related instance or as its key (`author` or `authorId`).
  readonly [K in ForeignKeyKeys<F>]?: F[K] extends RelationField<"foreignKey", infer T, infer N>
    ? T | (N extends true ? null : never)
    : never
} & { readonly [K in ForeignKeyKeys<F> as ShadowKey<K>]?: ForeignKeyValue<F[K]> }

/**
 * What `create()` takes, as the intersection the compiler checks cheaply: the same keys as
 * {@link CreateInput}. Method signatures use this one: flattening it per model (Simplify) was
 * 51k of the 430k instantiations of a 200-model schema and its typical queries (430k -> 379k with
 * TypeScript 7, one checker; tooling/typebench).
 */
export type CreateFields<F> = { readonly [K in RequiredKeys<F>]: PropertyType<F[K]> } & {
  readonly [K in OptionalKeys<F>]?: PropertyType<F[K]>
} & RelationInput<F>

/**
 * Create input: required fields are those without a default, not nullable, not
 * database-assigned. A required foreign key is checked at run time (either form may be given).
 */
export type CreateInput<F> = Simplify<CreateFields<F>>

type Encode<T> = T extends Date ? string : T extends bigint ? string : T extends Uint8Array ? string : T

/** JSON-friendly encoded form of an instance (dates as ISO strings, bigints and bytes as strings). */
export type ModelEncoded<F> = { readonly [K in ColumnKeys<F>]: Encode<PropertyType<F[K]>> } & {
  readonly [K in keyof ShadowProps<F>]: Encode<ShadowProps<F>[K]>
}

/** Options of `Model()`. */
export interface ModelOptions<F> {
  /** Multi-column indexes, by property name (foreign keys as `authorId`), in index order. */
  readonly compositeIndexes?: ReadonlyArray<ReadonlyArray<ColumnKeys<F> | (keyof ShadowProps<F> & string)>>
  /** Multi-column unique constraints, by property name (foreign keys as `authorId`). */
  readonly compositeUniques?: ReadonlyArray<ReadonlyArray<ColumnKeys<F> | (keyof ShadowProps<F> & string)>>
  /** Column naming: `"snake_case"` (default: `createdAt` -> `created_at`) or `"preserve"`. */
  readonly naming?: "snake_case" | "preserve"
  /**
   * Soft delete: the nullable datetime field that marks a row deleted. `delete()` (instance and
   * query) sets it to now instead of deleting; queries, counts, relation loads and eager loads
   * skip such rows unless `.withDeleted()`; `instance.restore()` clears it; `hardDelete()`
   * removes rows for real.
   */
  readonly softDelete?: ColumnKeys<F>
}

/** Runtime facts about a model class that the other packages need beyond the contract. */
export interface ModelRuntime {
  /** Resolved on first use (relation targets are thunks). */
  readonly metadata: ModelMetadata
  /** Relation fields by property name (targets unresolved). */
  readonly relationFields: ReadonlyMap<string, AnyRelationField>
  /** The class `Model()` created (the base of the user's subclass). */
  readonly baseClass: Function
  /** Column specs by property name (validation schemas, default makers). */
  readonly specs: ReadonlyMap<string, ColumnSpec>
  /** Validates one property value; returns the issues, empty when valid. */
  readonly validateValue: (property: string, value: unknown) => ReadonlyArray<ValidationIssue>
}

/** Marks the constructor argument as already-valid database data. */
export const TRUSTED: unique symbol = Symbol.for("ferro/trusted")

/**
 * A column's schema as a struct field: a database-assigned key may be left out (an Effect 4
 * struct otherwise requires every key, even one whose schema admits undefined).
 */
const structField = (spec: ColumnSpec, schema: AnySchema): Schema.Top =>
  spec.autoincrement ? Schema.optionalKey(schema) : schema

/** One field's validator: its predicate first, its value schema for whatever that does not accept. */
const valueValidator = (spec: ColumnSpec): ((input: unknown) => Result.Result<unknown, SchemaIssue.Issue>) => {
  const parse = SchemaParser.decodeUnknownResult(Schema.toType(spec.valueSchema), { errors: "all" })
  const accepts = spec.accepts
  return accepts === null ? parse : (input) => (accepts(input) ? Result.succeed(input) : parse(input))
}

/**
 * The model struct's fast pass (see `Resolved.passes`): own keys that are all columns, a
 * required column present, each value accepted by its field's predicate or schema.
 */
const passesAll = (
  specs: ReadonlyMap<string, ColumnSpec>,
  validators: ReadonlyMap<string, (input: unknown) => Result.Result<unknown, SchemaIssue.Issue>>,
): ((props: Record<string, unknown>) => boolean) => {
  const fields = [...specs].map(([property, spec]) => ({
    property,
    optional: spec.autoincrement,
    accepts: spec.accepts,
    validate: validators.get(property)!,
  }))
  return (props) => {
    const keys = Reflect.ownKeys(props)
    for (const key of keys) if (typeof key !== "string" || !specs.has(key)) return false
    for (const { property, optional, accepts, validate } of fields) {
      if (!Object.hasOwn(props, property)) {
        if (optional) continue
        return false
      }
      const value = props[property]
      if ((accepts === null || !accepts(value)) && Result.isFailure(validate(value))) return false
    }
    return true
  }
}

/** Marks the constructor argument as values the model's Effect Schema decoded. */
const DECODED: unique symbol = Symbol("ferro/decoded")

/** Copies validated values onto a fresh instance (an own `__proto__` key stays a plain property). */
const assignProps = (target: object, props: Record<string, unknown>): void => {
  if (!Object.hasOwn(props, "__proto__")) {
    Object.assign(target, props)
    return
  }
  for (const key of Object.keys(props)) {
    Object.defineProperty(target, key, { value: props[key], writable: true, enumerable: true, configurable: true })
  }
}

const bareConstructors = new WeakMap<object, new () => object>()

/** While {@link buildValidated} runs: the instance the last validating construction built, and its values. */
let recording = false
let lastValidated: object | null = null
let lastValidatedProps: Record<string, unknown> | null = null

/**
 * Runs `build` (which constructs a model instance, or returns one it was given) and returns
 * what it returned with the field values `new Model(input)` validated for that very instance,
 * if it built it. A bulk write then checks again only the values that changed since (subclass
 * initialisers, say): validating each of a 10,000-row bulkCreate's items twice was about a
 * quarter of its time (a profile of the bench's upsert). Nothing is recorded outside `build`,
 * so no instance is kept alive by this.
 */
export const buildValidated = <T extends object>(build: () => T): { readonly instance: T; readonly validated: Record<string, unknown> | undefined } => {
  recording = true
  lastValidated = null
  lastValidatedProps = null
  try {
    const instance = build()
    return { instance, validated: lastValidated === instance ? lastValidatedProps! : undefined }
  } finally {
    recording = false
    lastValidated = null
    lastValidatedProps = null
  }
}

/**
 * An empty constructor sharing `modelClass`'s prototype. Objects it builds are instances of
 * the model, and V8's slack tracking sizes them for the properties hydration then adds, so
 * they keep every column in-object (`Object.create` objects spill into a separate store).
 */
const bareConstructor = (modelClass: object & { readonly prototype: object }): (new () => object) => {
  let Bare = bareConstructors.get(modelClass)
  if (Bare === undefined) {
    Bare = function FerroInstance() {} as unknown as new () => object
    Bare.prototype = modelClass.prototype
    bareConstructors.set(modelClass, Bare)
  }
  return Bare
}

/**
 * The class `Model()` returns: construct to validate; also an Effect Schema (a codec between
 * instances and their JSON-friendly encoded form; `make(input)` is `new Model(input)`).
 * It is declared without Effect's `new (_: never)` signature so that classes can extend it.
 */
export interface ModelConstructor<F extends FieldsShape, Instance = ModelProps<F>>
  extends Schema.BottomWithoutNew<
    ModelProps<F>,
    ModelEncoded<F>,
    never,
    never,
    SchemaAST.AST,
    Schema.Codec<ModelProps<F>, ModelEncoded<F>>,
    CreateInput<F>
  > {
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
  throw new ModelDefinitionError("Expected a Ferro model class (a class extending Model(...))")
}

/** True for an instance of any Ferro model. */
export const isModelInstance = (value: unknown): value is object =>
  typeof value === "object" && value !== null && MODEL_BRAND in value

const MODEL_BRAND: unique symbol = Symbol.for("ferro/model")

/** Ferro's wording for the leaves Effect reports without a message of their own. */
const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1({
  leafHook: (issue) =>
    issue._tag === "MissingKey"
      ? "is missing"
      : issue._tag === "UnexpectedKey"
        ? "is not a field of this model"
        : SchemaIssue.defaultLeafHook(issue),
})

// Parsing never reports the input (no `reportInput`), so values never reach these messages.
const issuesOf = (issue: SchemaIssue.Issue): ReadonlyArray<ValidationIssue> =>
  formatIssues(issue).issues.map((i) => ({
    path: (i.path ?? []).map((key) => String(typeof key === "object" ? key.key : key)).join("."),
    message: i.message.replace(/^Expected /, "expected "),
  }))

const deepFreeze = <T>(value: T): T => {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

/** A model's primary key column, known without resolving relations (it is never a relation). */
interface PrimaryKeyInfo {
  readonly property: string
  readonly column: string
  readonly spec: ColumnSpec
}

interface InternalRuntime extends ModelRuntime {
  readonly table: string
  readonly primaryKey: PrimaryKeyInfo | null
  /** Join tables this model's many-to-many relations need. */
  readonly joinTables: () => ReadonlyArray<ModelMetadata>
  /** relation property -> shadow key property, for foreign keys. */
  readonly shadowKeys: ReadonlyMap<string, string>
}

const runtimeOf = (modelClass: object): InternalRuntime => modelRuntime(modelClass) as InternalRuntime

/** A fresh spec for a foreign key's shadow column, typed like the target's primary key. */
const shadowSpec = (target: ColumnSpec, nullable: boolean, unique: boolean, index: boolean, column: string | undefined): ColumnSpec => {
  const options = { nullable, unique, index, column }
  const built =
    target.type === "int"
      ? field.int(options)
      : target.type === "bigint"
        ? field.bigint(options)
        : target.type === "uuid"
          ? field.uuid(options)
          : target.type === "text"
            ? field.text({ ...options, ...(target.maxLength != null ? { maxLength: target.maxLength } : {}) })
            : null
  if (built === null) throw new ModelDefinitionError(`a foreign key cannot reference a ${target.type} primary key`)
  return { ...built.spec, dbType: target.dbType }
}

/**
 * Defines a model: `class Post extends Model("posts", { id: field.id(), ... }) {}`.
 *
 * @param table - table name (also the model's registry key)
 * @param fields - property name -> `field.*()` (columns and relations) or a plain Effect Schema
 */
/** PostgreSQL's identifier limit (NAMEDATALEN - 1); longer names are cut, so Ferro refuses them. */
const MAX_NAME_BYTES = 63

export function Model<const F extends FieldsShape>(
  table: string,
  fields: F,
  options: ModelOptions<F> = {},
): ModelConstructor<F> {
  if (typeof table !== "string" || table.length === 0) throw new ModelDefinitionError("Model() needs a non-empty table name")
  if (typeof fields !== "object" || fields === null) throw new ModelDefinitionError(`Model("${table}") needs a field map`)
  // PostgreSQL cuts longer identifiers to 63 bytes: two such tables would silently be one.
  if (Buffer.byteLength(table) > MAX_NAME_BYTES) {
    throw new ModelDefinitionError(`Model("${table}"): the table name is longer than ${MAX_NAME_BYTES} bytes (PostgreSQL's limit); shorten it`)
  }
  const naming = options.naming ?? "snake_case"
  if (naming !== "snake_case" && naming !== "preserve") {
    throw new ModelDefinitionError(`Model("${table}"): naming must be "snake_case" or "preserve"`)
  }
  const columnName = (property: string): string => (naming === "preserve" ? property : toSnakeCase(property))
  const softDelete: unknown = options.softDelete

  const columnSpecs = new Map<string, ColumnSpec>()
  const relationFields = new Map<string, AnyRelationField>()
  for (const [property, value] of Object.entries(fields)) {
    if (value instanceof RelationField) relationFields.set(property, value as AnyRelationField)
    else if (value instanceof Object && (value as { _tag?: unknown })._tag === "ColumnField") {
      columnSpecs.set(property, (value as AnyColumnField).spec)
    } else if (Schema.isSchema(value)) {
      columnSpecs.set(property, fromSchema(value).spec)
    } else {
      throw new ModelDefinitionError(`Model("${table}"): field '${property}' is neither a field.*() nor an Effect Schema`)
    }
  }
  const shadowKeys = new Map<string, string>()
  for (const [property, relation] of relationFields) {
    if (relation.kind !== "foreignKey") continue
    const shadow = `${property}Id`
    if (columnSpecs.has(shadow) || relationFields.has(shadow)) {
      throw new ModelDefinitionError(`Model("${table}"): field '${shadow}' clashes with the key property of foreign key '${property}'`)
    }
    shadowKeys.set(property, shadow)
  }
  const primaryKeys = [...columnSpecs].filter(([, spec]) => spec.primaryKey)
  if (primaryKeys.length > 1) {
    throw new ModelDefinitionError(
      `Model("${table}"): only one primary key field is supported, got ${primaryKeys.map(([p]) => p).join(", ")}`,
    )
  }
  if (softDelete !== undefined) {
    const spec = typeof softDelete === "string" ? columnSpecs.get(softDelete) : undefined
    if (spec === undefined) {
      throw new ModelDefinitionError(`Model("${table}"): softDelete names '${String(softDelete)}', which is not a column field of this model`)
    }
    if (spec.type !== "datetime" || !spec.nullable || spec.primaryKey) {
      throw new ModelDefinitionError(
        `Model("${table}"): softDelete field '${softDelete as string}' must be a nullable datetime, such as field.datetime({ nullable: true })`,
      )
    }
  }
  const primaryKey: PrimaryKeyInfo | null =
    primaryKeys.length === 0
      ? null
      : { property: primaryKeys[0]![0], column: primaryKeys[0]![1].column ?? columnName(primaryKeys[0]![0]), spec: primaryKeys[0]![1] }

  const columnMeta = (property: string, spec: ColumnSpec, column: string): ColumnMetadata => ({
    property,
    column,
    type: spec.type,
    dbType: spec.dbType === undefined ? null : typeof spec.dbType === "string" ? spec.dbType : { ...spec.dbType },
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
    onUpdateNow: spec.onUpdateNow,
  })

  /** Calls a relation's thunk and checks it returns a model class. */
  const targetOf = (property: string, relation: AnyRelationField): InternalRuntime => {
    let target: unknown
    try {
      target = relation.target()
    } catch (error) {
      throw new ModelDefinitionError(
        `Model("${table}"): relation '${property}' refers to a model that is not defined yet (${error instanceof Error ? error.message : String(error)})`,
      )
    }
    try {
      return runtimeOf(target as object)
    } catch {
      throw new ModelDefinitionError(`Model("${table}"): relation '${property}' must return a model class from its thunk`)
    }
  }

  const joinTableName = (owner: string, property: string, through: string | undefined) =>
    through ?? `${owner}_${toSnakeCase(property)}`
  const joinColumns = (owner: string, property: string): [string, string] => {
    const source = `${owner}_id`
    const target = `${toSnakeCase(property)}_id`
    return [source, target === source ? `target_${target}` : target]
  }

  interface Resolved {
    readonly metadata: ModelMetadata
    readonly specs: ReadonlyMap<string, ColumnSpec>
    readonly joinTables: ReadonlyArray<ModelMetadata>
    readonly validateAll: (input: unknown) => Result.Result<unknown, SchemaIssue.Issue>
    /**
     * Whether `props` certainly passes {@link validateAll}: every own key is a column and every
     * value passes its field's predicate (or, for a field without one, its own schema). False
     * means "run validateAll", which alone words the errors.
     */
    readonly passes: (props: Record<string, unknown>) => boolean
    readonly valueValidators: ReadonlyMap<string, (input: unknown) => Result.Result<unknown, SchemaIssue.Issue>>
    readonly defaults: ReadonlyArray<readonly [string, () => unknown]>
    readonly normalized: ReadonlyArray<readonly [string, "uuid" | "time"]>
  }
  let resolved: Resolved | null = null

  const build = (self: InternalRuntime): Resolved => {
    const specs = new Map<string, ColumnSpec>()
    const columns: Array<ColumnMetadata> = []
    const foreignKeys: Array<ForeignKeyMetadata> = []
    const manyToMany: Array<ManyToManyMetadata> = []
    const relations: Array<RelationMetadata> = []
    const joinTables: Array<ModelMetadata> = []
    for (const property of Object.keys(fields)) {
      const spec = columnSpecs.get(property)
      if (spec !== undefined) {
        specs.set(property, spec)
        columns.push(columnMeta(property, spec, spec.column ?? columnName(property)))
        continue
      }
      const relation = relationFields.get(property)!
      const target = targetOf(property, relation)
      const relatedName = relation.options.relatedName ?? null
      if (relatedName !== null) {
        const back = target.relationFields.get(relatedName)
        if (back === undefined || back.kind !== "backRef" || targetOf(relatedName, back).baseClass !== self.baseClass) {
          throw new ModelDefinitionError(
            `Model("${table}").${property} names relatedName '${relatedName}', but model "${target.table}" has no field.backRef(() => <this model>) called '${relatedName}'`,
          )
        }
      }
      if (relation.kind === "foreignKey") {
        if (target.primaryKey === null) {
          throw new ModelDefinitionError(`Model("${table}").${property}: target model "${target.table}" has no primary key`)
        }
        const unique = relation.options.unique === true
        const nullable = relation.options.nullable === true || relation.options.onDelete === "set null"
        const shadow = shadowKeys.get(property)!
        const shadowColumn = relation.options.column ?? `${columnName(property)}_id`
        const keySpec = shadowSpec(target.primaryKey.spec, nullable, unique, relation.options.index ?? !unique, shadowColumn)
        specs.set(shadow, keySpec)
        columns.push(columnMeta(shadow, keySpec, shadowColumn))
        foreignKeys.push({
          name: indexName("fk", table, [shadowColumn, target.table]),
          columns: [shadowColumn],
          targetTable: target.table,
          targetColumns: [target.primaryKey.column],
          onDelete: relation.options.onDelete ?? "cascade",
        })
        relations.push({ property, kind: "foreignKey", targetTable: target.table, via: shadow, relatedName, one: unique, joinTable: null })
      } else if (relation.kind === "manyToMany") {
        if (primaryKey === null || target.primaryKey === null) {
          throw new ModelDefinitionError(`Model("${table}").${property}: both sides of a many-to-many relation need a primary key`)
        }
        const joinTable = joinTableName(table, property, relation.options.through)
        const [sourceColumn, targetColumn] = joinColumns(table, property)
        manyToMany.push({ property, joinTable, sourceColumn, targetColumn, targetTable: target.table })
        relations.push({ property, kind: "manyToMany", targetTable: target.table, via: null, relatedName, one: false, joinTable })
        const sourceKey = shadowSpec(primaryKey.spec, false, false, false, sourceColumn)
        const targetKey = shadowSpec(target.primaryKey.spec, false, false, false, targetColumn)
        joinTables.push(
          deepFreeze({
            version: METADATA_VERSION,
            table: joinTable,
            primaryKey: null,
            columns: [columnMeta(sourceColumn, sourceKey, sourceColumn), columnMeta(targetColumn, targetKey, targetColumn)],
            indexes: [
              { name: indexName("uq", joinTable, [sourceColumn, targetColumn]), columns: [sourceColumn, targetColumn], unique: true },
              { name: indexName("idx", joinTable, [targetColumn, sourceColumn]), columns: [targetColumn, sourceColumn], unique: false },
            ],
            foreignKeys: [
              { name: indexName("fk", joinTable, [sourceColumn, table]), columns: [sourceColumn], targetTable: table, targetColumns: [primaryKey.column], onDelete: "cascade" },
              { name: indexName("fk", joinTable, [targetColumn, target.table]), columns: [targetColumn], targetTable: target.table, targetColumns: [target.primaryKey.column], onDelete: "cascade" },
            ],
            manyToMany: [],
            relations: [],
            joinTable: true,
            softDelete: null,
          } satisfies ModelMetadata),
        )
      } else {
        // A back reference mirrors a foreign key or many-to-many on the target that points here.
        const mirrors = [...target.relationFields].filter(
          ([, candidate]) => candidate.kind !== "backRef" && targetOf(property, candidate).baseClass === self.baseClass,
        )
        const named = mirrors.filter(([, candidate]) => candidate.options.relatedName === property)
        const unnamed = mirrors.filter(([, candidate]) => candidate.options.relatedName === undefined)
        const chosen = named.length === 1 ? named : named.length === 0 && unnamed.length === 1 ? unnamed : []
        if (chosen.length !== 1) {
          throw new ModelDefinitionError(
            mirrors.length === 0
              ? `Model("${table}").${property}: back reference to "${target.table}", but "${target.table}" has no foreignKey or manyToMany pointing to "${table}"`
              : `Model("${table}").${property}: "${target.table}" has several relations to "${table}"; give the one this mirrors relatedName: '${property}'`,
          )
        }
        const [via, mirrored] = chosen[0]!
        const one = mirrored.kind === "foreignKey" && mirrored.options.unique === true
        if ((relation.options.one === true) !== one) {
          throw new ModelDefinitionError(
            `Model("${table}").${property}: ${one ? `"${target.table}".${via} is a unique foreign key, so declare field.backRef(..., { one: true })` : `{ one: true } needs "${target.table}".${via} to be a unique foreign key`}`,
          )
        }
        relations.push({
          property,
          kind: "backRef",
          targetTable: target.table,
          via,
          relatedName: mirrored.options.relatedName ?? null,
          one,
          joinTable: mirrored.kind === "manyToMany" ? joinTableName(target.table, via, mirrored.options.through) : null,
        })
      }
    }

    const columnNames = new Map<string, string>()
    for (const c of columns) {
      if (Buffer.byteLength(c.column) > MAX_NAME_BYTES) {
        throw new ModelDefinitionError(
          `Model("${table}"): column '${c.column}' of field '${c.property}' is longer than ${MAX_NAME_BYTES} bytes (PostgreSQL's limit); shorten it`,
        )
      }
      const clash = columnNames.get(c.column)
      if (clash !== undefined) {
        throw new ModelDefinitionError(`Model("${table}"): fields '${clash}' and '${c.property}' both map to column '${c.column}'`)
      }
      columnNames.set(c.column, c.property)
    }
    const columnOf = (property: string, what: string): string => {
      const column = columns.find((c) => c.property === property)
      if (column === undefined) {
        throw new ModelDefinitionError(
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
      if (!Array.isArray(groups)) throw new ModelDefinitionError(`Model("${table}"): ${what} must be an array of field-name arrays`)
      for (const group of groups) {
        if (!Array.isArray(group) || group.length < 2) {
          throw new ModelDefinitionError(
            `Model("${table}"): each ${what} entry must name at least two fields (use { ${unique ? "unique" : "index"}: true } on a field for one)`,
          )
        }
        const cols = group.map((p) => columnOf(p, what))
        if (new Set(cols).size !== cols.length) {
          throw new ModelDefinitionError(`Model("${table}"): ${what} entry [${group.join(", ")}] repeats a field`)
        }
        const same = (i: IndexMetadata) => i.unique === unique && i.columns.join("\0") === cols.join("\0")
        if (indexes.some(same)) continue
        let name = indexName(unique ? "uq" : "idx", table, cols)
        // A different index already has this name (e.g. unique `aB` -> uq_t_a_b vs [a, b]): disambiguate.
        if (indexes.some((i) => i.name === name)) name = indexName(unique ? "uq" : "idx", table, [...cols, "composite"])
        indexes.push({ name, columns: cols, unique })
      }
    }
    composite(options.compositeUniques as ReadonlyArray<ReadonlyArray<string>> | undefined, true)
    composite(options.compositeIndexes as ReadonlyArray<ReadonlyArray<string>> | undefined, false)

    const metadata: ModelMetadata = deepFreeze({
      version: METADATA_VERSION,
      table,
      primaryKey: primaryKey?.property ?? null,
      columns,
      indexes,
      foreignKeys,
      manyToMany,
      relations,
      joinTable: false,
      softDelete: options.softDelete ?? null,
    })
    const valueFields: Record<string, Schema.Top> = {}
    for (const [property, spec] of specs) valueFields[property] = structField(spec, spec.valueSchema)
    const valueValidators = new Map(
      [...specs].map(([p, spec]) => [p, valueValidator(spec)] as const),
    )
    return {
      metadata,
      specs,
      joinTables,
      validateAll: SchemaParser.decodeUnknownResult(Schema.toType(Schema.Struct(valueFields)), {
        errors: "all",
        onExcessProperty: "error",
      }),
      passes: passesAll(specs, valueValidators),
      valueValidators,
      defaults: [...specs].flatMap(([p, spec]) => (spec.makeDefault === null ? [] : [[p, spec.makeDefault] as const])),
      normalized: [...specs].flatMap(([p, spec]) =>
        spec.type === "uuid" || spec.type === "time" ? [[p, spec.type] as const] : [],
      ),
    }
  }

  const prepare = (modelName: string, input: unknown): Record<string, unknown> => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      throw new ValidationError(modelName, [{ path: "", message: "expected an object of field values" }])
    }
    const { validateAll, passes, defaults, normalized } = runtime.resolve()
    const props: Record<string, unknown> = { ...(input as Record<string, unknown>) }
    const related: Array<readonly [string, object]> = []
    // A foreign key may be given as the related instance (`author`) or its key (`authorId`).
    for (const [property, shadow] of shadowKeys) {
      if (!(property in props)) continue
      const value = props[property]
      delete props[property]
      if (value === undefined) continue
      let key: unknown = value
      if (isModelInstance(value)) {
        const target = runtimeOf(value.constructor)
        key = (value as Record<string, unknown>)[target.primaryKey?.property ?? ""]
        if (key === undefined || key === null || persistedSnapshot(value) === null) {
          throw new ValidationError(modelName, [{ path: property, message: "the related instance has no primary key yet; save it first" }])
        }
        related.push([property, value])
      }
      if (props[shadow] !== undefined && props[shadow] !== key) {
        throw new ValidationError(modelName, [{ path: property, message: `conflicts with the given ${shadow}` }])
      }
      props[shadow] = key
    }
    for (const [property, makeDefault] of defaults) {
      if (props[property] === undefined) props[property] = makeDefault()
    }
    // Canonical spellings (lower-case UUIDs, times without trailing zeros) so both backends
    // store, return and match the same value.
    for (const [property, type] of normalized) props[property] = normalizeValue(type, props[property])
    if (!passes(props)) {
      const result = validateAll(props)
      // Effect's issue is not attached as cause: Ferro's messages are the whole report.
      if (Result.isFailure(result)) throw new ValidationError(modelName, issuesOf(result.failure))
    }
    pendingRelated = related
    return props
  }
  let pendingRelated: ReadonlyArray<readonly [string, object]> = []

  const structFields: Record<string, Schema.Top> = {}
  for (const property of Object.keys(fields)) {
    const spec = columnSpecs.get(property)
    if (spec !== undefined) structFields[property] = structField(spec, spec.structSchema)
    else if (shadowKeys.has(property)) {
      const shadow = shadowKeys.get(property)!
      // The key's type is the target's primary key type, known once relations resolve.
      structFields[shadow] = Schema.suspend((): AnySchema => runtime.resolve().specs.get(shadow)!.structSchema)
    }
  }

  const SchemaBase = Schema.Class<unknown>(table)(structFields) as unknown as new (
    props: Record<string, unknown>,
    options?: object,
  ) => object

  /**
   * The Effect Schema of one model class: the encoded struct, decoding to an instance of that
   * very class. Effect's own class schema is made for the first class that asks (and wants
   * subclasses declared with `.extend`), so each subclass of a model gets its own here.
   */
  const classSchemas = new WeakMap<object, Schema.Top>()
  const classSchema = (cls: typeof FerroModel): Schema.Top => {
    let schema = classSchemas.get(cls)
    if (schema === undefined) {
      const instance = Schema.declare((value: unknown): value is object => value instanceof cls, {
        identifier: table,
        expected: `an instance of ${cls.name}`,
      })
      schema = Schema.Struct(structFields).pipe(
        Schema.decodeTo(
          instance,
          SchemaTransformation.transform<object, Record<string, unknown>>({
            decode: (props) => new cls(props, DECODED),
            encode: (instance) => instance as Record<string, unknown>,
          }),
        ),
      )
      classSchemas.set(cls, schema)
    }
    return schema
  }

  class FerroModel extends SchemaBase {
    constructor(input: Record<string, unknown> = {}, trusted?: typeof TRUSTED | typeof DECODED | object) {
      if (trusted === TRUSTED) {
        // Rows read from the database are trusted: skip Effect's constructor (a props copy,
        // a parse of every field, then an assign) and return the instance built here, filled by
        // the hydrator's function (`input`). Subclass field initialisers run on
        // it afterwards, since a returned object becomes their `this`, and see the columns.
        // biome-ignore lint/correctness/noConstructorReturn: the fast path for hydration.
        const self = new (bareConstructor(new.target))() as FerroModel
        ;(input as unknown as (instance: object) => void)(self)
        return self
      }
      if (trusted === DECODED) {
        // Decoded by the model's Schema, whose struct has checked every field already.
        const self = new (bareConstructor(new.target))() as FerroModel
        assignProps(self, input)
        // biome-ignore lint/correctness/noConstructorReturn: built without Effect's constructor.
        return self
      }
      if (typeof trusted === "object" && trusted !== null) {
        // Effect's own class machinery, with a value it validated against the class struct.
        super(input, trusted)
        return
      }
      // Validated here, once (Effect's constructor would parse every field a second time).
      const props = prepare(new.target.name || table, input)
      const self = new (bareConstructor(new.target))() as FerroModel
      assignProps(self, props)
      if (recording) {
        lastValidated = self
        lastValidatedProps = props
      }
      for (const [property, value] of pendingRelated) {
        setRelated(self, property, value, (self as Record<string, unknown>)[shadowKeys.get(property)!])
      }
      pendingRelated = []
      // biome-ignore lint/correctness/noConstructorReturn: built without Effect's constructor.
      return self
    }

    /** The model's Effect Schema (each subclass decodes to its own instances). */
    static get ast(): SchemaAST.AST {
      return classSchema(this).ast
    }

    /** `Model.make(input)` is `new Model(input)`: validation, defaults, related instances. */
    static make(input: Record<string, unknown>): object {
      return new this(input)
    }

    static makeOption(input: Record<string, unknown>): Option.Option<object> {
      try {
        return Option.some(new this(input))
      } catch (error) {
        if (error instanceof ValidationError) return Option.none()
        throw error
      }
    }
  }
  Object.defineProperty(FerroModel.prototype, MODEL_BRAND, { value: true })
  Object.defineProperty(FerroModel, "name", { value: `Model(${table})` })

  const runtime = {
    table,
    primaryKey,
    relationFields,
    shadowKeys,
    baseClass: FerroModel,
    resolve: (): Resolved => {
      if (resolved === null) resolved = build(runtime)
      return resolved
    },
    get metadata(): ModelMetadata {
      return runtime.resolve().metadata
    },
    get specs(): ReadonlyMap<string, ColumnSpec> {
      return runtime.resolve().specs
    },
    joinTables: () => runtime.resolve().joinTables,
    validateValue: (property: string, value: unknown): ReadonlyArray<ValidationIssue> => {
      const validate = runtime.resolve().valueValidators.get(property)
      if (validate === undefined) return [{ path: property, message: "is not a field of this model" }]
      const result = validate(value)
      return Result.isFailure(result)
        ? issuesOf(result.failure).map((i) => ({ ...i, path: i.path ? `${property}.${i.path}` : property }))
        : []
    },
  }
  // Resolved on first read (relations may name models defined later), then a plain value:
  // every query reads it, and the getter chain was 6% of Ferro's own time per point lookup.
  Object.defineProperty(FerroModel, "metadata", {
    get: () => {
      const { metadata } = runtime
      Object.defineProperty(FerroModel, "metadata", { value: metadata, enumerable: true, writable: false, configurable: false })
      return metadata
    },
    enumerable: true,
    configurable: true,
  })

  runtimes.set(FerroModel, runtime)
  registerModel({
    table,
    get metadata() {
      return runtime.metadata
    },
    joinTables: runtime.joinTables,
    modelClass: FerroModel,
  })
  // Without relations nothing needs to wait for other models: report definition errors now.
  if (relationFields.size === 0) runtime.resolve()
  modelClasses.push(FerroModel)
  for (const extension of extensions) extension(FerroModel)
  return FerroModel as unknown as ModelConstructor<F>
}
