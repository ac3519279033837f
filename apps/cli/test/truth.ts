import { ChecksumAccumulator } from "@mixpanel-data/mixpanel-sim"
import type { RunResult } from "./harness.js"

/** Count and checksum of an events table, computed the way the simulator computes its truth. */
export const eventsTruthOf = async (
  mp: (args: ReadonlyArray<string>) => Promise<RunResult>,
  db: string,
  table = "events",
): Promise<{ count: number; checksum: string }> => {
  const r = await mp([
    "--db",
    db,
    "--format",
    "jsonl",
    "query",
    `SELECT event_name, distinct_id, epoch_ms(event_time) AS t, insert_id FROM ${table}`,
  ])
  if (r.code !== 0) throw new Error(`query failed: ${r.stderr}`)
  const acc = new ChecksumAccumulator()
  for (const line of r.stdout.split("\n")) {
    if (line === "") continue
    const row = JSON.parse(line) as {
      event_name: string
      distinct_id: string
      t: number
      insert_id: string
    }
    acc.addEvent(row.event_name, row.distinct_id, row.t, row.insert_id)
  }
  return { count: acc.count, checksum: acc.digest() }
}
