/**
 * Savepoints as the SQL databases Ferro speaks spell them, and the all-or-nothing batch a
 * transaction driver runs under one (`TransactionDriver.executeAtomically`).
 *
 * @module
 */
import type { Statement, TransactionDriver, WriteResult } from "./driver.js"
import { quoteIdentifier } from "./naming.js"

const statement = (sql: string): Statement => ({ sql, params: [] })

/** `SAVEPOINT "name"`. */
export const savepointStatement = (name: string): Statement => statement(`SAVEPOINT ${quoteIdentifier(name)}`)
/** `RELEASE SAVEPOINT "name"`. */
export const releaseSavepointStatement = (name: string): Statement => statement(`RELEASE SAVEPOINT ${quoteIdentifier(name)}`)
/** `ROLLBACK TO SAVEPOINT "name"` (the savepoint stays; release it after). */
export const rollbackToSavepointStatement = (name: string): Statement => statement(`ROLLBACK TO SAVEPOINT ${quoteIdentifier(name)}`)

/**
 * Runs `statements` in order inside an open transaction under savepoint `name`: all of them, or
 * (rolled back to the savepoint) none, leaving the transaction usable either way.
 */
export const underSavepoint = async (
  transaction: Pick<TransactionDriver, "savepoint" | "releaseSavepoint" | "rollbackToSavepoint" | "execute">,
  name: string,
  statements: ReadonlyArray<Statement>,
): Promise<ReadonlyArray<WriteResult>> => {
  await transaction.savepoint(name)
  try {
    const results: Array<WriteResult> = []
    for (const next of statements) results.push(await transaction.execute(next))
    await transaction.releaseSavepoint(name)
    return results
  } catch (error) {
    await transaction.rollbackToSavepoint(name).catch(() => {})
    throw error
  }
}
