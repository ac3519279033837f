import { measureOurs } from "./measure.js"

/**
 * Run in its own process: ingests `argv[2]` generated events (DuckDB memory limit `argv[3]`) through `createEventsTable` and
 * prints the process's peak resident memory, so each size is measured from a fresh start.
 */
const count = Number(process.argv[2] ?? 200_000)
const result = await measureOurs(count, process.argv[3])
const peakMb = process.resourceUsage().maxRSS / 1024
process.stdout.write(
  `${JSON.stringify({ count, seconds: result.seconds, rows: result.rows, peakMb })}\n`,
)
