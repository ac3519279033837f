import { Transform, type TransformCallback } from "node:stream"

/** Why an export body cannot be trusted whole; becomes an `IncompleteExport`. */
export class IncompleteBody extends Error {
  override readonly name = "IncompleteBody"
}

const quoted = (text: string) => JSON.stringify(text.slice(0, 80))

export interface ExportLinesOptions {
  readonly onProgress?: (rows: number, bytes: number) => void
}

const NEWLINE = 0x0a
const OPEN_BRACE = 0x7b
/** What a foreign line keeps for its message (and to tell `terminated early`). */
const FOREIGN_KEEP = 200

const isBlank = (b: number) => b === 0x20 || b === 0x09 || b === 0x0d

/**
 * Checks an export body as it streams and passes its bytes on untouched, counting its lines
 * (`rows`, blank lines aside) and bytes. Only what a broken body shows is looked at, never the
 * events (DuckDB parses them once, on load): a line that does not start as a JSON object (the
 * `terminated early` Mixpanel ends a cut export with, or anything foreign) and a last line
 * without its newline that does not parse make the whole body untrustworthy (`IncompleteBody`),
 * so the day is asked for again. A cut gzip stream fails in the gunzip before it.
 */
export class ExportLines extends Transform {
  rows = 0
  bytes = 0
  private atLineStart = true
  /** The bytes of the line under way since its last newline (for the cut-last-line check). */
  private tail: Array<Buffer> = []
  private foreign: Array<Buffer> | undefined
  /** The 1-based line under way, and the line a foreign line started on. */
  private line = 1
  private foreignLine = 0
  private foreignBytes = 0
  private progressRows = 0
  private progressBytes = 0

  constructor(private readonly options: ExportLinesOptions = {}) {
    super()
  }

  private foreignError(): IncompleteBody {
    const text = Buffer.concat(this.foreign ?? []).toString("utf8")
    return text.includes("terminated early")
      ? new IncompleteBody("the body ended with `terminated early`")
      : new IncompleteBody(
          `unexpected line ${this.foreignLine} of the body: ${quoted(text.split("\n")[0] ?? "")}`,
        )
  }

  private keepForeign(chunk: Buffer, from: number, to: number): void {
    const n = Math.min(to - from, FOREIGN_KEEP - this.foreignBytes)
    if (n > 0) {
      this.foreign!.push(chunk.subarray(from, from + n))
      this.foreignBytes += n
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const end = chunk.length
    let i = 0
    let rows = 0
    while (i < end) {
      if (this.foreign !== undefined) {
        const nl = chunk.indexOf(NEWLINE, i)
        this.keepForeign(chunk, i, nl === -1 ? end : nl)
        if (nl !== -1) {
          done(this.foreignError())
          return
        }
        break
      }
      if (this.atLineStart) {
        const b = chunk[i]!
        if (b === NEWLINE || isBlank(b)) {
          if (b === NEWLINE) this.line++
          i++
          continue
        }
        if (b !== OPEN_BRACE) {
          this.foreign = []
          this.foreignLine = this.line
          continue
        }
        this.atLineStart = false
        this.tail = []
        rows++
      }
      const nl = chunk.indexOf(NEWLINE, i)
      if (nl === -1) {
        this.tail.push(chunk.subarray(i))
        break
      }
      this.atLineStart = true
      this.line++
      i = nl + 1
    }
    this.rows += rows
    this.bytes += end
    this.report(rows, end, false)
    done(null, chunk)
  }

  override _flush(done: TransformCallback): void {
    if (this.foreign !== undefined) {
      done(this.foreignError())
      return
    }
    if (!this.atLineStart) {
      const text = Buffer.concat(this.tail).toString("utf8")
      try {
        JSON.parse(text)
      } catch {
        done(new IncompleteBody(`the last line was cut: ${quoted(text)}`))
        return
      }
    }
    this.report(0, 0, true)
    done()
  }

  private report(rows: number, bytes: number, last: boolean): void {
    const onProgress = this.options.onProgress
    if (onProgress === undefined) return
    this.progressRows += rows
    this.progressBytes += bytes
    if (last || this.progressBytes >= 1 << 20) {
      onProgress(this.progressRows, this.progressBytes)
      this.progressRows = 0
      this.progressBytes = 0
    }
  }
}
