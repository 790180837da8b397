/**
 * The live schema of a database, as introspection reads it (the shapes are core's: each
 * dialect's introspector builds them).
 *
 * @module
 */
export type { LiveColumn, LiveForeignKey, LiveIndex, LiveTable } from "@ferro/core/internal"
