/**
 * Field builders (`field.text()`, `field.int({ default: 0 })`, ...). A field describes one
 * column: its logical type, validation schema, storage and constraints. Types follow the
 * options: `nullable: true` adds `null`, a default makes the field optional on create.
 *
 * @module
 */
import { Result, Schema, SchemaAST, SchemaParser } from "effect"
import type { ColumnDefault, LogicalType } from "./metadata.js"
import { ModelDefinitionError } from "./errors.js"
import { backRef, foreignKey, manyToMany } from "./relation-fields.js"
import { INT32_MAX, INT32_MIN, acceptsFor, isWellFormedText } from "./value-checks.js"

export { isWellFormedText }

/** Any Effect Schema that needs no services to decode or encode. */
export type AnySchema = Schema.Codec<unknown, unknown, never, never>

/**
 * Storage type override: one spelling for every dialect, or one per dialect name (a dialect
 * not named keeps its own type).
 */
export type DbType =
  | string
  | { readonly sqlite?: string; readonly postgres?: string; readonly [dialect: string]: string | undefined }

/** Options every column field accepts. */
export interface FieldOptions<T> {
  /** Column accepts NULL; the property type gains `null` and defaults to `null`. */
  readonly nullable?: boolean
  /** Value used when the create input leaves the field out. A function is called per row. */
  readonly default?: T | (() => T)
  readonly unique?: boolean
  readonly index?: boolean
  readonly primaryKey?: boolean
  /** Column name; defaults to the property name in snake_case. */
  readonly column?: string
  /** Storage type override for DDL. */
  readonly dbType?: DbType
  /** Extra validation: a schema whose type is the field's type (e.g. `Schema.String.check(Schema.isMinLength(1))`). */
  readonly schema?: AnySchema & { readonly Type: T }
}

/** Options of `field.text()`. */
export interface TextOptions extends FieldOptions<string> {
  /** Maximum length in characters; stored as `varchar(n)`. */
  readonly maxLength?: number
}

/** Options of `field.decimal()`. */
export interface DecimalOptions extends FieldOptions<string> {
  readonly precision?: number
  readonly scale?: number
}

/** Options of `field.datetime()`. */
export interface DateTimeOptions extends FieldOptions<Date> {
  /** Default to the current time when the create input leaves the field out. */
  readonly defaultNow?: boolean
  /**
   * Set to the current time on every write of the row: `save()` (insert and update), query
   * `update()`, `upsert`. Also set on insert when the create input leaves it out (so it is
   * optional on create).
   */
  readonly onUpdateNow?: boolean
}

/** Options of `field.uuid()`. A UUID primary key defaults to a random v4 UUID. */
export interface UuidOptions extends FieldOptions<string> {
  /** Default to a random v4 UUID when the create input leaves the field out. */
  readonly defaultRandom?: boolean
}

/** Options of `field.json()`. */
export interface JsonOptions<T> extends FieldOptions<T> {}

/** Options of `field.id()`. */
export interface IdOptions {
  readonly column?: string
  readonly dbType?: DbType
}

/** Everything Ferro resolved about a column field at definition time. */
export interface ColumnSpec {
  readonly type: LogicalType
  readonly nullable: boolean
  readonly default: ColumnDefault | null
  /** Produces the default value; null when the field has no default. */
  readonly makeDefault: (() => unknown) | null
  readonly primaryKey: boolean
  readonly autoincrement: boolean
  readonly unique: boolean
  readonly index: boolean
  readonly column: string | undefined
  readonly dbType: DbType | undefined
  readonly enumValues: ReadonlyArray<string> | null
  readonly maxLength: number | null
  readonly precision: number | null
  readonly scale: number | null
  /** Set to the current time on every write of the row (`field.datetime({ onUpdateNow: true })`). */
  readonly onUpdateNow: boolean
  /** Validates an instance value (type side). */
  readonly valueSchema: AnySchema
  /**
   * A plain predicate that holds only for values `valueSchema` accepts (see value-checks.ts),
   * or null: validation runs the schema only for values it does not accept.
   */
  readonly accepts: ((value: unknown) => boolean) | null
  /** Type <-> JSON-friendly encoding used by the model's Effect Schema. */
  readonly structSchema: AnySchema
}

