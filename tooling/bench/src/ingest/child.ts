import { measureOurs, measureSerialisation, pregeneratedStream, recordStream } from "./measure.js"

/**
 * Run in its own process, so each measurement starts fresh: ingests `argv[2]` generated events
 * through `createEventsTable` and prints the time, rows and the process's peak resident memory.
 * `argv[3]` is `pregenerated` (every record built before the clock starts: the rate of
 * ingestion alone) or `lazy` (records generated as the stream is pulled: memory stays that of
 * the ingestion, as a user streaming from a source sees it) or `serialise` (pre-generated
 * records through the serialisation floor alone, see `measureSerialisation`). `argv[4]`:
 * DuckDB memory limit.
 */
const count = Number(process.argv[2] ?? 200_000)
const modes = ["pregenerated", "lazy", "serialise"] as const
const mode = modes.find((m) => m === process.argv[3]) ?? "lazy"
const records = mode === "lazy" ? recordStream(count) : pregeneratedStream(count)
const result =
  mode === "serialise"
    ? await measureSerialisation(records)
    : await measureOurs(records, process.argv[4])
const peakMb = process.resourceUsage().maxRSS / 1024
process.stdout.write(
  `${JSON.stringify({ count, mode, seconds: result.seconds, rows: result.rows, peakMb })}\n`,
)
