import { join } from "node:path"
import { writeExportFile } from "./ingest/generate.js"
import type { BenchOptions, BenchResult } from "./registry.js"
import { mpEnv, removeDir, requireMp, round, runMp, tempDir } from "./run.js"

/**
 * p2 (import): peak resident memory of `mp import events FILE` for one day of 2M lines over
 * one day of 200k. Memory that grows with the input shows as a ratio well above 1.
 */
export const name = "p2_import"

const SMALL = 200_000
const LARGE = 2_000_000
const DAY_MS = Date.UTC(2024, 3, 2)

const importOnce = async (dir: string, lines: number, log: BenchOptions["log"]) => {
  const file = join(dir, `day-${lines}.jsonl`)
  log(`p2: writing one day of ${lines} export lines`)
  writeExportFile(file, { lines, startMs: DAY_MS, days: 1, seed: 2 })
  log(`p2: mp import events, ${lines} lines`)
  try {
    const db = join(dir, `import-${lines}.duckdb`)
    return await runMp(["--db", db, "--no-progress", "import", "events", file], {
      env: mpEnv(dir),
    })
  } finally {
    removeDir(file)
  }
}

export const run = async ({ log }: BenchOptions): Promise<BenchResult> => {
  requireMp()
  const dir = tempDir("p2-import")
  try {
    const small = await importOnce(dir, SMALL, log)
    const large = await importOnce(dir, LARGE, log)
    const ratio = large.peakMb / small.peakMb
    return {
      rows: [
        ["mp import, one day: peak RSS of the process", "200k lines, 2M lines"],
        ["200k lines: peak RSS (MB)", Math.round(small.peakMb)],
        ["200k lines: seconds", small.seconds],
        ["2M lines: peak RSS (MB)", Math.round(large.peakMb)],
        ["2M lines: seconds", large.seconds],
        ["2M lines: lines/s", Math.round(LARGE / large.seconds)],
        ["p2_import_2m_vs_200k (goal <= 1.3)", ratio],
        ["p2_import_peak_mb_2m (goal < 768)", Math.round(large.peakMb)],
      ],
      keys: { p2_import_2m_vs_200k: round(ratio), p2_import_peak_mb_2m: Math.round(large.peakMb) },
    }
  } finally {
    removeDir(dir)
  }
}