/**
 * A column field. `T` is the property type, `Optional` says whether create may leave it out.
 * Built by the `field.*` functions; not constructed directly.
 */
export class ColumnField<T, Optional extends boolean = boolean, PrimaryKey extends boolean = boolean> {
  readonly _tag = "ColumnField" as const
  /** Phantom: the property type. */
  declare readonly "~type": T
  /** Phantom: whether create input may omit the field. */
  declare readonly "~optional": Optional
  /** Phantom: whether this is the primary key. */
  declare readonly "~pk": PrimaryKey
  constructor(readonly spec: ColumnSpec) {}
}

/** Any column field. */
export type AnyColumnField = ColumnField<unknown, boolean> | ColumnField<never, boolean>

type IsNullable<O> = O extends { readonly nullable: true } ? true : false
type HasDefault<O> = O extends { readonly default: unknown }
  ? true
  : O extends { readonly defaultNow: true }
    ? true
    : O extends { readonly onUpdateNow: true }
      ? true
    : O extends { readonly defaultRandom: true }
      ? true
      : false

/** The field a builder returns for options `O`. */
export type Built<T, O, ForceOptional extends boolean = false> = ColumnField<
  IsNullable<O> extends true ? T | null : T,
  ForceOptional extends true ? true : IsNullable<O> extends true ? true : HasDefault<O>,
  O extends { readonly primaryKey: true } ? true : false
>

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

const isValidCalendarDate = (s: string): boolean => {
  const [y, m, d] = s.split("-").map(Number) as [number, number, number]
  const date = new Date(0)
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  date.setUTCFullYear(y, m - 1, d)
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d
}


const wellFormed = Schema.makeFilter((v: string) => isWellFormedText(v), {
  expected: "well-formed Unicode text (no lone surrogate halves)",
})

/** A storage type that holds 64-bit integers on PostgreSQL (SQLite's INTEGER always does). */
const WIDE_INTEGER = /^\s*(bigint|int8|bigserial|serial8)\s*$/i

/** Whether an integer field's `dbType` stores 64 bits on every backend. */
export const isWideIntegerDbType = (dbType: DbType | undefined): boolean => {
  const postgres = typeof dbType === "string" ? dbType : dbType?.postgres
  return postgres !== undefined && WIDE_INTEGER.test(postgres)
}

