import { join } from "node:path"
import { writeExportFile } from "./ingest/generate.js"
import { runNative } from "./native.js"
import type { BenchOptions, BenchResult } from "./registry.js"
import { mpEnv, removeDir, requireMp, round, runMp, tableRows, tempDir } from "./run.js"

/**
 * p1: `mp import events FILE` as a user runs it (the whole process: start, parse, deduplicate,
 * commit) in lines per second, over a fresh process loading the same file with DuckDB's own
 * `read_json` into the same columns (see native.ts). Both rates count the file's lines over
 * the process's wall time.
 */
export const name = "p1_import"

const DAYS = 3
const START_MS = Date.UTC(2024, 3, 1)

export const run = async ({ events, log }: BenchOptions): Promise<BenchResult> => {
  requireMp()
  const dir = tempDir("p1")
  try {
    const file = join(dir, "events.jsonl")
    log(`p1: writing ${events} export lines over ${DAYS} days`)
    const written = writeExportFile(file, { lines: events, startMs: START_MS, days: DAYS, seed: 1 })
    log("p1: DuckDB read_json in its own process")
    const native = await runNative(join(dir, "native.duckdb"), file)
    if (native.rows !== events) throw new Error(`read_json loaded ${native.rows} of ${events}`)
    log("p1: mp import events")
    const env = mpEnv(dir)
    const db = join(dir, "mp.duckdb")
    const mp = await runMp(["--db", db, "--no-progress", "import", "events", file], { env })
    const rows = await tableRows(db, "events", env)
    const mpRate = events / mp.seconds
    const nativeRate = events / native.seconds
    return {
      rows: [
        ["export lines", events],
        [
          "  of them duplicates / without $insert_id",
          `${written.duplicates} / ${written.withoutInsertId}`,
        ],
        ["file size (MB)", Math.round(written.bytes / 1e5) / 10],
        ["bytes per line", Math.round(written.bytes / events)],
        ["mp import: events in the table", rows],
        ["  expected (lines - duplicates)", events - written.duplicates],
        ["mp import: seconds", mp.seconds],
        ["mp import: lines/s", Math.round(mpRate)],
        ["mp import: peak RSS (MB)", Math.round(mp.peakMb)],
        ["DuckDB read_json process: seconds", native.seconds],
        ["DuckDB read_json process: lines/s", Math.round(nativeRate)],
        ["DuckDB read_json process: peak RSS (MB)", Math.round(native.peakMb)],
        ["p1_import_vs_native (goal >= 0.9)", mpRate / nativeRate],
      ],
      keys: { p1_import_vs_native: round(mpRate / nativeRate) },
    }
  } finally {
    removeDir(dir)
  }
}
