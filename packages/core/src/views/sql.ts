import { ident } from "../storage/names.js"
import { keyPath, PROPERTIES_COLUMN } from "./infer.js"
import type { ViewColumn } from "./types.js"

/**
 * A key's value as its column's type. Each reads the JSON value itself, so a value of another
 * type reads as NULL rather than failing the query (a string "12" is not the integer 12, 1.5 is
 * not rounded into an integer column); it stays as it was in `properties`. Integers are cast
 * from their digits, so none is ever rounded. A JSON null reads as NULL.
 */
const valueSql = (column: ViewColumn): string => {
  const json = `json_extract(${ident(PROPERTIES_COLUMN)}, ${keyPath(column.key)})`
  const text = `CAST(${json} AS VARCHAR)`
  switch (column.type) {
    case "VARCHAR":
      return `json_extract_string(${ident(PROPERTIES_COLUMN)}, ${keyPath(column.key)})`
    case "BOOLEAN":
      return `CASE ${text} WHEN 'true' THEN true WHEN 'false' THEN false END`
    case "BIGINT":
    case "HUGEINT":
      return `TRY_CAST(regexp_extract(${text}, '^-?[0-9]+$') AS ${column.type})`
    case "DOUBLE":
      return `TRY_CAST(${text} AS DOUBLE)`
    case "JSON":
      return `CAST(nullif(${text}, 'null') AS JSON)`
  }
}

/**
 * The view: the source's own columns as they are, then one column per typed key. DuckDB binds
 * a view by name when it is read, so it reads whatever table has the source's name then (a
 * replaced table included).
 */
export const viewSql = (
  name: string,
  table: string,
  baseColumns: ReadonlyArray<string>,
  columns: ReadonlyArray<ViewColumn>,
  replace: boolean,
): string => {
  const select = [
    ...baseColumns.map(ident),
    ...columns.map((c) => `${valueSql(c)} AS ${ident(c.column)}`),
  ]
  return `CREATE ${replace ? "OR REPLACE " : ""}VIEW ${ident(name)} AS
SELECT ${select.join(",\n  ")}
FROM ${ident(table)}`
}
