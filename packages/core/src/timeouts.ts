/**
 * The check every entry point that takes a timeout runs before connecting (`connect()` and the
 * server drivers' session options).
 *
 * @module
 */
import { ConnectionError } from "./errors.js"

/** Throws a `ConnectionError` unless `value` is undefined or a non-negative integer of milliseconds (at most 2^31-1). */
export const checkTimeout = (name: string, value: unknown, url: string): void => {
  if (value === undefined) return
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value > 2_147_483_647) {
    throw new ConnectionError(
      `${name} must be a non-negative integer number of milliseconds (at most 2147483647), got ${typeof value === "number" ? String(value) : typeof value}`,
      url,
    )
  }
}
