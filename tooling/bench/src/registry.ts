import * as import10m from "./import-10m.js"
import * as records from "./ingest/index.js"
import * as p1 from "./p1-import.js"
import * as p2fetch from "./p2-fetch.js"
import * as p2import from "./p2-import.js"
import * as p3 from "./p3-fetch.js"
import * as p4 from "./p4-backfill.js"
import * as p5 from "./p5-start.js"
import * as p6 from "./p6-stream.js"
import * as reports from "./reports.js"
import * as verifySync from "./verify-sync.js"

export interface BenchOptions {
  /** Events to generate where a module sizes its data (`BENCH_EVENTS`, default 1,000,000). */
  readonly events: number
  /** Progress lines (stderr), so the last stdout line stays the JSON summary. */
  readonly log: (line: string) => void
}

export interface BenchResult {
  /** Rows of the printed table: label, value. */
  readonly rows: ReadonlyArray<readonly [string, string | number]>
  /** Figures merged into the final JSON line. */
  readonly keys: Readonly<Record<string, number>>
}

export interface BenchModule {
  readonly name: string
  readonly run: (options: BenchOptions) => Promise<BenchResult>
}

/**
 * Every benchmark `pnpm bench` runs, in order. Add a module: export `name` and `run`. The 10M
 * import (minutes, 4.5 GB of temporary file) runs only with `BENCH_10M=1`.
 */
export const registry: Array<BenchModule> = [
  p1,
  records,
  p2import,
  p2fetch,
  p3,
  p4,
  p5,
  p6,
  reports,
  verifySync,
  ...(process.env.BENCH_10M === "1" ? [import10m] : []),
]
