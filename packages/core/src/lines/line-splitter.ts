const NEWLINE = 0x0a
const CR = 0x0d

/**
 * Splits a byte stream into lines whatever the chunk boundaries. Splitting on the `\n` byte is
 * safe for UTF-8: that byte never occurs inside a multi-byte character, so each line decodes
 * whole.
 */
export class LineSplitter {
  private rest: Buffer | null = null

  /** Calls `onLine(buffer, start, end)` for each complete line (without `\n` or `\r`). */
  push(chunk: Buffer, onLine: (buffer: Buffer, start: number, end: number) => void): void {
    const buf = this.rest === null ? chunk : Buffer.concat([this.rest, chunk])
    this.rest = null
    let start = 0
    for (;;) {
      const nl = buf.indexOf(NEWLINE, start)
      if (nl === -1) break
      const end = nl > start && buf[nl - 1] === CR ? nl - 1 : nl
      onLine(buf, start, end)
      start = nl + 1
    }
    if (start < buf.length) this.rest = buf.subarray(start)
  }

  /** What followed the last `\n`: an unterminated last line, or null. */
  finish(): Buffer | null {
    const rest = this.rest
    this.rest = null
    if (rest === null) return null
    let end = rest.length
    while (end > 0 && (rest[end - 1] === CR || rest[end - 1] === 0x20 || rest[end - 1] === 0x09))
      end--
    return end === 0 ? null : rest.subarray(0, end)
  }
}
