/**
 * Compiles the operation tree to SQL text and encoded parameters. One generic compiler per
 * dialect object: placeholders and the few spellings that differ are the dialect's hooks.
 *
 * @module
 */
import { type ColumnMetadata, type Dialect, QueryError, type Statement, quoteIdentifier as q } from "@ferro/core"
import type {
  Arithmetic,
  Condition,
  DeleteNode,
  InsertNode,
  LinkedSelectNode,
  Ordering,
  SelectNode,
  TargetNode,
  UpdateNode,
} from "../expression.js"
import { encodeValue } from "../values.js"

/** A row count as SQL text; anything but a non-negative safe integer is a bug upstream. */
const literalCount = (n: number): string => {
  if (!Number.isSafeInteger(n) || n < 0) throw new QueryError(`Row counts must be non-negative integers, got ${String(n)}`)
  return String(n)
}

export class Compiler {
  /** The dialect every hook below delegates to. */
  constructor(readonly dialect: Dialect) {}

  /** Placeholder for the parameter at 1-based position `n`. */
  protected placeholder(n: number): string {
    return this.dialect.placeholder(n)
  }

  /** Case-insensitive LIKE. */
  protected ilike(column: string, pattern: string): string {
    return this.dialect.ilike(column, pattern)
  }

  /**
   * After rows were inserted with explicit values for a database-assigned key: the statement
   * that moves the key generator past them, or null where none is needed.
   */
  syncKeyGenerator(table: string, column: ColumnMetadata): Statement | null {
    return this.dialect.syncKeyGenerator(table, column)
  }

  /** `column LIKE pattern`; a backslash escapes `%`, `_` and itself on every backend. */
  protected like(column: string, pattern: string): string {
    return this.dialect.like(column, pattern)
  }

  /** An arithmetic result written to `column`, checked against its range where the database does not. */
  protected checkedRange(column: ColumnMetadata, sql: string): string {
    return this.dialect.checkedRange(column, sql)
  }

  /** A column as text, for pattern matching on non-text types. */
  protected asText(column: ColumnMetadata, sql: string): string {
    return this.dialect.asText(column, sql)
  }

  /** A column (or placeholder) as the database must compare and sort it. */
  protected ordered(column: ColumnMetadata, sql: string): string {
    return this.dialect.ordered(column, sql)
  }

  /** `"a", "b"` for a select list. */
  selectList(columns: ReadonlyArray<ColumnMetadata>): string {
    return columns.map((c) => q(c.column)).join(", ")
  }

  select(node: SelectNode): Statement {
    const params: Array<unknown> = []
    let sql = `SELECT ${this.selectList(node.columns)} FROM ${q(node.table)}`
    sql += this.#tail(node, params)
    return { sql, params }
  }

  count(node: SelectNode): Statement {
    const params: Array<unknown> = []
    if (node.limit === null && node.offset === null) {
      const where = node.where === null ? "" : ` WHERE ${this.condition(node.where, params)}`
      return { sql: `SELECT COUNT(*) FROM ${q(node.table)}${where}`, params }
    }
    const inner = `SELECT 1 FROM ${q(node.table)}${this.#tail(node, params)}`
    return { sql: `SELECT COUNT(*) FROM (${inner}) AS counted`, params }
  }

  exists(node: SelectNode): Statement {
    const params: Array<unknown> = []
    const inner = `SELECT 1 FROM ${q(node.table)}${this.#tail({ ...node, limit: Math.min(node.limit ?? 1, 1) }, params)}`
    return { sql: inner, params }
  }

  linkedSelect(node: LinkedSelectNode): Statement {
    const params: Array<unknown> = []
    const list = node.columns.map((c) => `t.${q(c.column)}`).join(", ")
    const sources = node.sources.map((v) => this.value(node.sourceColumn, v, params)).join(", ")
    return {
      sql: `SELECT j.${q(node.sourceColumn.column)}, ${list} FROM ${q(node.table)} t JOIN ${q(node.joinTable)} j ON j.${q(node.targetColumn.column)} = t.${q(node.primaryKey.column)} WHERE j.${q(node.sourceColumn.column)} IN (${sources})`,
      params,
    }
  }

  /** INSERT of link rows that skips links that already exist. */
  insertLinks(table: string, columns: readonly [ColumnMetadata, ColumnMetadata], rows: ReadonlyArray<readonly [unknown, unknown]>): Statement {
    const params: Array<unknown> = []
    const values = rows.map(([a, b]) => `(${this.value(columns[0], a, params)}, ${this.value(columns[1], b, params)})`).join(", ")
    return {
      sql: `INSERT INTO ${q(table)} (${q(columns[0].column)}, ${q(columns[1].column)}) VALUES ${values} ON CONFLICT DO NOTHING`,
      params,
    }
  }

  insert(node: InsertNode): Statement {
    const params: Array<unknown> = []
    const rows = node.rows.map(
      (row) => `(${row.map((value, i) => this.param(encodeValue(node.columns[i]!, value, this.dialect), params)).join(", ")})`,
    )
    const columns = node.columns.length === 0 ? "" : ` (${node.columns.map((c) => q(c.column)).join(", ")})`
    const values = node.columns.length === 0 ? " DEFAULT VALUES" : ` VALUES ${rows.join(", ")}`
    const returning = node.returning.length === 0 ? "" : ` RETURNING ${this.selectList(node.returning)}`
    return { sql: `INSERT INTO ${q(node.table)}${columns}${values}${returning}`, params }
  }

