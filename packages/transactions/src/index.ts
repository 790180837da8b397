/**
 * `@ferro/transactions`: not implemented yet (see README.md for what it will hold).
 *
 * @packageDocumentation
 */

/** Marks the package as a placeholder until its implementation lands. */
export const implemented = false as const
