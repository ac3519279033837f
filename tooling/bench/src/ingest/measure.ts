import { closeSync, openSync, writeSync } from "node:fs"
import { join } from "node:path"
import { type EventRecord, makeStorage, type TableMetadata } from "@mixpanel-data/core"
import { Effect, Stream } from "effect"
import { removeDir, tempDir } from "../run.js"
import { generateEvents } from "./generate.js"

/** The metadata of every table the bench creates. */
const benchMetadata = (): TableMetadata => ({
  type: "events",
  fetchedAt: new Date(),
  fromDate: null,
  toDate: null,
  filters: {},
  source: { name: "bench", params: {} },
})

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9

/** Rows per chunk of the pre-generated stream: what a paged source hands over at a time. */
const STREAM_CHUNK = 4096

/**
 * All `count` records generated up front, in chunks, so a timed run measures ingestion alone
 * and not the generator (which costs about as much as a fast ingest).
 */
export const pregeneratedStream = (count: number, seed = 42): Stream.Stream<EventRecord> => {
  const chunks: Array<Array<EventRecord>> = []
  let chunk: Array<EventRecord> = []
  for (const record of generateEvents(count, seed)) {
    chunk.push(record)
    if (chunk.length === STREAM_CHUNK) {
      chunks.push(chunk)
      chunk = []
    }
  }
  if (chunk.length > 0) chunks.push(chunk)
  return Stream.fromArrays(...chunks)
}

/**
 * (a) Our engine: `createEventsTable` from a Stream of records into a fresh file. The clock
 * covers the whole call (validation, staging, deduplication check, commit) over `records`.
 */
export const measureOurs = async (
  records: Stream.Stream<EventRecord>,
): Promise<{ seconds: number; rows: number }> => {
  const dir = tempDir("records")
  try {
    return await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const storage = yield* makeStorage({ mode: "file", path: join(dir, "ours.duckdb") })
          const start = process.hrtime.bigint()
          const rows = yield* storage.createEventsTable("events", records, benchMetadata())
          return { seconds: seconds(start), rows }
        }),
      ),
    )
  } finally {
    removeDir(dir)
  }
}

/**
 * (e) The floor of any record path written in JavaScript: each record's properties through
 * `JSON.stringify`, its line UTF-8 encoded into a buffer and written to a file, nothing else
 * (no validation, no DuckDB). How long JavaScript alone needs, next to (a).
 */
export const measureSerialisation = async (
  records: Stream.Stream<EventRecord>,
): Promise<{ seconds: number; rows: number }> => {
  const dir = tempDir("records")
  const fd = openSync(join(dir, "lines.tsv"), "w")
  const buffer = Buffer.allocUnsafe(1 << 20)
  let used = 0
  let rows = 0
  const flush = () => {
    writeSync(fd, buffer, 0, used)
    used = 0
  }
  try {
    const start = process.hrtime.bigint()
    await Effect.runPromise(
      Stream.runForEachArray(records, (batch) =>
        Effect.sync(() => {
          for (const r of batch) {
            const line = `${r.eventName}\t${r.time.getTime()}\t${r.distinctId}\t${r.insertId}\t${JSON.stringify(r.properties)}\n`
            if (used + line.length * 3 > buffer.length) flush()
            if (line.length * 3 > buffer.length) writeSync(fd, line)
            else used += buffer.write(line, used)
            rows++
          }
        }),
      ),
    )
    flush()
    return { seconds: seconds(start), rows }
  } finally {
    closeSync(fd)
    removeDir(dir)
  }
}
