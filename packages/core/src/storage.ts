import type { ColumnSpec } from "./fields.js"
import type { Dialect } from "./metadata.js"

/** Column type in DDL for one dialect, before `dbType` overrides. */
export const storageType = (spec: ColumnSpec, dialect: Dialect): string => {
  const override = spec.dbType === undefined ? undefined : typeof spec.dbType === "string" ? spec.dbType : spec.dbType[dialect]
  if (override !== undefined) return override
  const sqlite = dialect === "sqlite"
  switch (spec.type) {
    case "int":
      return "integer"
    case "bigint":
      return sqlite ? "integer" : "bigint"
    case "float":
      return sqlite ? "real" : "double precision"
    case "decimal":
      // SQLite has no exact decimal type: text keeps every digit.
      if (sqlite) return "text"
      return spec.precision != null ? `numeric(${spec.precision}, ${spec.scale ?? 0})` : "numeric"
    case "text":
      return spec.maxLength != null ? `varchar(${spec.maxLength})` : "text"
    case "bool":
      return sqlite ? "integer" : "boolean"
    case "datetime":
      return sqlite ? "text" : "timestamp with time zone"
    case "date":
      return sqlite ? "text" : "date"
    case "time":
      return sqlite ? "text" : "time"
    case "uuid":
      return sqlite ? "text" : "uuid"
    case "bytes":
      return sqlite ? "blob" : "bytea"
    case "json":
      return sqlite ? "text" : "jsonb"
    case "enum":
      return "text"
  }
}