  update(node: UpdateNode): Statement {
    const params: Array<unknown> = []
    const set = node.set
      .map(([column, value]) => `${q(column.column)} = ${this.#assignment(column, value, params)}`)
      .join(", ")
    const sql = `UPDATE ${q(node.table)} SET ${set}${this.#target(node, params)}${this.#returning(node)}`
    return { sql, params }
  }

  delete(node: DeleteNode): Statement {
    const params: Array<unknown> = []
    return { sql: `DELETE FROM ${q(node.table)}${this.#target(node, params)}${this.#returning(node)}`, params }
  }

  /** Adds an encoded parameter and returns its placeholder. */
  protected param(value: unknown, params: Array<unknown>): string {
    params.push(value)
    return this.placeholder(params.length)
  }

  protected value(column: ColumnMetadata, value: unknown, params: Array<unknown>): string {
    return this.param(encodeValue(column, value, this.dialect), params)
  }

  condition(condition: Condition, params: Array<unknown>): string {
    switch (condition.kind) {
      case "compare": {
        const { column, op } = condition
        const value = this.value(column, condition.value, params)
        return `${this.ordered(column, q(column.column))} ${op} ${this.ordered(column, value)}`
      }
      case "like": {
        const pattern = this.param(condition.pattern, params)
        const column = this.asText(condition.column, q(condition.column.column))
        return condition.caseInsensitive ? this.ilike(column, pattern) : this.like(column, pattern)
      }
      case "in": {
        const { column } = condition
        const list = condition.values.map((v) => this.ordered(column, this.value(column, v, params))).join(", ")
        return `${this.ordered(column, q(column.column))} ${condition.negated ? "NOT IN" : "IN"} (${list})`
      }
      case "null":
        return `${q(condition.column.column)} IS ${condition.negated ? "NOT NULL" : "NULL"}`
      case "between": {
        const { column } = condition
        const low = this.ordered(column, this.value(column, condition.low, params))
        const high = this.ordered(column, this.value(column, condition.high, params))
        return `${this.ordered(column, q(column.column))} BETWEEN ${low} AND ${high}`
      }
      case "and":
      case "or":
        return `(${condition.items.map((c) => this.condition(c, params)).join(condition.kind === "and" ? " AND " : " OR ")})`
      case "not":
        return `NOT (${this.condition(condition.item, params)})`
      case "constant":
        return condition.value ? "1 = 1" : "1 = 0"
      case "linked":
        return `${q(condition.column.column)} IN (SELECT ${q(condition.select.column)} FROM ${q(condition.table)} WHERE ${q(condition.match.column)} = ${this.value(condition.match, condition.value, params)})`
    }
  }

  #orderBy(orderBy: ReadonlyArray<Ordering>): string {
    if (orderBy.length === 0) return ""
    return ` ORDER BY ${orderBy.map((o) => `${this.ordered(o.column, q(o.column.column))} ${o.direction === "desc" ? "DESC" : "ASC"}`).join(", ")}`
  }

  #tail(node: Omit<SelectNode, "table" | "columns">, params: Array<unknown>): string {
    let sql = node.where === null ? "" : ` WHERE ${this.condition(node.where, params)}`
    sql += this.#orderBy(node.orderBy)
    // Limits and offsets are written as literals (limit() and offset() accept only
    // non-negative safe integers): SQLite runs `LIMIT ?` about 4x slower than `LIMIT 1`.
    if (node.limit !== null) sql += ` LIMIT ${literalCount(node.limit)}`
    if (node.offset !== null) {
      // Some databases (SQLite) accept OFFSET only after a LIMIT: the dialect's "no limit".
      if (node.limit === null && this.dialect.unlimited !== null) sql += ` LIMIT ${this.dialect.unlimited}`
      sql += ` OFFSET ${literalCount(node.offset)}`
    }
    return sql
  }

  /** WHERE for UPDATE/DELETE; ordered or paged targets go through a primary-key subquery. */
  #target(node: TargetNode, params: Array<unknown>): string {
    const paged = node.limit !== null || node.offset !== null
    if (paged && node.primaryKey === null) {
      throw new QueryError(`update()/delete() with limit or offset needs a model with a primary key ("${node.table}" has none)`)
    }
    if (!paged || node.primaryKey === null) {
      return node.where === null ? "" : ` WHERE ${this.condition(node.where, params)}`
    }
    const pk = q(node.primaryKey.column)
    return ` WHERE ${pk} IN (SELECT ${pk} FROM ${q(node.table)}${this.#tail(node, params)})`
  }

  #returning(node: { readonly returning: ReadonlyArray<ColumnMetadata> }): string {
    return node.returning.length === 0 ? "" : ` RETURNING ${this.selectList(node.returning)}`
  }

  #assignment(column: ColumnMetadata, value: unknown, params: Array<unknown>): string {
    if (typeof value === "object" && value !== null && (value as Arithmetic).kind === "arithmetic") {
      const arithmetic = value as Arithmetic
      return this.checkedRange(
        column,
        `${q(arithmetic.column.column)} ${arithmetic.op} ${this.value(arithmetic.column, arithmetic.operand, params)}`,
      )
    }
    return this.value(column, value, params)
  }
}
