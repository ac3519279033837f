import { statSync } from "node:fs"
import { join } from "node:path"
import { startSimulator } from "@mixpanel-data/mixpanel-sim"
import { runNative } from "./native.js"
import type { BenchOptions, BenchResult } from "./registry.js"
import { removeDir, requireMp, round, runMp, simulatorEnv, tableRows, tempDir } from "./run.js"

/**
 * p3: the whole `mp fetch events` (a real process: HTTP with gzip from the simulator, spooling,
 * loading, deduplicating, committing each day) in events per second, over a fresh process
 * loading the same events from a local JSONL file with DuckDB's own `read_json` into the same
 * columns (see native.ts).
 */
export const name = "p3_fetch"

const DAYS = 10
const FROM = "2024-04-01"
const TO = "2024-04-10"

export const run = async ({ events, log }: BenchOptions): Promise<BenchResult> => {
  requireMp()
  // At least half a million events over ten days: the size a user fetches, not a warm-up.
  const total = Math.max(500_000, Math.min(events, 1_000_000))
  const dir = tempDir("p3")
  // The simulator emits ~0.8 of the nominal volume once sampling and weekends are applied.
  const sim = await startSimulator({
    port: 0,
    seed: 3,
    startDate: FROM,
    days: DAYS,
    eventsPerDay: Math.round(total / DAYS / 0.8),
    profiles: 100,
    today: "2024-06-30",
    limits: false,
    // The first (untimed) fetch renders each day once; the timed one is served from memory, so
    // the simulator takes next to no CPU from the client being measured.
    prerender: true,
  })
  try {
    const env = simulatorEnv(dir, sim)
    const jsonl = join(dir, "events.jsonl")
    log(`p3: exporting the same events to ${jsonl}`)
    await runMp(["fetch", "events", "--from", FROM, "--to", TO, "--stdout"], {
      env,
      stdoutFile: jsonl,
    })

    log("p3: mp fetch events")
    const db = join(dir, "fetch.duckdb")
    const fetched = await runMp(
      ["--db", db, "--no-progress", "fetch", "events", "--from", FROM, "--to", TO],
      { env },
    )
    const rows = await tableRows(db, "events", env)

    log("p3: DuckDB read_json of the same lines, in its own process")
    const native = await runNative(join(dir, "native.duckdb"), jsonl)
    const lines = native.rows
    const fetchRate = rows / fetched.seconds
    const nativeRate = lines / native.seconds
    return {
      rows: [
        ["simulator", "prerendered: days served from memory, measuring the client"],
        ["events in the table (deduplicated)", rows],
        ["export lines", lines],
        ["JSONL size (MB)", Math.round(statSync(jsonl).size / 1e5) / 10],
        ["mp fetch events: seconds", fetched.seconds],
        ["mp fetch events: events/s", Math.round(fetchRate)],
        ["mp fetch events: peak RSS (MB)", Math.round(fetched.peakMb)],
        ["DuckDB read_json process: seconds", native.seconds],
        ["DuckDB read_json process: events/s", Math.round(nativeRate)],
        ["p3_fetch_vs_native (goal >= 0.8)", fetchRate / nativeRate],
      ],
      keys: { p3_fetch_vs_native: round(fetchRate / nativeRate) },
    }
  } finally {
    await sim.close()
    removeDir(dir)
  }
}
