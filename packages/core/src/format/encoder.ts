import type { QueryResult } from "../storage.js"
import { csvRecord } from "./csv.js"
import { framing, type OutputFormat, type TextFormat } from "./formats.js"
import { formatTable, type TableOptions } from "./table.js"
import { rowObject, rowObjectKeys } from "./value.js"

type Row = ReadonlyArray<unknown>
type Columns = QueryResult["columns"]

/**
 * A streaming encoder of rows already in JavaScript: `begin()` once, `rows(batch)` for each
 * batch, `end()` once; each returns text to write (possibly empty). The text formats hold
 * nothing between batches; the table needs every row to size its columns, so it keeps them
 * until `end()`. Large answers are rendered by DuckDB instead (`storage.openText`); these
 * encoders serve the table, results already in hand, and statements DuckDB cannot nest in a
 * SELECT. Both frame rows the same way (`framing`).
 */
export interface RowEncoder {
  readonly begin: () => string
  readonly rows: (batch: ReadonlyArray<Row>) => string
  readonly end: () => string
}

/** One row's text, before framing. */
const lineOf = (format: TextFormat, columns: Columns): ((row: Row) => string) => {
  if (format === "csv") return csvRecord
  const keys = rowObjectKeys(columns.map((c) => c.name))
  return (row) => JSON.stringify(rowObject(keys, row))
}

export const textEncoder = (format: TextFormat, columns: Columns): RowEncoder => {
  const frame = framing[format]
  const line = lineOf(format, columns)
  let first = true
  return {
    begin: () => frame.head(columns.map((c) => c.name)),
    rows: (batch) => {
      let out = ""
      for (const row of batch) {
        out += `${first ? frame.first : frame.between}${line(row)}${frame.after}`
        first = false
      }
      return out
    },
    end: () => frame.tail(!first),
  }
}

export const tableEncoder = (columns: Columns, options: TableOptions = {}): RowEncoder => {
  const rows: Array<Row> = []
  return {
    begin: () => "",
    rows: (batch) => {
      for (const row of batch) rows.push(row)
      return ""
    },
    end: () => formatTable({ columns, rows }, options),
  }
}

export const makeRowEncoder = (
  format: OutputFormat,
  columns: Columns,
  options: TableOptions = {},
): RowEncoder =>
  format === "table" ? tableEncoder(columns, options) : textEncoder(format, columns)

/** A whole result in one string. */
export const formatResult = (
  format: OutputFormat,
  result: QueryResult,
  options: TableOptions = {},
): string => {
  const encoder = makeRowEncoder(format, result.columns, options)
  return encoder.begin() + encoder.rows(result.rows) + encoder.end()
}

export const formatJson = (result: QueryResult): string => formatResult("json", result)
export const formatJsonl = (result: QueryResult): string => formatResult("jsonl", result)
export const formatCsv = (result: QueryResult): string => formatResult("csv", result)