/** Per-kind validation schema (type side) and JSON-friendly struct schema. */
const base = {
  int: (wide = false) => {
    const s = wide
      ? Schema.Int.check(
          Schema.isBetween(
            { minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
            { expected: "a safe integer (within ±2^53-1)" },
          ),
        )
      : Schema.Int.check(Schema.isBetween({ minimum: INT32_MIN, maximum: INT32_MAX }, { expected: "a 32-bit integer" }))
    return [s, s] as const
  },
  bigint: () => {
    const range = Schema.isBetweenBigInt({ minimum: INT64_MIN, maximum: INT64_MAX }, { expected: "a 64-bit integer" })
    return [Schema.BigInt.check(range), Schema.BigIntFromString.check(range)] as const
  },
  float: () => [Schema.Finite, Schema.Finite] as const,
  decimal: () => {
    const s = Schema.String.check(Schema.isPattern(/^-?\d+(\.\d+)?$/, { expected: 'a decimal string such as "12.50"' }))
    return [s, s] as const
  },
  text: () => {
    const s = Schema.String.check(wellFormed)
    return [s, s] as const
  },
  bool: () => [Schema.Boolean, Schema.Boolean] as const,
  // Schema.Date refuses invalid dates (`new Date("x")`); DateFromString encodes as an ISO string.
  datetime: () => [Schema.Date, Schema.DateFromString] as const,
  date: () => {
    const s = Schema.String.check(
      Schema.isPattern(/^\d{4}-\d{2}-\d{2}$/, { expected: "a date as YYYY-MM-DD" }),
      Schema.makeFilter((v: string) => !/^\d{4}-\d{2}-\d{2}$/.test(v) || isValidCalendarDate(v), {
        expected: "a valid calendar date",
      }),
    )
    return [s, s] as const
  },
  time: () => {
    const s = Schema.String.check(
      Schema.isPattern(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?$/, { expected: "a time as HH:MM:SS[.ffffff]" }),
    )
    return [s, s] as const
  },
  // Any 8-4-4-4-12 hex spelling, as PostgreSQL's uuid type takes (Schema.isUUID also wants a
  // version and variant).
  uuid: () => {
    const s = Schema.String.check(Schema.isGUID({ expected: "a UUID" }))
    return [s, s] as const
  },
  bytes: () => [Schema.Uint8Array, Schema.Uint8ArrayFromBase64] as const,
} satisfies Record<string, () => readonly [AnySchema, AnySchema]>

interface Extras {
  readonly type: LogicalType
  readonly valueSchema: AnySchema
  readonly structSchema: AnySchema
  readonly primaryKey?: boolean
  readonly autoincrement?: boolean
  readonly defaultNow?: boolean
  readonly defaultRandom?: boolean
  readonly onUpdateNow?: boolean
  readonly enumValues?: ReadonlyArray<string> | null
  readonly maxLength?: number | null
  readonly precision?: number | null
  readonly scale?: number | null
  /** The schemas already admit null (plain nullable Effect Schemas). */
  readonly nullWrapped?: boolean
}

/**
 * Values `JSON.stringify` / `JSON.parse` round-trip unchanged: null, booleans, finite numbers,
 * well-formed strings, arrays and plain objects of those (well-formed keys), without cycles.
 * A Map, Set, Date, class instance, function, undefined, bigint or NaN is not one.
 */
export const isJsonValue = (value: unknown, path: Set<object> = new Set()): boolean => {
  if (value === null || typeof value === "boolean") return true
  if (typeof value === "string") return isWellFormedText(value)
  if (typeof value === "number") return Number.isFinite(value)
  if (typeof value !== "object" || path.has(value)) return false // cycles cannot be stored
  if (!Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) return false
  }
  // Symbol keys and accessors JSON would drop or call are not plain data either.
  if (Object.getOwnPropertySymbols(value).length > 0) return false
  path.add(value)
  const ok = Array.isArray(value)
    ? Array.from(value, (v) => v).every((v) => isJsonValue(v, path)) // holes read as undefined: refused
    : Object.entries(value).every(([k, v]) => isWellFormedText(k) && isJsonValue(v, path))
  path.delete(value)
  return ok
}

const jsonValue: AnySchema = Schema.Unknown.check(
  Schema.makeFilter((v) => isJsonValue(v), {
    expected: "a JSON value (null, boolean, finite number, string, array or plain object)",
  }),
)

/** Validates the type side of `schema`; the issue (never the value) on failure. */
const typeValidator = (schema: AnySchema) => SchemaParser.decodeUnknownResult(Schema.toType(schema), { errors: "all" })

/** Adds `extra`'s checks on top of `schema`, reporting `extra`'s own issues. */
const refineWith = (schema: AnySchema, extra: AnySchema): AnySchema => {
  const validate = typeValidator(extra)
  return schema.check(
    Schema.makeFilter((value) => {
      const result = validate(value)
      return Result.isFailure(result) ? result.failure : undefined
    }),
  )
}

/** Digits before and after the point must fit `numeric(precision, scale)`. */
const fitsDecimal = (value: string, precision: number | null, scale: number | null): boolean => {
  if (precision === null) return true
  const [whole = "", fraction = ""] = value.replace(/^-/, "").split(".")
  const integerDigits = whole.replace(/^0+/, "").length
  return fraction.length <= (scale ?? 0) && integerDigits <= precision - (scale ?? 0)
}

const toColumnDefault = (value: unknown): ColumnDefault =>
  typeof value === "function"
    ? { kind: "function" }
    : value === null || typeof value === "string" || typeof value === "boolean" || typeof value === "number"
      ? { kind: "literal", value }
      : { kind: "function" }

