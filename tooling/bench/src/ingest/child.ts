import { measureOurs, measureSerialisation, pregeneratedStream } from "./measure.js"

/**
 * Run in its own process, so each measurement starts fresh: `argv[2]` generated events, all
 * built before the clock starts, through `createEventsTable` (`argv[3]` = `pregenerated`: the
 * rate of ingestion alone) or through the serialisation floor alone (`serialise`, see
 * `measureSerialisation`). Prints the timed seconds and rows.
 */
const count = Number(process.argv[2] ?? 200_000)
const mode = process.argv[3] === "serialise" ? "serialise" : "pregenerated"
const records = pregeneratedStream(count)
const result =
  mode === "serialise" ? await measureSerialisation(records) : await measureOurs(records)
process.stdout.write(
  `${JSON.stringify({ count, mode, seconds: result.seconds, rows: result.rows })}\n`,
)
