import { existsSync } from "node:fs"
import { join } from "node:path"
import { writeExportFile } from "./ingest/generate.js"
import type { BenchOptions, BenchResult } from "./registry.js"
import { median, mpEnv, removeDir, requireMp, round, runMp, tableRows, tempDir } from "./run.js"

/**
 * reports: each `mp report` as a user runs it (the whole process: start, open the database
 * read-only, the report's SQL, print), over a table of `events` export lines spread over 30
 * days, median of three runs. `mp query "SELECT 1"` is the process's own cost, for scale.
 * `BENCH_REPORTS_DB=path` reuses (or builds once and keeps) the database there.
 */
export const name = "reports"

const DAYS = 30
const START_MS = Date.UTC(2024, 3, 1)
const range = ["--from", "2024-04-01", "--to", "2024-04-30"]
const RUNS = 3

const reports: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
  ["process baseline (query SELECT 1)", ["query", "SELECT 1"]],
  ["segmentation (day)", ["report", "segmentation", "Page View", ...range]],
  [
    "segmentation --on country --type unique",
    [
      "report",
      "segmentation",
      "Page View",
      ...range,
      "--on",
      "mp_country_code",
      "--type",
      "unique",
    ],
  ],
  [
    "segmentation --unit hour --where",
    [
      "report",
      "segmentation",
      "Purchase",
      ...range,
      "--unit",
      "hour",
      "--where",
      "properties ->> 'mp_country_code' = 'US'",
    ],
  ],
  [
    "funnel (3 steps, 7d)",
    ["report", "funnel", "Page View", "Add To Cart", "Purchase", ...range, "--window", "7d"],
  ],
  [
    "retention (born Sign Up, day, 10 intervals)",
    ["report", "retention", "--born", "Sign Up", ...range],
  ],
  [
    "frequency (week by day)",
    ["report", "frequency", "Login", ...range, "--unit", "week", "--sub-unit", "day"],
  ],
  [
    "frequency (day by hour)",
    ["report", "frequency", "Page View", ...range, "--unit", "day", "--sub-unit", "hour"],
  ],
  ["active (day)", ["report", "active", ...range]],
  ["active (month)", ["report", "active", ...range, "--unit", "month"]],
]

/** The JSON line's key of a report's seconds: `reports_segmentation_day_s`, … */
const key = (label: string) =>
  `reports_${label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_|_$/g, "")}_s`

export const run = async ({ events, log }: BenchOptions): Promise<BenchResult> => {
  requireMp()
  const dir = tempDir("reports")
  const kept = process.env.BENCH_REPORTS_DB
  const db = kept ?? join(dir, "reports.duckdb")
  const env = mpEnv(dir)
  try {
    if (!existsSync(db)) {
      const file = join(dir, "events.jsonl")
      log(`reports: writing ${events} export lines over ${DAYS} days`)
      writeExportFile(file, { lines: events, startMs: START_MS, days: DAYS, seed: 3 })
      log("reports: mp import events")
      await runMp(["--db", db, "--no-progress", "import", "events", file], { env })
    }
    const rows = await tableRows(db, "events", env)
    const results: Array<readonly [string, string | number]> = [["events in the table", rows]]
    const keys: Record<string, number> = {}
    for (const [label, args] of reports) {
      log(`reports: ${label}`)
      const runs = []
      for (let i = 0; i < RUNS; i++) {
        runs.push(await runMp(["--db", db, "--format", "json", ...args], { env }))
      }
      const seconds = median(runs.map((r) => r.seconds))
      const peak = Math.max(...runs.map((r) => r.peakMb))
      results.push([`${label}: seconds`, round(seconds)])
      results.push([`${label}: peak RSS (MB)`, Math.round(peak)])
      keys[key(label)] = round(seconds)
    }
    return { rows: results, keys }
  } finally {
    removeDir(dir)
  }
}
