/**
 * The backend registry: each backend package registers the URL schemes it opens, with its
 * dialect and an opener; `connect()` looks a URL's scheme up here.
 *
 * @module
 */
import type { Dialect } from "./dialect.js"
import type { Driver } from "./driver.js"

/** Connection options a backend's opener receives (each backend uses or refuses what applies to it). */
export interface BackendOpenOptions {
  /** Pool sizing (pooled backends). */
  readonly pool?: { readonly max?: number; readonly min?: number }
  /** Engine choice (`"native"`: Ferro's native engine, where the backend has one). */
  readonly engine?: "js" | "native"
  /** Milliseconds a statement may run before the database cancels it. */
  readonly statementTimeout?: number
  /** Milliseconds a statement may wait for a lock. */
  readonly lockTimeout?: number
}

/** A database backend: the URL schemes it opens, its dialect, and its opener. */
export interface Backend {
  /** URL schemes, lower case, without the colon (sqlite, postgres, postgresql). */
  readonly schemes: ReadonlyArray<string>
  readonly dialect: Dialect
  /** Opens a driver for `url` (the password is redacted from every error it raises). */
  open(url: string, options: BackendOpenOptions): Promise<Driver>
}

const backends = new Map<string, Backend>()

/** Registers `backend` for its schemes (a later registration of a scheme replaces an earlier one). */
export const registerBackend = (backend: Backend): void => {
  for (const scheme of backend.schemes) backends.set(scheme.toLowerCase(), backend)
}

/** The backend registered for `scheme` (case-insensitive), if any. */
export const backendFor = (scheme: string): Backend | undefined => backends.get(scheme.toLowerCase())

/** Every registered scheme, in registration order. */
export const registeredSchemes = (): ReadonlyArray<string> => [...backends.keys()]
