/** Resolve workspace packages to their TypeScript sources so tests need no build step. */
export const sourceConditions = ["@ferro/source", "node"]
