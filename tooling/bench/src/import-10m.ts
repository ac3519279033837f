import { join } from "node:path"
import { writeExportFile } from "./ingest/generate.js"
import type { BenchOptions, BenchResult } from "./registry.js"
import { mpEnv, removeDir, requireMp, runMp, tableRows, tempDir } from "./run.js"

/**
 * `mp import events` of a 10M-line export file (ten days, about 4.5 GB) under the CLI's default
 * memory budget: how long it takes and the process's peak resident memory. Minutes of work and
 * disk, so it runs only with `BENCH_10M=1`.
 */
export const name = "import_10m"

const LINES = 10_000_000
const DAYS = 10
const START_MS = Date.UTC(2024, 3, 1)

export const run = async ({ log }: BenchOptions): Promise<BenchResult> => {
  requireMp()
  const dir = tempDir("10m")
  try {
    const file = join(dir, "events.jsonl")
    log(`10m: writing ${LINES} export lines over ${DAYS} days`)
    const written = writeExportFile(file, { lines: LINES, startMs: START_MS, days: DAYS, seed: 10 })
    log("10m: mp import events")
    const env = mpEnv(dir)
    const db = join(dir, "mp.duckdb")
    const mp = await runMp(["--db", db, "--no-progress", "import", "events", file], { env })
    const rows = await tableRows(db, "events", env)
    return {
      rows: [
        ["export lines", LINES],
        ["file size (GB)", Math.round(written.bytes / 1e7) / 100],
        ["events in the table", rows],
        ["  expected (lines - duplicates)", LINES - written.duplicates],
        ["import_10m_seconds", mp.seconds],
        ["lines/s", Math.round(LINES / mp.seconds)],
        ["import_10m_peak_mb", Math.round(mp.peakMb)],
      ],
      keys: {
        import_10m_seconds: Math.round(mp.seconds * 10) / 10,
        import_10m_peak_mb: Math.round(mp.peakMb),
      },
    }
  } finally {
    removeDir(dir)
  }
}
