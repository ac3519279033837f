import { StringDecoder } from "node:string_decoder"

/** A batch of lines and the 1-based number of the first one (blank lines count, then drop). */
export interface LineBatch {
  readonly firstLine: number
  readonly lines: ReadonlyArray<string>
}

/**
 * Splits decoded bytes into lines in batches (one per chunk read), handling lines cut across
 * chunks and multi-byte characters cut across chunks, `\n` or `\r\n` endings, and a last line
 * without a newline. Memory holds one chunk plus the unfinished line.
 */
export async function* splitLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<LineBatch> {
  const decoder = new StringDecoder("utf8")
  let carry = ""
  let lineNo = 1
  let first = true
  for await (const chunk of chunks) {
    let text = carry + decoder.write(chunk)
    if (first && text.length > 0) {
      // A byte-order mark some editors write is not part of the first line.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
      first = false
    }
    const parts = text.split("\n")
    carry = parts.pop() ?? ""
    if (parts.length > 0) {
      yield { firstLine: lineNo, lines: parts }
      lineNo += parts.length
    }
  }
  const last = carry + decoder.end()
  if (last.length > 0) yield { firstLine: lineNo, lines: [last] }
}
