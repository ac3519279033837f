import { measureOurs, pregeneratedStream, recordStream } from "./measure.js"

/**
 * Run in its own process, so each measurement starts fresh: ingests `argv[2]` generated events
 * through `createEventsTable` and prints the time, rows and the process's peak resident memory.
 * `argv[3]` is `pregenerated` (every record built before the clock starts: the rate of
 * ingestion alone) or `lazy` (records generated as the stream is pulled: memory stays that of
 * the ingestion, as a user streaming from a source sees it). `argv[4]`: DuckDB memory limit.
 */
const count = Number(process.argv[2] ?? 200_000)
const mode = process.argv[3] === "pregenerated" ? "pregenerated" : "lazy"
const records = mode === "pregenerated" ? pregeneratedStream(count) : recordStream(count)
const result = await measureOurs(records, process.argv[4])
const peakMb = process.resourceUsage().maxRSS / 1024
process.stdout.write(
  `${JSON.stringify({ count, mode, seconds: result.seconds, rows: result.rows, peakMb })}\n`,
)
