/**
 * The registry of open connections: name -> driver (+ identity map). `connect()` in
 * `ferro-orm` fills it; queries resolve their connection through it.
 *
 * @module
 */
import type { Driver } from "./driver.js"
import { ConnectionError } from "./errors.js"
import { IdentityMap } from "./identity-map.js"

/** Name of the connection `connect()` registers when no name is given. */
export const DEFAULT_CONNECTION = "default"

/** What operations run on: a registered connection, or a transaction on one. */
export interface ActiveConnection {
  readonly name: string
  readonly driver: Omit<Driver, "begin" | "close">
  /** Null when the connection was opened with `identityMap: false`. */
  readonly identityMap: IdentityMap | null
}

/** An open, registered connection. */
export interface Connection extends ActiveConnection {
  readonly driver: Driver
}

const connections = new Map<string, Connection>()
let defaultName: string | null = null

const NAME = /^[A-Za-z0-9_-]+$/

/** Throws `ConnectionError` unless `name` is a valid connection name (letters, digits, `_`, `-`). */
export const assertConnectionName = (name: unknown, url?: string): void => {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new ConnectionError(
      `Invalid connection name ${typeof name === "string" ? `'${name}'` : `(a ${typeof name})`}: use letters, digits, '_' and '-'`,
      url,
    )
  }
}

/** Register an open driver under `name`. Throws on an invalid or duplicate name. */
export const registerConnection = (
  name: string,
  driver: Driver,
  options: { readonly identityMap?: boolean; readonly makeDefault?: boolean } = {},
): Connection => {
  assertConnectionName(name, driver.url)
  if (connections.has(name)) {
    throw new ConnectionError(`Connection '${name}' is already registered; disconnect('${name}') first`, driver.url)
  }
  const connection: Connection = {
    name,
    driver,
    identityMap: options.identityMap === false ? null : new IdentityMap(),
  }
  connections.set(name, connection)
  if (options.makeDefault === true || defaultName === null) defaultName = name
  return connection
}

/** The connection called `name`, or the default one. Throws `ConnectionError` when there is none. */
export const getConnection = (name?: string): Connection => {
  if (name !== undefined) {
    const connection = connections.get(name)
    if (connection === undefined) {
      throw new ConnectionError(
        `Connection '${name}' is not registered${connections.size ? ` (registered: ${[...connections.keys()].join(", ")})` : ""}`,
      )
    }
    return connection
  }
  if (defaultName === null) {
    throw new ConnectionError(
      connections.size === 0
        ? "No connection: call connect(url) first"
        : "No default connection selected: call setDefaultConnection(name)",
    )
  }
  return getConnection(defaultName)
}

/** Make `name` the connection unqualified operations use. */
export const setDefaultConnection = (name: string): void => {
  getConnection(name)
  defaultName = name
}

/** Name of the default connection, or null. */
export const defaultConnectionName = (): string | null => defaultName

/** Remove `name` from the registry and return it (the caller closes its driver). */
export const unregisterConnection = (name: string): Connection | undefined => {
  const connection = connections.get(name)
  connections.delete(name)
  if (defaultName === name) defaultName = connections.size === 1 ? [...connections.keys()][0]! : null
  return connection
}

/** Every registered connection. */
export const allConnections = (): ReadonlyArray<Connection> => [...connections.values()]