function build<T, O, F extends boolean = false>(options: FieldOptions<unknown> | undefined, extras: Extras): Built<T, O, F> {
  const opts = options ?? {}
  const nullable = opts.nullable === true
  const primaryKey = extras.primaryKey ?? opts.primaryKey === true
  if (primaryKey && nullable) throw new ModelDefinitionError("A primary key field cannot be nullable")
  if (opts.schema !== undefined && !Schema.isSchema(opts.schema)) {
    throw new ModelDefinitionError(
      "field option `schema` must be an Effect Schema (effect 4), e.g. Schema.String.check(Schema.isMinLength(1))",
    )
  }
  let valueSchema = extras.valueSchema
  let structSchema = extras.structSchema
  if (opts.schema !== undefined) {
    // The user's schema adds checks; the kind's own checks (type, range, format) still apply.
    valueSchema = refineWith(valueSchema, opts.schema)
    structSchema = refineWith(structSchema, opts.schema)
  }
  if (extras.precision != null) {
    const { precision, scale } = extras
    const fits = Schema.makeFilter((v: string) => fitsDecimal(v, precision, scale ?? null), {
      expected: `at most ${precision} digits with ${scale ?? 0} after the point`,
    })
    valueSchema = (valueSchema as typeof Schema.String).check(fits)
    structSchema = (structSchema as typeof Schema.String).check(fits)
  }
  if (extras.maxLength != null) {
    valueSchema = (valueSchema as typeof Schema.String).check(Schema.isMaxLength(extras.maxLength))
    structSchema = (structSchema as typeof Schema.String).check(Schema.isMaxLength(extras.maxLength))
  }
  if (nullable && !extras.nullWrapped) {
    valueSchema = Schema.NullOr(valueSchema)
    structSchema = Schema.NullOr(structSchema)
  }
  if (extras.autoincrement) {
    // The model's struct also makes the key optional (an effect 4 struct requires every key).
    valueSchema = Schema.UndefinedOr(valueSchema)
    structSchema = Schema.UndefinedOr(structSchema)
  }

  let columnDefault: ColumnDefault | null = null
  let makeDefault: (() => unknown) | null = null
  if (opts.default !== undefined) {
    const given = opts.default
    columnDefault = toColumnDefault(given)
    makeDefault =
      typeof given === "function"
        ? (given as () => unknown)
        : typeof given === "object" && given !== null
          ? () => structuredClone(given) // each instance gets its own copy of an object default
          : () => given
  } else if (extras.defaultNow) {
    columnDefault = { kind: "now" }
    makeDefault = () => new Date()
  } else if (extras.defaultRandom) {
    columnDefault = { kind: "randomUuid" }
    makeDefault = () => crypto.randomUUID()
  } else if (nullable) {
    columnDefault = { kind: "literal", value: null }
    makeDefault = () => null
  }

  const spec: ColumnSpec = {
    type: extras.type,
    nullable,
    default: columnDefault,
    makeDefault,
    primaryKey,
    autoincrement: extras.autoincrement ?? false,
    unique: opts.unique === true,
    index: opts.index === true,
    column: opts.column,
    dbType: opts.dbType,
    enumValues: extras.enumValues ?? null,
    maxLength: extras.maxLength ?? null,
    precision: extras.precision ?? null,
    scale: extras.scale ?? null,
    onUpdateNow: extras.onUpdateNow === true,
    valueSchema,
    structSchema,
    // A user schema (or a field built from one) adds checks no predicate knows.
    accepts:
      opts.schema !== undefined || extras.nullWrapped === true
        ? null
        : acceptsFor({
            type: extras.type,
            wide: extras.type === "int" && isWideIntegerDbType(opts.dbType),
            maxLength: extras.maxLength ?? null,
            enumValues: extras.enumValues ?? null,
            nullable,
            autoincrement: extras.autoincrement === true,
          }),
  }
  return new ColumnField(spec) as Built<T, O, F>
}

const simple =
  <T, K extends keyof typeof base>(kind: K) =>
  <const O extends FieldOptions<T> = {}>(options?: O): Built<T, O> => {
    const [valueSchema, structSchema] = base[kind]()
    return build<T, O>(options, { type: kind, valueSchema, structSchema })
  }

/** Integer primary key assigned by the database; optional on create. */
const id = (options?: IdOptions): ColumnField<number, true, true> => {
  const [valueSchema, structSchema] = base.int(isWideIntegerDbType(options?.dbType))
  return build<number, { primaryKey: true }, true>(options, {
    type: "int",
    valueSchema,
    structSchema,
    primaryKey: true,
    autoincrement: true,
  })
}

/**
 * Integer as a JS `number`: 32-bit (`integer`) by default. With a 64-bit storage type
 * (`dbType: "bigint"`, `"int8"` or `{ postgres: "bigint" }`) it takes any safe integer
 * (up to ±2^53-1, `Number.MAX_SAFE_INTEGER`) on every backend, read back exactly as a
 * `number`. For the full 64-bit range use `field.bigint()`, whose property is a `bigint`.
 */
