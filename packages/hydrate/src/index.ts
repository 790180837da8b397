/**
 * `@ferro/hydrate`: turns result rows into model instances using only the model-metadata
 * contract. The generated-JS engine builds one specialised hydrator per model, dialect and
 * column set, fed with array rows, calling the model constructor.
 *
 * @packageDocumentation
 */
export { hydratorFor, type HydratableClass, type HydrationTarget, type Hydrator } from "./hydrator.js"
export { cellDecoder, decoderFor, needsBigints, type DecoderExpression } from "./decoders.js"
