import { cellText } from "./value.js"

const needsQuotes = /[",\r\n]/

/** One CSV field, quoted per RFC 4180 when it holds a comma, quote or line break. */
export const csvField = (value: unknown): string => {
  const text = cellText(value)
  if (!needsQuotes.test(text) && text.trimStart() === text && text.trimEnd() === text) return text
  return `"${text.replaceAll('"', '""')}"`
}

/** One CSV record with its CRLF terminator. */
export const csvLine = (values: ReadonlyArray<unknown>): string =>
  `${values.map(csvField).join(",")}\r\n`
