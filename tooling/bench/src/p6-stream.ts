import { createReadStream, rmSync } from "node:fs"
import { join } from "node:path"
import { writeExportFile } from "./ingest/generate.js"
import { runNative, runNativeCopy } from "./native.js"
import type { BenchOptions, BenchResult } from "./registry.js"
import { median, mpEnv, removeDir, requireMp, round, runMp, tempDir } from "./run.js"

/**
 * p6: `mp query --format jsonl "SELECT * FROM events"` of the events table into a file, as a
 * user runs it (the whole process: start, query, DuckDB rendering the rows, writing them),
 * over a fresh process in which DuckDB writes the same rows with its own
 * `COPY (…) TO … (FORMAT json)` (native-copy-child.ts). Both read the same database file,
 * loaded once by DuckDB's reader (native.ts). Rows per second over rows per second, medians of
 * interleaved runs. Beside it, once each: `--format csv` and COPY's CSV.
 */
export const name = "p6_stream"

const ROUNDS = 3
const DAYS = 3
const START_MS = Date.UTC(2024, 3, 1)

/** Lines in a file, read in pieces. */
const countLines = (file: string): Promise<number> =>
  new Promise((resolve, reject) => {
    let lines = 0
    createReadStream(file)
      .on("data", (piece) => {
        for (const byte of piece as Buffer) if (byte === 10) lines++
      })
      .on("end", () => resolve(lines))
      .on("error", reject)
  })

export const run = async ({ events, log }: BenchOptions): Promise<BenchResult> => {
  requireMp()
  const dir = tempDir("p6")
  try {
    const file = join(dir, "events.jsonl")
    const db = join(dir, "events.duckdb")
    log(`p6: writing ${events} export lines and loading them with DuckDB's reader`)
    writeExportFile(file, { lines: events, startMs: START_MS, days: DAYS, seed: 6 })
    const { rows } = await runNative(db, file)
    rmSync(file)
    const env = mpEnv(dir)
    const out = join(dir, "out")
    const mpQuery = async (format: "jsonl" | "csv") => {
      const run = await runMp(["--db", db, "--format", format, "query", "SELECT * FROM events"], {
        env,
        stdoutFile: out,
      })
      const lines = await countLines(out)
      const expected = format === "csv" ? rows + 1 : rows
      if (lines !== expected) throw new Error(`mp query --format ${format}: ${lines} lines`)
      rmSync(out)
      return run
    }
    const copy = async (format: "json" | "csv") => {
      const run = await runNativeCopy(db, out, format)
      if (run.rows !== rows) throw new Error(`COPY wrote ${run.rows} of ${rows} rows`)
      rmSync(out)
      return run
    }
    const mp: Array<number> = []
    const native: Array<number> = []
    let mpPeak = 0
    let nativePeak = 0
    for (let i = 0; i < ROUNDS; i++) {
      log(`p6: round ${i + 1} of ${ROUNDS}: DuckDB COPY, then mp query --format jsonl`)
      const c = await copy("json")
      native.push(c.seconds)
      nativePeak = Math.max(nativePeak, c.peakMb)
      const m = await mpQuery("jsonl")
      mp.push(m.seconds)
      mpPeak = Math.max(mpPeak, m.peakMb)
    }
    log("p6: DuckDB COPY (FORMAT csv), then mp query --format csv")
    const copyCsv = await copy("csv")
    const mpCsv = await mpQuery("csv")
    const ratio = rows / median(mp) / (rows / median(native))
    return {
      rows: [
        ["rows", rows],
        ["mp query --format jsonl: seconds (median)", median(mp)],
        ["  runs", mp.map((s) => s.toFixed(2)).join(", ")],
        ["  rows/s", Math.round(rows / median(mp))],
        ["  peak RSS (MB)", Math.round(mpPeak)],
        ["DuckDB COPY (FORMAT json) process: seconds (median)", median(native)],
        ["  runs", native.map((s) => s.toFixed(2)).join(", ")],
        ["  rows/s", Math.round(rows / median(native))],
        ["  peak RSS (MB)", Math.round(nativePeak)],
        ["mp query --format csv: seconds", mpCsv.seconds],
        ["DuckDB COPY (FORMAT csv) process: seconds", copyCsv.seconds],
        ["p6_stream_vs_copy (goal >= 0.8)", ratio],
      ],
      keys: { p6_stream_vs_copy: round(ratio) },
    }
  } finally {
    removeDir(dir)
  }
}
