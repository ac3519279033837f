import type { DuckDBConnection } from "@duckdb/node-api"
import { DEFAULT_MAX_LINE, SpoolFile } from "./spool.js"

/** A failure while spooling: DuckDB refused a load, or a spool file could not be written. */
export type SinkFailure =
  | { readonly _tag: "Load"; readonly sql: string; readonly error: unknown }
  | {
      readonly _tag: "Io"
      readonly operation: string
      readonly path: string
      readonly error: unknown
    }

/** Builds the statement that loads one spool file whose lines are at most `maxLine` bytes. */
export type LoadSql = (path: string, maxLine: number) => string

/** Lines per spool file. */
const BATCH_ROWS = 65_536
/** Files waiting behind the running load before JavaScript waits for DuckDB. */
const MAX_QUEUED = 2

/**
 * Where spool lines go on their way into DuckDB: files of `BATCH_ROWS` lines, each loaded as
 * soon as it is closed, one after another and in order, while JavaScript writes the next ones;
 * at most `MAX_QUEUED` files wait behind the running load. DuckDB's reader parses each file on
 * all its threads. Each file is deleted once loaded (or skipped); after the first failure,
 * queued loads are skipped and the failure is kept. The load chain never rejects.
 *
 * One statement per file costs DuckDB some work per statement, yet it beats one statement
 * reading a named pipe: a pipe is read on a single thread, and that thread became the limit.
 */
export class SpoolSink {
  private file: SpoolFile
  private files = 0
  private tail: Promise<void> = Promise.resolve()
  private readonly pending: Array<Promise<void>> = []
  private stopped = false
  private failed: SinkFailure | undefined

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly dir: string,
    private readonly loadSql: LoadSql,
  ) {
    this.file = this.newFile()
  }

  /** The first failure, if any: once set, the sink takes no more lines. */
  readonly failure = (): SinkFailure | undefined => this.failed

  /**
   * Adds one line (newline included). Answers a promise when the caller must wait before the
   * next line (DuckDB is behind); otherwise undefined.
   */
  readonly add = (line: string): Promise<void> | undefined => {
    if (this.failed !== undefined) return undefined
    try {
      this.file.add(line)
    } catch (error) {
      this.failed = { _tag: "Io", operation: "write spool file", path: this.file.path, error }
      return undefined
    }
    return this.file.lines === BATCH_ROWS ? this.rotate() : undefined
  }

  /** Loads every line added and settles; check `failure` afterwards. */
  readonly finish = async (): Promise<void> => {
    if (this.failed !== undefined) return
    if (this.file.lines > 0) await this.queue(this.file)
    else this.file.remove()
    await this.tail
  }

  /** Skips what is queued, interrupts the running load and waits for it; never rejects. */
  readonly abort = async (): Promise<void> => {
    this.stopped = true
    if (this.pending.length > 0) this.conn.interrupt()
    this.file.remove()
    await this.tail
  }

  private newFile(): SpoolFile {
    return new SpoolFile(`${this.dir}/${this.files++}.tsv`)
  }

  private rotate(): Promise<void> | undefined {
    const full = this.file
    try {
      this.file = this.newFile()
    } catch (error) {
      this.failed = { _tag: "Io", operation: "create spool file", path: this.dir, error }
      return undefined
    }
    return this.queue(full)
  }

  /** Closes `file` and queues its load; resolves once at most `MAX_QUEUED` loads wait. */
  private async queue(file: SpoolFile): Promise<void> {
    try {
      file.close()
    } catch (error) {
      this.failed ??= { _tag: "Io", operation: "write spool file", path: file.path, error }
      file.remove()
      return
    }
    const sql = this.loadSql(file.path, Math.max(DEFAULT_MAX_LINE, file.longestBytes + 1))
    const done = this.tail.then(async () => {
      try {
        if (this.stopped || this.failed !== undefined) return
        await this.conn.run(sql)
      } catch (error) {
        this.failed ??= { _tag: "Load", sql, error: error ?? new Error("load failed") }
      } finally {
        file.remove()
      }
    })
    this.tail = done
    this.pending.push(done)
    void done.then(() => this.pending.splice(this.pending.indexOf(done), 1))
    while (this.pending.length > MAX_QUEUED + 1) await this.pending[0]
  }
}
