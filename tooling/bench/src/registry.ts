import * as ingest from "./ingest/index.js"
import * as p3 from "./p3-fetch.js"
import * as p4 from "./p4-backfill.js"
import * as p5 from "./p5-start.js"

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

/** Every benchmark `pnpm bench` runs, in order. Add a module: export `name` and `run`. */
export const registry: Array<BenchModule> = [ingest, p3, p4, p5]
