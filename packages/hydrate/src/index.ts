/**
 * `@ferro/hydrate`: turns result rows into model instances using only the model-metadata
 * contract. The generated-JS engine builds one specialised hydrator per model, dialect and
 * column set, fed with array rows (or, on the native engine, with cells passed as call
 * arguments), calling the model constructor. The native engine (a C++ addon that owns a
 * SQLite connection) is loaded from here; lazy columnar results read its typed-array columns.
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
export {
  loadNativeEngine,
  type NativeBinding,
  type NativeDatabase,
  type NativeEngine,
  type NativeStatement,
} from "./native.js"
