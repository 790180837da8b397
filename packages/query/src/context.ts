import { type Connection, getConnection } from "@ferro/core"

/**
 * The connection an operation runs on: the named one, else the default. This is the single
 * place routing is decided, so transactions can take it over.
 */
export const resolveConnection = (name: string | undefined): Connection => getConnection(name)
