import { fileURLToPath } from "node:url"
import type { BenchOptions, BenchResult } from "../registry.js"
import { round, runNode } from "../run.js"

/**
 * p1 (records, a library figure): `createEventsTable` over a Stream of record objects, the
 * path of a source that hands over records rather than raw lines, against the floor of any
 * record path written in JavaScript (each record serialised and written, no database). Both
 * over the same pre-generated records, each in a fresh child process.
 */
export const name = "p1_records"

const CHILD = fileURLToPath(new URL("./child.js", import.meta.url))

/**
 * Pre-generated records for 1M events take about 1 GB of JS heap, more than Node's default old
 * space allows; the children get room for them.
 */
const HEAP_MB = 6144

interface ChildResult {
  readonly seconds: number
  readonly rows: number
}

const child = async (count: number, mode: "pregenerated" | "serialise"): Promise<ChildResult> => {
  const run = await runNode(CHILD, [String(count), mode], {
    nodeFlags: [`--max-old-space-size=${HEAP_MB}`],
  })
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!) as ChildResult
}

export const run = async ({ events, log }: BenchOptions): Promise<BenchResult> => {
  log("  (a) createEventsTable over pre-generated records, in a child process")
  const ours = await child(events, "pregenerated")
  log("  (e) serialisation floor over the same pre-generated records, in a child process")
  const floor = await child(events, "serialise")
  const rate = (r: ChildResult) => r.rows / r.seconds
  const a = rate(ours)
  const e = rate(floor)
  return {
    rows: [
      ["records", events],
      ["(a) createEventsTable rows/s (records generated before the clock)", Math.round(a)],
      ["(e) JS alone: JSON.stringify + UTF-8 + write, no DuckDB, rows/s", Math.round(e)],
      ["p1_records_vs_js_floor (a/e)", a / e],
    ],
    keys: { p1_records_vs_js_floor: round(a / e) },
  }
}
