import { createWriteStream, rm, type WriteStream } from "node:fs"
import { Transform, type TransformCallback } from "node:stream"
import { deriveInsertId } from "../insert-id.js"
import { wallClockToUtcMs } from "../pipeline/time-zone.js"
import type { EventPart, JsonlLayout } from "../source.js"
import { FirstSeen, KeyHash } from "./first-seen.js"
import { LineKeys, scanKeys } from "./key-scan.js"
import { LineSplitter } from "./line-splitter.js"

/** How `properties.time` counts: seconds, milliseconds, or either (at or above 1e11: ms). */
export type TimeUnit = "s" | "ms" | "auto"

/** Times at or above this are milliseconds (1e11 seconds is the year 5138; 1e11 ms is 1973). */
export const MS_THRESHOLD = 1e11

export interface TimeOptions {
  readonly timeUnit: TimeUnit
  /** IANA zone of a legacy project, whose `time` is local wall-clock; UTC when absent. */
  readonly timeZone: string | undefined
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** True UTC epoch ms of an exported `properties.time` (0 when it is not a number). */
export const trueTimeMs = (time: unknown, options: TimeOptions): number => {
  const n = typeof time === "number" ? time : typeof time === "string" ? Number(time) : Number.NaN
  if (!Number.isFinite(n)) return 0
  const seconds = options.timeUnit === "s" || (options.timeUnit === "auto" && n < MS_THRESHOLD)
  const ms = seconds ? Math.round(n * 1000) : Math.round(n)
  return wallClockToUtcMs(options.timeZone, ms)
}

/**
 * The usable `$insert_id` of an event's properties: a non-empty string, or a number as its
 * decimal text; undefined otherwise (missing, `null`, `""`, anything else).
 */
export const givenInsertId = (
  properties: Readonly<Record<string, unknown>>,
): string | undefined => {
  const given = properties.$insert_id
  if (typeof given === "string") return given.length > 0 ? given : undefined
  if (typeof given === "number" && Number.isFinite(given)) return String(given)
  return undefined
}

/** The id every path gives an exported event lacking a usable `$insert_id`. */
export const derivedInsertIdOf = (
  line: { readonly event?: unknown; readonly properties?: unknown },
  options: TimeOptions,
): string => {
  const properties = isObject(line.properties) ? line.properties : {}
  const id = properties.distinct_id
  return deriveInsertId(
    String(line.event ?? ""),
    id === undefined || id === null ? "" : String(id),
    trueTimeMs(properties.time, options),
    properties,
  )
}

/** The id every path gives an exported event: its own usable `$insert_id`, else the derived one. */
export const insertIdOf = (
  line: { readonly event?: unknown; readonly properties: Readonly<Record<string, unknown>> },
  options: TimeOptions,
): string => givenInsertId(line.properties) ?? derivedInsertIdOf(line, options)

/** The top-level key a line gets when its own `$insert_id` is not usable. */
export const DERIVED_INSERT_ID = "$derived_insert_id"

/**
 * Where storage finds the columns of a Mixpanel export line that went through `EventLines`:
 * the derived insert id first, as it is added exactly to the lines whose own is not usable.
 */
export const exportLineLayout = (
  timeUnit: TimeUnit,
  timeZone: string | undefined,
): JsonlLayout => ({
  eventName: "$.event",
  time: "$.properties.time",
  timeUnit,
  distinctId: "$.properties.distinct_id",
  insertId: [`$."${DERIVED_INSERT_ID}"`, '$.properties."$insert_id"'],
  properties: "$.properties",
  ...(timeZone ? { timeZone } : {}),
})

/** The file that takes the later copies split off a spool file (`EventLines` `copies`). */
export const copiesPathFor = (path: string): string =>
  `${path.replace(/\.jsonl$/, "")}.copies.jsonl`

/** Event lines spooled to disk by `EventLines`, ready to load. */
export interface SpooledLines {
  readonly path: string
  /** The later copies of event keys, split off for the loader, when any. */
  readonly copies: string | undefined
  readonly copyRows: number
  /** Event lines in both files. */
  readonly rows: number
  readonly bytes: number
}

/** The part a source hands on for spooled lines (the loader takes their copies too). */
export const jsonlPartOf = (
  spooled: SpooledLines,
  day: string | null,
  layout: JsonlLayout,
): Extract<EventPart, { readonly _tag: "JsonlPart" }> => ({
  _tag: "JsonlPart",
  day,
  path: spooled.path,
  ...(spooled.copies !== undefined ? { copies: spooled.copies, copyRows: spooled.copyRows } : {}),
  layout,
  rows: spooled.rows,
  bytes: spooled.bytes,
})

/** Why a line was refused; `line` is 1-based in the stream. */
export class LineProblem extends Error {
  override readonly name = "LineProblem"
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`)
  }
}

export interface EventLinesOptions extends TimeOptions {
  /** Add `"$derived_insert_id"` to lines without a usable `$insert_id` (off for passthrough). */
  readonly derive: boolean
  /** Pass blank lines on (as empty lines) so line numbers downstream match the input's. */
  readonly keepBlankLines?: boolean
  /** The error for a line that is not a JSON object (default: a `LineProblem`). */
  readonly foreignLine?: (text: string, line: number) => Error
  /** The error for a last line without `\n` that does not parse (default: none, passed on). */
  readonly cutLastLine?: (text: string, line: number) => Error
  readonly onProgress?: (rows: number, bytes: number) => void
  /**
   * Where to write the later copies of an event key (first lines go on downstream): each line
   * lands in one of the two files and a blank line in the other, so line numbers hold in both.
   * Lets storage load a day or a file with one parse and no deletes (see `storage/jsonl.ts`).
   */
  readonly copies?: string
  /** The key filter to share with other inputs loaded together (a fresh one when absent). */
  readonly seen?: FirstSeen
}

const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const NEWLINE = Buffer.from("\n")

const NEWLINES = Buffer.alloc(65_536, 0x0a)

/**
 * What goes to one output between flushes. Consecutive lines passed on unchanged are kept as
 * one slice of the input (no copy, no allocation per line), and blank lines as a count.
 */
class Pile {
  private parts: Array<Buffer> = []
  private run: Buffer | undefined
  private runStart = 0
  private runEnd = 0
  private blanks = 0

  private closeRun(): void {
    if (this.run !== undefined) this.parts.push(this.run.subarray(this.runStart, this.runEnd))
    this.run = undefined
  }

  private flushBlanks(): void {
    while (this.blanks > 0) {
      const n = Math.min(this.blanks, NEWLINES.length)
      this.parts.push(NEWLINES.subarray(0, n))
      this.blanks -= n
    }
  }

  /** The input's own bytes of a line with its `\n` (a `\r\n` line is rewritten). */
  raw(buf: Buffer, start: number, end: number): void {
    // a `\r\n` line goes on with `\n` alone, so spooled lines never end in `\r`
    const next = buf[end] === 0x0a ? end + 1 : -1
    if (next === -1) {
      this.pieces(buf.subarray(start, end), NEWLINE)
      return
    }
    if (this.blanks > 0) {
      this.closeRun()
      this.flushBlanks()
    }
    if (this.run === buf && this.runEnd === start) {
      this.runEnd = next
      return
    }
    this.closeRun()
    this.run = buf
    this.runStart = start
    this.runEnd = next
  }

  pieces(head: Buffer, tail: Buffer): void {
    this.closeRun()
    this.flushBlanks()
    this.parts.push(head, tail)
  }

  blank(): void {
    this.blanks++
  }

  /** Everything piled since the last take, as one buffer (or undefined when nothing). */
  take(): Buffer | undefined {
    this.closeRun()
    this.flushBlanks()
    const parts = this.parts
    if (parts.length === 0) return undefined
    this.parts = []
    return parts.length === 1 ? parts[0] : Buffer.concat(parts)
  }
}

/** The number written at `[start, end)`: digits read directly, anything else parsed. */
const numberAt = (line: Buffer, start: number, end: number): number => {
  if (end - start > 15) return Number(line.toString("latin1", start, end))
  let n = 0
  for (let i = start; i < end; i++) {
    const d = line[i]! - 0x30
    if (d < 0 || d > 9) return Number(line.toString("latin1", start, end))
    n = n * 10 + d
  }
  return n
}

/** A line's first 80 characters, quoted, for messages. */
export const preview = (buf: Buffer, start: number, end: number) =>
  JSON.stringify(buf.toString("utf8", start, Math.min(end, start + 80)))

/**
 * Passes a byte stream of export lines on as JSONL while counting rows and bytes: refuses a
 * line that is not a JSON object, and adds a derived insert id to the lines whose own is not
 * usable (parsing only those lines; the others are scanned, never parsed, and go on untouched).
 */
export class EventLines extends Transform {
  rows = 0
  bytes = 0
  /** Lines written to `copies`. */
  copyRows = 0

  /** What was spooled to `path` (and to the copies file, kept only if any line went there). */
  spooled(path: string): SpooledLines {
    const copies = this.copyRows > 0 ? this.options.copies : undefined
    return { path, copies, copyRows: this.copyRows, rows: this.rows, bytes: this.bytes }
  }
  private readonly keys = new LineKeys()
  private readonly hash = new KeyHash()
  private readonly firstSeen: FirstSeen | undefined
  private readonly copiesOut: WriteStream | undefined
  private copiesFailed: Error | undefined
  private readonly copyPending = new Pile()
  private lineNo = 0
  private readonly splitter = new LineSplitter()
  private readonly pending = new Pile()
  private progressRows = 0
  private progressBytes = 0

  constructor(private readonly options: EventLinesOptions) {
    super()
    if (options.copies !== undefined) {
      this.firstSeen = options.seen ?? new FirstSeen()
      this.copiesOut = createWriteStream(options.copies)
      this.copiesOut.on("error", (error) => {
        this.copiesFailed = error
      })
    }
  }

  /** Hashes the key of a scanned line; false when a key field is missing or not a scalar. */
  private hashSpans(line: Buffer, derived: string | undefined): boolean {
    const k = this.keys
    const h = this.hash
    if (k.eventStart === -1 || k.timeStart === -1 || k.distinctStart === -1) return false
    if (k.eventEnd <= k.eventStart || k.timeEnd <= k.timeStart) return false
    if (k.distinctEnd <= k.distinctStart) return false
    const ms = this.millis(numberAt(line, k.timeStart, k.timeEnd))
    if (ms === undefined) return false
    h.reset()
    h.jsonValue(line, k.eventStart, k.eventEnd)
    h.whole(ms)
    h.jsonValue(line, k.distinctStart, k.distinctEnd)
    if (derived !== undefined) h.text(derived)
    else h.jsonValue(line, k.idStart, k.idEnd)
    return true
  }

  /** Hashes the key of a parsed line (one whose id had to be derived). */
  private hashParsed(parsed: { event?: unknown; properties?: unknown }, id: string): boolean {
    const props = isObject(parsed.properties) ? parsed.properties : undefined
    const distinct = props?.distinct_id
    const ms = this.millis(props?.time)
    if (typeof parsed.event !== "string" || ms === undefined) return false
    if (typeof distinct !== "string" && typeof distinct !== "number") return false
    const h = this.hash
    h.reset()
    h.text(parsed.event)
    h.whole(ms)
    h.text(String(distinct))
    h.text(id)
    return true
  }

  /** Whole milliseconds of a `time` value, rounded as storage rounds it. */
  private millis(time: unknown): number | undefined {
    if (typeof time !== "number" || !Number.isFinite(time)) return undefined
    const unit = this.options.timeUnit
    const seconds = unit === "s" || (unit === "auto" && time < MS_THRESHOLD)
    return seconds ? Math.round(time * 1000) : Math.round(time)
  }

  /**
   * Sends a line to the first lines or to the copies: the input's bytes `[start, end)` of
   * `buf` unchanged, or `head` and `tail` (a line given a derived id).
   */
  private send(
    keyed: boolean,
    buf: Buffer,
    start: number,
    end: number,
    head?: Buffer,
    tail?: Buffer,
  ): void {
    this.bytes +=
      head === undefined || tail === undefined ? end - start + 1 : head.length + tail.length
    let out = this.pending
    if (this.firstSeen !== undefined) {
      if (keyed && this.firstSeen.seen(this.hash)) {
        out = this.copyPending
        this.pending.blank()
        this.copyRows++
      } else {
        this.copyPending.blank()
      }
    }
    if (head === undefined || tail === undefined) out.raw(buf, start, end)
    else out.pieces(head, tail)
  }

  private line = (buf: Buffer, start: number, end: number): void => {
    this.lineNo++
    let first = start
    while (first < end && (buf[first] === 0x20 || buf[first] === 0x09)) first++
    if (first === end) {
      if (this.options.keepBlankLines) {
        this.pending.blank()
        if (this.firstSeen !== undefined) this.copyPending.blank()
        this.bytes++
      }
      return
    }
    if (buf[first] !== OPEN_BRACE) {
      const text = buf.toString("utf8", start, end)
      const foreign = this.options.foreignLine
      throw foreign
        ? foreign(text, this.lineNo)
        : new LineProblem(this.lineNo, `not a JSON object: ${preview(buf, start, end)}`)
    }
    this.rows++
    const line = buf.subarray(start, end)
    const keyed = this.firstSeen !== undefined
    if (keyed || this.options.derive) scanKeys(line, this.keys)
    if (!this.options.derive || this.keys.hasInsertId(line)) {
      this.send(keyed && this.hashSpans(line, undefined), buf, start, end)
      return
    }
    let parsed: { event?: unknown; properties?: unknown }
    try {
      parsed = JSON.parse(line.toString("utf8"))
    } catch (error) {
      throw new LineProblem(
        this.lineNo,
        `invalid JSON (${error instanceof Error ? error.message : String(error)})`,
      )
    }
    const props = isObject(parsed?.properties) ? parsed.properties : undefined
    const given = props === undefined ? undefined : givenInsertId(props)
    if (given !== undefined) {
      // usable, but not where the scan looks (a repeated key, say): keep the line as is
      this.send(keyed && this.hashParsed(parsed, given), buf, start, end)
      return
    }
    let close = line.length - 1
    while (close > 0 && line[close] !== CLOSE_BRACE) close--
    const id = derivedInsertIdOf(parsed, this.options)
    const tail = Buffer.from(`,"${DERIVED_INSERT_ID}":"${id}"}\n`)
    this.send(keyed && this.hashParsed(parsed, id), buf, start, end, line.subarray(0, close), tail)
  }

  private flushPending(): void {
    if (this.copiesFailed !== undefined) throw this.copiesFailed
    const copies = this.copyPending.take()
    if (copies !== undefined) this.copiesOut?.write(copies)
    const lines = this.pending.take()
    if (lines === undefined) return
    this.push(lines)
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
        const cut = this.options.cutLastLine
        if (cut !== undefined && rest[0] === OPEN_BRACE) {
          try {
            JSON.parse(rest.toString("utf8"))
          } catch {
            throw cut(rest.toString("utf8"), this.lineNo + 1)
          }
        }
        this.line(rest, 0, rest.length)
      }
      this.flushPending()
    } catch (error) {
      callback(error as Error)
      return
    }
    const out = this.copiesOut
    if (out === undefined) {
      callback()
      return
    }
    out.end(() => {
      const failed = this.copiesFailed ?? null
      // a file of blank lines only: nothing to load
      if (failed !== null || this.copyRows > 0 || this.options.copies === undefined)
        callback(failed)
      else rm(this.options.copies, { force: true }, (error) => callback(error))
    })
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    this.copiesOut?.destroy()
    callback(error)
  }
}
