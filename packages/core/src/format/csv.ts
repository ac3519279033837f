import { cellText } from "./value.js"

const needsQuotes = /[",\r\n]/

/**
 * One CSV field, quoted per RFC 4180 when it holds a comma, quote or line break, or starts or
 * ends with white space. `format/sql.ts` says the same rule in SQL for the rows DuckDB renders.
 */
export const csvField = (value: unknown): string => {
  const text = cellText(value)
  if (!needsQuotes.test(text) && text.trimStart() === text && text.trimEnd() === text) return text
  return `"${text.replaceAll('"', '""')}"`
}

/** One CSV record, without its terminator (the framing adds CRLF). */
export const csvRecord = (values: ReadonlyArray<unknown>): string => values.map(csvField).join(",")
