import type { QueryResult } from "../storage.js"
import { csvLine } from "./csv.js"
import { formatTable, type TableOptions } from "./table.js"
import { rowObject, rowObjectKeys } from "./value.js"

export type OutputFormat = "table" | "json" | "jsonl" | "csv"
export const outputFormats: ReadonlyArray<OutputFormat> = ["table", "json", "jsonl", "csv"]

export const isOutputFormat = (value: string): value is OutputFormat =>
  (outputFormats as ReadonlyArray<string>).includes(value)

/** MIME types for HTTP answers (`jsonl` is served as ndjson). */
export const contentTypes: Record<OutputFormat, string> = {
  table: "text/plain; charset=utf-8",
  json: "application/json; charset=utf-8",
  jsonl: "application/x-ndjson; charset=utf-8",
  csv: "text/csv; charset=utf-8",
}

type Row = ReadonlyArray<unknown>
type Columns = QueryResult["columns"]

/**
 * A streaming encoder: `begin()` once, `rows(batch)` for each batch, `end()` once; each returns
 * text to write (possibly empty). JSON, JSONL and CSV hold nothing between batches; the table
 * needs every row to size its columns, so it keeps them until `end()`.
 */
export interface RowEncoder {
  readonly begin: () => string
  readonly rows: (batch: ReadonlyArray<Row>) => string
  readonly end: () => string
}

export const jsonlEncoder = (columns: Columns): RowEncoder => {
  const keys = rowObjectKeys(columns.map((c) => c.name))
  return {
    begin: () => "",
    rows: (batch) => {
      let out = ""
      for (const row of batch) out += `${JSON.stringify(rowObject(keys, row))}\n`
      return out
    },
    end: () => "",
  }
}

export const jsonEncoder = (columns: Columns): RowEncoder => {
  const keys = rowObjectKeys(columns.map((c) => c.name))
  let first = true
  return {
    begin: () => "[",
    rows: (batch) => {
      let out = ""
      for (const row of batch) {
        out += `${first ? "\n" : ",\n"}${JSON.stringify(rowObject(keys, row))}`
        first = false
      }
      return out
    },
    end: () => (first ? "]\n" : "\n]\n"),
  }
}

export const csvEncoder = (columns: Columns): RowEncoder => ({
  begin: () => csvLine(columns.map((c) => c.name)),
  rows: (batch) => {
    let out = ""
    for (const row of batch) out += csvLine(row)
    return out
  },
  end: () => "",
})

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
): RowEncoder => {
  switch (format) {
    case "table":
      return tableEncoder(columns, options)
    case "json":
      return jsonEncoder(columns)
    case "jsonl":
      return jsonlEncoder(columns)
    case "csv":
      return csvEncoder(columns)
  }
}

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
