/**
 * The drizzle schema drizzle-kit reads: Ferro's registered models as drizzle-orm tables.
 *
 * drizzle-kit only finds tables exported as top-level named exports (an object or default
 * export silently yields "0 tables"), so every table is exported by name below; the check at
 * the end fails loudly when a model is added without its export.
 */
import { toDrizzleSchema } from "@ferro/migrate/drizzle"
import { modelsMetadata } from "ferro-orm"
import "./models.js"

const dialect = process.env.FERRO_DRIZZLE_DIALECT === "postgres" ? "postgres" : "sqlite"

/** Every table, keyed by table name (join tables included). */
export const schema = toDrizzleSchema(modelsMetadata(), { dialect })

export const { authors, posts, tags, comments, posts_tags } = schema

const exported: Record<string, unknown> = { authors, posts, tags, comments, posts_tags }
const missing = Object.keys(schema).filter((table) => exported[table] === undefined)
if (missing.length > 0) {
  throw new Error(`schema.ts: export the drizzle table(s) ${missing.join(", ")} by name, or drizzle-kit will not see them`)
}
