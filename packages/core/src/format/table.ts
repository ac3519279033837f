import type { QueryResult } from "../storage.js"
import { cellText } from "./value.js"

export interface TableOptions {
  /** Cells longer than this are cut with an ellipsis (default 40 characters). */
  readonly maxCellWidth?: number
  /** Wrap the header in bold ANSI codes. */
  readonly color?: boolean
}

const numericType =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*)$/i

const oneLine = (text: string): string => text.replace(/\r\n|\r|\n/g, "↵").replace(/\t/g, " ")

const width = (text: string): number => {
  let n = 0
  for (const _ of text) n++
  return n
}

const truncate = (text: string, max: number): string => {
  if (width(text) <= max) return text
  return `${Array.from(text)
    .slice(0, Math.max(1, max - 1))
    .join("")}…`
}

const pad = (text: string, to: number, right: boolean): string => {
  const fill = " ".repeat(Math.max(0, to - width(text)))
  return right ? fill + text : text + fill
}

/**
 * An aligned text table for people: a header, a rule, one line per row, numbers right-aligned,
 * long cells cut, and a row count at the end.
 */
export const formatTable = (result: QueryResult, options: TableOptions = {}): string => {
  const max = Math.max(4, options.maxCellWidth ?? 40)
  const names = result.columns.map((c) => truncate(oneLine(c.name), max))
  const right = result.columns.map((c) => numericType.test(c.type))
  const cells = result.rows.map((row) =>
    result.columns.map((_, i) => truncate(oneLine(cellText(row[i])), max)),
  )
  const widths = names.map((name, i) =>
    cells.reduce((w, row) => Math.max(w, width(row[i]!)), width(name)),
  )
  const header = names.map((n, i) => pad(n, widths[i]!, right[i]!)).join("  ")
  const lines = [
    options.color ? `\u001b[1m${header}\u001b[22m` : header,
    widths.map((w) => "─".repeat(w)).join("  "),
    ...cells.map((row) => row.map((c, i) => pad(c, widths[i]!, right[i]!)).join("  ")),
  ]
  const n = result.rows.length
  lines.push(`(${n} ${n === 1 ? "row" : "rows"})`)
  return `${lines.map((l) => l.trimEnd()).join("\n")}\n`
}
