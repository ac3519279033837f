import { Transform, type TransformCallback } from "node:stream"
import { LineSplitter } from "./line-splitter.js"
import { derivedInsertIdOf, type TransformOptions } from "./transform.js"

/** Why an export body cannot be trusted whole; becomes an `IncompleteExport`. */
export class IncompleteBody extends Error {
  override readonly name = "IncompleteBody"
}

const INSERT_ID = Buffer.from('"$insert_id"')
const TERMINATED = Buffer.from("terminated early")
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const NEWLINE = Buffer.from("\n")

export interface ExportLinesOptions extends TransformOptions {
  /** Add `"$derived_insert_id"` to lines lacking `"$insert_id"` (not for raw passthrough). */
  readonly derive: boolean
  readonly onProgress?: (rows: number, bytes: number) => void
}

const preview = (buf: Buffer, start: number, end: number) =>
  JSON.stringify(buf.toString("utf8", start, Math.min(end, start + 80)))

/**
 * Checks an export body line by line as it streams and passes it on as JSONL: rejects a body
 * that ends with `terminated early`, a foreign line, or a cut last line; adds a derived insert
 * id to lines without one (parsing only those); counts rows and bytes.
 */
export class ExportLines extends Transform {
  rows = 0
  bytes = 0
  private readonly splitter = new LineSplitter()
  private pending: Array<Buffer> = []
  private progressRows = 0
  private progressBytes = 0

  constructor(private readonly options: ExportLinesOptions) {
    super()
  }

  private line = (buf: Buffer, start: number, end: number): void => {
    if (end <= start) return
    if (buf[start] !== OPEN_BRACE) {
      const line = buf.subarray(start, end)
      if (line.indexOf(TERMINATED) !== -1)
        throw new IncompleteBody("the body ended with `terminated early`")
      if (line.toString("utf8").trim() === "") return
      throw new IncompleteBody(`unexpected line ${preview(buf, start, end)}`)
    }
    this.rows++
    const line = buf.subarray(start, end)
    if (!this.options.derive || line.indexOf(INSERT_ID) !== -1) {
      this.pending.push(line, NEWLINE)
      this.bytes += line.length + 1
      return
    }
    let parsed: { event?: unknown; properties?: unknown }
    try {
      parsed = JSON.parse(line.toString("utf8"))
    } catch {
      throw new IncompleteBody(`unparseable line ${preview(buf, start, end)}`)
    }
    let close = line.length - 1
    while (close > 0 && line[close] !== CLOSE_BRACE) close--
    const id = derivedInsertIdOf(parsed, this.options)
    const tail = Buffer.from(`,"$derived_insert_id":"${id}"}\n`)
    this.pending.push(line.subarray(0, close), tail)
    this.bytes += close + tail.length
  }

  private flushPending(): void {
    if (this.pending.length === 0) return
    this.push(this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending))
    this.pending = []
    const report = this.options.onProgress
    if (report !== undefined) {
      report(this.rows - this.progressRows, this.bytes - this.progressBytes)
      this.progressRows = this.rows
      this.progressBytes = this.bytes
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.splitter.push(chunk, this.line)
      this.flushPending()
      callback()
    } catch (error) {
      callback(error as Error)
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      const rest = this.splitter.finish()
      if (rest !== null) {
        // A last line without `\n` is whole only if it parses; otherwise the body was cut.
        if (rest[0] === OPEN_BRACE) {
          try {
            JSON.parse(rest.toString("utf8"))
          } catch {
            throw new IncompleteBody(`the last line was cut: ${preview(rest, 0, rest.length)}`)
          }
        }
        this.line(rest, 0, rest.length)
      }
      this.flushPending()
      callback()
    } catch (error) {
      callback(error as Error)
    }
  }
}
