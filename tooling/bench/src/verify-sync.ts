import { join } from "node:path"
import { startSimulator } from "@mixpanel-data/mixpanel-sim"
import type { BenchOptions, BenchResult } from "./registry.js"
import { removeDir, requireMp, round, runMp, simulatorEnv, tableRows, tempDir } from "./run.js"

/**
 * verify_sync: the whole `mp verify events` and `mp sync` processes over a month of about a
 * million events from the simulator (prerendered, so it takes next to no CPU from the client),
 * with the quota each spends counted at the simulator. `mp query "SELECT 1"` is the process's own
 * cost, for scale.
 */
export const name = "verify_sync"

const DAYS = 30
const FROM = "2024-04-01"
/** The table holds all but the last two days; sync fetches those and refetches the lookback. */
const HELD_TO = "2024-04-28"
const TO = "2024-04-30"

export const run = async ({ events, log }: BenchOptions): Promise<BenchResult> => {
  requireMp()
  const dir = tempDir("verify-sync")
  // The simulator emits ~0.8 of the nominal volume once sampling and weekends are applied.
  const sim = await startSimulator({
    port: 0,
    seed: 5,
    startDate: FROM,
    days: DAYS,
    eventsPerDay: Math.round(events / DAYS / 0.8),
    profiles: 100,
    today: "2024-05-01",
    limits: false,
    prerender: true,
  })
  try {
    const env = simulatorEnv(dir, sim)
    const db = join(dir, "month.duckdb")
    const mp = (args: ReadonlyArray<string>) =>
      runMp(["--db", db, "--no-progress", ...args], { env })
    log(`verify_sync: mp fetch events ${FROM}..${HELD_TO}`)
    await mp(["fetch", "events", "--from", FROM, "--to", HELD_TO])
    const rows = await tableRows(db, "events", env)
    const baseline = await mp(["query", "SELECT 1"])

    log("verify_sync: mp verify events")
    sim.resetStats()
    const verify = await mp(["verify", "events"])
    const verifyQueries = sim.stats().query.requests

    log(`verify_sync: mp sync --to ${TO}`)
    sim.resetStats()
    const sync = await mp(["sync", "--to", TO])
    const syncExports = sim.stats().export.requests

    log("verify_sync: mp verify events --repair (nothing differs)")
    sim.resetStats()
    const repair = await mp(["verify", "events", "--repair"])
    const repairQueries = sim.stats().query.requests
    return {
      rows: [
        ["events in the table before the sync", rows],
        ["mp query SELECT 1 (process baseline): seconds", baseline.seconds],
        ["mp verify events: seconds", verify.seconds],
        ["mp verify events: peak RSS (MB)", Math.round(verify.peakMb)],
        ["mp verify events: queries spent", verifyQueries],
        ["mp sync (2 new days, lookback 2): seconds", sync.seconds],
        ["mp sync: peak RSS (MB)", Math.round(sync.peakMb)],
        ["mp sync: export requests", syncExports],
        ["mp verify events --repair, all matching: seconds", repair.seconds],
        ["mp verify events --repair: queries spent", repairQueries],
      ],
      keys: {
        verify_s: round(verify.seconds),
        verify_vs_baseline: round(verify.seconds / baseline.seconds),
        sync_s: round(sync.seconds),
        verify_queries: verifyQueries,
        sync_export_requests: syncExports,
      },
    }
  } finally {
    await sim.close()
    removeDir(dir)
  }
}
