import type { Globals } from "../globals.js"
import { note } from "../output.js"

const number = new Intl.NumberFormat("en-US")

interface Outcome {
  readonly rows: number
  readonly duplicates: number
  readonly tableRows: number
  readonly complete: boolean
  readonly daysFetched?: number
  readonly daysSkipped?: number
  readonly daysTotal?: number
}

/** One status line on stderr: what landed where, and how fast. */
export const describeOutcome = (
  globals: Globals,
  kind: "events" | "profiles",
  table: string,
  path: string,
  outcome: Outcome,
  elapsedMs: number,
): void => {
  const seconds = Math.max(0.001, elapsedMs / 1000)
  const parts = [`${number.format(outcome.rows)} ${kind} added to "${table}"`]
  if (outcome.duplicates > 0) {
    parts.push(
      `${number.format(outcome.duplicates)} ${kind === "events" ? "duplicates dropped" : "updated"}`,
    )
  }
  if (outcome.daysTotal !== undefined && outcome.daysTotal > 0) {
    const skipped = outcome.daysSkipped ? `, ${outcome.daysSkipped} already there` : ""
    parts.push(`${outcome.daysFetched ?? 0}/${outcome.daysTotal} days fetched${skipped}`)
  }
  parts.push(`table holds ${number.format(outcome.tableRows)}`)
  parts.push(`${seconds.toFixed(1)}s, ${number.format(Math.round(outcome.rows / seconds))}/s`)
  note(globals, `${outcome.complete ? "Done" : "Incomplete"}: ${parts.join("; ")} (${path}).`)
}
