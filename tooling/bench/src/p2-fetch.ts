import { join } from "node:path"
import { dayEvents, makeDataset, startSimulator } from "@mixpanel-data/mixpanel-sim"
import type { BenchOptions, BenchResult } from "./registry.js"
import { removeDir, requireMp, round, runMp, simulatorEnv, tableRows, tempDir } from "./run.js"

/**
 * p2 (fetch): peak resident memory of the `mp fetch events` process for one day of about 2M
 * events from the simulator over one day of about 200k. Only the CLI's process is measured;
 * the simulator runs in this one and generates each request's body as it streams it (no
 * prerendering: a 2M-line day would hold about a gigabyte here).
 */
export const name = "p2_fetch"

const DAY = "2024-04-02"
const SMALL = 200_000
const LARGE = 2_000_000
/** The dataset: one day, so every user who is not an existing one signs up that day. */
const dataset = (eventsPerDay: number) =>
  ({ seed: 5, startDate: DAY, days: 1, profiles: 100, eventsPerDay }) as const

/** Lines the simulator serves for the day (duplicates included), counted by generating it. */
const dayLines = (eventsPerDay: number): number => {
  const ds = makeDataset(dataset(eventsPerDay))
  let lines = 0
  for (const _ of dayEvents(ds, ds.startDay)) lines++
  return lines
}

/**
 * `eventsPerDay` is a nominal volume (it sizes the user pool): a day really holds some multiple
 * of it that depends on the weekday and the signups. The multiple is measured at the small
 * volume and used for both, and the counts are then taken exactly.
 */
const calibrate = (log: BenchOptions["log"]) => {
  let nominal = SMALL / 2
  let lines = dayLines(nominal)
  if (Math.abs(lines / SMALL - 1) > 0.03) {
    nominal = Math.round((nominal * SMALL) / lines)
    lines = dayLines(nominal)
  }
  const large = Math.round((nominal * LARGE) / lines)
  log(`p2: one day at nominal ${nominal} serves ${lines} lines; counting nominal ${large}`)
  return [
    { nominal, lines },
    { nominal: large, lines: dayLines(large) },
  ] as const
}

const fetchOnce = async (dir: string, nominal: number, log: BenchOptions["log"]) => {
  const sim = await startSimulator({
    ...dataset(nominal),
    port: 0,
    today: "2024-06-30",
    limits: false,
    prerender: false,
  })
  try {
    const env = simulatorEnv(dir, sim)
    const db = join(dir, `fetch-${nominal}.duckdb`)
    log(`p2: mp fetch events, one day at nominal ${nominal}`)
    const run = await runMp(
      ["--db", db, "--no-progress", "fetch", "events", "--from", DAY, "--to", DAY],
      { env },
    )
    return { ...run, rows: await tableRows(db, "events", env) }
  } finally {
    await sim.close()
  }
}

export const run = async ({ log }: BenchOptions): Promise<BenchResult> => {
  requireMp()
  const [smallDay, largeDay] = calibrate(log)
  const dir = tempDir("p2-fetch")
  try {
    const small = await fetchOnce(dir, smallDay.nominal, log)
    const large = await fetchOnce(dir, largeDay.nominal, log)
    const ratio = large.peakMb / small.peakMb
    return {
      rows: [
        ["mp fetch events, one day from the simulator", "peak RSS of the mp process"],
        ["small day: lines served", smallDay.lines],
        ["small day: events in the table", small.rows],
        ["small day: peak RSS (MB)", Math.round(small.peakMb)],
        ["small day: seconds", small.seconds],
        ["large day: lines served", largeDay.lines],
        ["large day: events in the table", large.rows],
        ["large day: peak RSS (MB)", Math.round(large.peakMb)],
        ["large day: seconds", large.seconds],
        ["p2_fetch_2m_vs_200k (goal <= 1.3)", ratio],
        ["p2_fetch_peak_mb_2m (goal < 768)", Math.round(large.peakMb)],
      ],
      keys: {
        p2_fetch_2m_vs_200k: round(ratio),
        p2_fetch_peak_mb_2m: Math.round(large.peakMb),
        p2_fetch_lines_2m: largeDay.lines,
        p2_fetch_lines_200k: smallDay.lines,
      },
    }
  } finally {
    removeDir(dir)
  }
}
