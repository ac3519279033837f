import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, type Scope } from "effect"
import { StorageIOError } from "../errors.js"
import { removeStaleEntries } from "../files/stale.js"
import { errorMessage } from "./duck.js"
import { literal } from "./names.js"

/**
 * Spool files: records become tab-separated lines that DuckDB's CSV reader loads in parallel,
 * on its own threads, while JavaScript writes the next batch. Every line starts with a flag:
 * `0` when its text fields are written raw, `1` when one of them holds a tab, newline, carriage
 * return, backslash or NUL and all of them are JSON string literals instead (decoded in SQL).
 * JSON text from `JSON.stringify` never holds a raw tab or newline, so properties always go raw.
 * `\N` is the null marker: a raw field is never `\N` (a backslash forces the JSON form).
 * Properties are read as VARCHAR: storing them in the JSON column validates them once, which
 * is cheaper than reading them as JSON.
 */
export const NULL_MARK = "\\N"

/** Characters a raw field must not hold. */
export const SPECIAL = /[\t\n\r\\\0]/

/** How one kind of row is spooled and read back. */
export interface SpoolLayout {
  /** `read_csv` columns, in line order, the flag first. */
  readonly columns: ReadonlyArray<readonly [name: string, type: string]>
  /** The SELECT list producing the staging table's columns from those columns. */
  readonly select: ReadonlyArray<string>
}

/** A text column of a layout, decoded from its JSON form on flagged lines. */
export const textColumn = (column: string): string =>
  `CASE WHEN e THEN json_extract_string(${column}, '$') ELSE ${column} END`

/** DuckDB's CSV reader refuses longer lines unless told; its buffer must hold one line. */
export const DEFAULT_MAX_LINE = 2_097_152

/**
 * `SELECT … FROM read_csv(path)` for `layout`, whose reader takes lines of up to `maxLine`
 * bytes (never less than DuckDB's default).
 */
export const spoolSelectSql = (path: string, layout: SpoolLayout, maxLine: number): string => {
  const columns = layout.columns.map(([name, type]) => `${name}: '${type}'`).join(", ")
  maxLine = Math.max(DEFAULT_MAX_LINE, maxLine)
  const sizing =
    maxLine > DEFAULT_MAX_LINE ? `, max_line_size = ${maxLine}, buffer_size = ${maxLine * 2}` : ""
  return `SELECT ${layout.select.join(", ")}
    FROM read_csv(${literal(path)}, delim = '\t', quote = '', escape = '', header = false,
      auto_detect = false, nullstr = '\\N', columns = {${columns}}${sizing})`
}

const ioError = (operation: string, path: string, error: unknown) =>
  new StorageIOError({ operation, path, reason: errorMessage(error) })

/** `mixpanel-data-spool-<pid>-<random>`: a folder a later start can tell is orphaned. */
const OWNED = /^mixpanel-data-spool-(\d+)-[0-9A-Za-z]+$/

/**
 * A temp folder for spool files, removed with everything in it when the scope closes; the
 * folders of processes killed before they could clean up are removed first.
 */
export const spoolFolder = (
  parent: string = tmpdir(),
): Effect.Effect<string, StorageIOError, Scope.Scope> =>
  Effect.andThen(
    Effect.promise(() => removeStaleEntries(parent, [OWNED])),
    Effect.acquireRelease(
      Effect.try({
        try: () => mkdtempSync(join(parent, `mixpanel-data-spool-${process.pid}-`)),
        catch: (error) => ioError("create spool folder", parent, error),
      }),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true })),
    ),
  )

/** Bytes buffered in memory before one write. */
const WRITE_BYTES = 1 << 20

/**
 * One spool file being written: lines are encoded straight into a reused buffer and written in
 * blocks, so no line outlives its turn (no concatenated strings for the collector to promote).
 * Synchronous on purpose: blocks to the page cache cost less than a promise per block.
 */
export class SpoolFile {
  private fd: number | undefined
  private readonly buffer = Buffer.allocUnsafe(WRITE_BYTES)
  private used = 0
  /** Lines in the file (written or buffered). */
  lines = 0
  /** The longest line so far, in UTF-8 bytes. */
  longestBytes = 0

  constructor(readonly path: string) {
    this.fd = openSync(path, "w")
  }

  add(line: string): void {
    // a UTF-16 unit never takes more than 3 UTF-8 bytes
    if (this.used + line.length * 3 > WRITE_BYTES) {
      this.write()
      if (line.length * 3 > WRITE_BYTES) {
        this.addLong(line)
        return
      }
    }
    const bytes = this.buffer.write(line, this.used)
    this.used += bytes
    if (bytes > this.longestBytes) this.longestBytes = bytes
    this.lines++
  }

  /** Closes the file after writing what is buffered. */
  close(): void {
    if (this.fd === undefined) return
    try {
      this.write()
    } finally {
      closeSync(this.fd)
      this.fd = undefined
    }
  }

  /** Closes (if open) and deletes the file; never throws. */
  remove(): void {
    try {
      if (this.fd !== undefined) closeSync(this.fd)
    } catch {
      // already closed
    }
    this.fd = undefined
    try {
      unlinkSync(this.path)
    } catch {
      // already gone; the folder goes with its scope anyway
    }
  }

  private addLong(line: string): void {
    const bytes = Buffer.from(line, "utf8")
    this.writeAll(bytes, bytes.length)
    if (bytes.length > this.longestBytes) this.longestBytes = bytes.length
    this.lines++
  }

  private write(): void {
    if (this.used === 0) return
    this.writeAll(this.buffer, this.used)
    this.used = 0
  }

  private writeAll(bytes: Buffer, length: number): void {
    if (this.fd === undefined) throw new Error("spool file is closed")
    let offset = 0
    while (offset < length) offset += writeSync(this.fd, bytes, offset, length - offset)
  }
}