const int = <const O extends FieldOptions<number> = {}>(options?: O): Built<number, O> => {
  const [valueSchema, structSchema] = base.int(isWideIntegerDbType(options?.dbType))
  return build<number, O>(options, { type: "int", valueSchema, structSchema })
}
/** 64-bit integer as a JS `bigint` (`integer` on SQLite, `bigint` on PostgreSQL). */
const bigint = simple<bigint, "bigint">("bigint")
/** Finite double-precision float. */
const float = simple<number, "float">("float")
/** Boolean. */
const bool = simple<boolean, "bool">("bool")
/** Calendar date as a `YYYY-MM-DD` string (no time zone games). */
const date = simple<string, "date">("date")
/** Time of day as an `HH:MM:SS[.ffffff]` string. */
const time = simple<string, "time">("time")
/** Binary data as a `Uint8Array`; every byte value round-trips. */
const bytes = simple<Uint8Array, "bytes">("bytes")

/** Text; `maxLength` stores it as `varchar(n)` and validates the length. */
const text = <const O extends TextOptions = {}>(options?: O): Built<string, O> => {
  if (options?.maxLength !== undefined && !(Number.isInteger(options.maxLength) && options.maxLength > 0)) {
    throw new ModelDefinitionError(`text maxLength must be a positive integer, got ${String(options.maxLength)}`)
  }
  const [valueSchema, structSchema] = base.text()
  return build<string, O>(options, { type: "text", valueSchema, structSchema, maxLength: options?.maxLength ?? null })
}

/** Phantom marking a decimal field, so queries offer exact `sum()`/`avg()` on it (its values are strings). */
export interface DecimalMarker {
  readonly "~decimal": true
}

/** Exact decimal as a string (`"12.50"`); never a float. */
const decimal = <const O extends DecimalOptions = {}>(options?: O): Built<string, O> & DecimalMarker => {
  const [valueSchema, structSchema] = base.decimal()
  return build<string, O>(options, {
    type: "decimal",
    valueSchema,
    structSchema,
    precision: options?.precision ?? null,
    scale: options?.scale ?? null,
  }) as Built<string, O> & DecimalMarker
}

/** Instant in time as a `Date`, stored with its time zone (UTC). */
const datetime = <const O extends DateTimeOptions = {}>(options?: O): Built<Date, O> => {
  const [valueSchema, structSchema] = base.datetime()
  const onUpdateNow = options?.onUpdateNow === true
  if (options?.onUpdateNow !== undefined && typeof options.onUpdateNow !== "boolean") {
    throw new ModelDefinitionError("datetime onUpdateNow must be a boolean")
  }
  return build<Date, O>(options, {
    type: "datetime",
    valueSchema,
    structSchema,
    defaultNow: options?.defaultNow === true || onUpdateNow,
    onUpdateNow,
  })
}

/** UUID string. A UUID primary key (or `defaultRandom: true`) defaults to a random v4 UUID. */
const uuid = <const O extends UuidOptions = {}>(
  options?: O,
): Built<string, O, O extends { readonly primaryKey: true } ? true : false> => {
  const [valueSchema, structSchema] = base.uuid()
  return build(options, {
    type: "uuid",
    valueSchema,
    structSchema,
    defaultRandom: options?.defaultRandom === true || (options?.primaryKey === true && options.default === undefined),
  })
}

type JsonType<O> = O extends { readonly schema: { readonly Type: infer T } } ? T : unknown

/** JSON value; give `schema` to validate and type it. */
const json = <const O extends JsonOptions<unknown> = {}>(options?: O): Built<JsonType<O>, O> =>
  build<JsonType<O>, O>(options, { type: "json", valueSchema: jsonValue, structSchema: jsonValue })

/** One of a fixed set of strings. */
const enum_ = <const V extends readonly [string, ...string[]], const O extends FieldOptions<V[number]> = {}>(
  values: V,
  options?: O,
): Built<V[number], O> => {
  if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== "string")) {
    throw new ModelDefinitionError("field.enum() needs a non-empty array of strings")
  }
  const literal = Schema.Literals(values)
  return build<V[number], O>(options, { type: "enum", valueSchema: literal, structSchema: literal, enumValues: [...values] })
}

