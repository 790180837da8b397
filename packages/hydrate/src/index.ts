/**
 * `@ferro/hydrate`: turns result rows into model instances using only the model-metadata
 * contract. The generated-JS engine builds one specialised hydrator per model, dialect and
 * column set, fed with array rows (or, on the native engine, with cells passed as call
 * arguments), calling the model constructor. Lazy columnar results read the typed-array
 * columns the native engine (`@ferro/sqlite-native`) fills, or array rows elsewhere.
 *
 * @packageDocumentation
 */
export { hydratorFor, type HydratableClass, type HydrationTarget, type Hydrator } from "./hydrator.js"
export { cellDecoder, decoderFor, needsBigints, type DecoderExpression } from "./decoders.js"
export {
  LazyRows,
  arrayCells,
  columnarCells,
  columnarKind,
  type LazyCells,
  type LazyPlan,
  type LazyRow,
  type Materialize,
} from "./lazy.js"