/** Representation ids (`effect/schema/isInt`, ...) of the checks on `ast`, groups included. */
const checkIds = (ast: SchemaAST.AST): Set<string> => {
  const ids = new Set<string>()
  const visit = (check: SchemaAST.Check<unknown>) => {
    const id = (check.annotations as { representation?: { id?: unknown } } | undefined)?.representation?.id
    if (typeof id === "string") ids.add(id)
    if (check._tag === "FilterGroup") for (const inner of check.checks) visit(inner)
  }
  for (const check of ast.checks ?? []) visit(check)
  return ids
}

/** The representation id a declaration (Date, Uint8Array, ...) carries. */
const declarationId = (ast: SchemaAST.AST): string | undefined => {
  const id = (ast.annotations as { representation?: { id?: unknown } } | undefined)?.representation?.id
  return typeof id === "string" ? id : undefined
}

const isStringLiteral = (ast: SchemaAST.AST): ast is SchemaAST.Literal =>
  ast._tag === "Literal" && typeof ast.literal === "string"

/**
 * Infers a column field from a plain Effect Schema: strings -> text, integers -> int,
 * numbers -> float, booleans -> bool, bigints -> bigint, dates -> datetime,
 * `Uint8Array` -> bytes, string literals -> enum, anything else -> json. `NullOr` -> nullable.
 */
export const fromSchema = (input: AnySchema): ColumnField<unknown, boolean> => {
  if (!Schema.isSchema(input)) {
    throw new ModelDefinitionError("fromSchema() needs an Effect Schema (effect 4)")
  }
  let schema = input
  // The type side decides the column: DateFromString is a datetime, BigIntFromString a bigint.
  const typeAst = SchemaAST.toType(schema.ast)
  let nullable = false
  let inner: SchemaAST.AST = typeAst
  if (inner._tag === "Union") {
    const nonNull = inner.types.filter((t) => t._tag !== "Null" && !(t._tag === "Literal" && t.literal === null))
    if (nonNull.length < inner.types.length) {
      nullable = true
      inner = nonNull.length === 1 ? nonNull[0]! : inner
    }
  }
  const ids = checkIds(inner)
  const declared = declarationId(inner)
  let type: LogicalType = "json"
  let enumValues: ReadonlyArray<string> | null = null
  let extra: AnySchema | null = null
  if (inner._tag === "Number" && ids.has("effect/schema/isInt")) {
    type = "int"
    extra = base.int()[0]
  } else if (inner._tag === "String" && (ids.has("effect/schema/isUUID") || ids.has("effect/schema/isGUID"))) type = "uuid"
  else if (inner._tag === "String") {
    type = "text"
    extra = Schema.String.check(wellFormed)
  }
  else if (inner._tag === "Number") type = "float"
  else if (inner._tag === "Boolean") type = "bool"
  else if (inner._tag === "BigInt") type = "bigint"
  else if (declared === "effect/schema/Date") type = "datetime"
  else if (declared === "effect/schema/Uint8Array") type = "bytes"
  else if (isStringLiteral(inner)) {
    type = "enum"
    enumValues = [inner.literal as string]
  } else if (inner._tag === "Union" && inner.types.length > 0 && inner.types.every(isStringLiteral)) {
    type = "enum"
    enumValues = (inner.types as ReadonlyArray<SchemaAST.Literal>).map((t) => t.literal as string)
  } else extra = jsonValue
  if (extra !== null) {
    const guard = typeValidator(nullable ? Schema.NullOr(extra) : extra)
    schema = schema.check(
      Schema.makeFilter((v) => {
        const result = guard(v)
        return Result.isFailure(result) ? result.failure : undefined
      }),
    )
  }
  return build(nullable ? { nullable: true } : undefined, {
    type,
    valueSchema: Schema.toType(schema),
    structSchema: schema,
    enumValues,
    nullWrapped: true,
  })
}

/** The field builders. */
export const field = {
  foreignKey,
  backRef,
  manyToMany,
  id,
  int,
  bigint,
  float,
  decimal,
  text,
  bool,
  datetime,
  date,
  time,
  uuid,
  bytes,
  json,
  enum: enum_,
} as const
