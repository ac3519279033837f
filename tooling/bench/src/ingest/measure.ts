import { once } from "node:events"
import { closeSync, createWriteStream, mkdtempSync, openSync, rmSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DuckDBInstance } from "@duckdb/node-api"
import { type EventRecord, makeStorage, type TableMetadata } from "@mixpanel-data/core"
import { Effect, Stream } from "effect"
import { generateEvents } from "./generate.js"

export const EVENTS_DDL = `CREATE TABLE events (
  event_name VARCHAR NOT NULL,
  event_time TIMESTAMP NOT NULL,
  distinct_id VARCHAR NOT NULL,
  insert_id VARCHAR NOT NULL,
  properties JSON
)`

export const tempDir = () => mkdtempSync(join(tmpdir(), "mpd-bench-"))
export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true })

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

/** A stream of `count` generated records, produced lazily in chunks. */
export const recordStream = (count: number, seed = 42): Stream.Stream<EventRecord> =>
  Stream.fromIterable(
    (function* () {
      for (const e of generateEvents(count, seed)) yield e.record
    })(),
  ).pipe(Stream.rechunk(4096))

/** Rows per chunk of the pre-generated stream: what a paged source hands over at a time. */
const STREAM_CHUNK = 4096

/**
 * All `count` records generated up front, in chunks, so a timed run measures ingestion alone
 * and not the generator (which costs about as much as a fast ingest).
 */
export const pregeneratedStream = (count: number, seed = 42): Stream.Stream<EventRecord> => {
  const chunks: Array<Array<EventRecord>> = []
  let chunk: Array<EventRecord> = []
  for (const e of generateEvents(count, seed)) {
    chunk.push(e.record)
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
  memoryLimit?: string,
): Promise<{ seconds: number; rows: number }> => {
  const dir = tempDir()
  try {
    return await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const storage = yield* makeStorage({
            mode: "file",
            path: join(dir, "ours.duckdb"),
            ...(memoryLimit ? { memoryLimit } : {}),
          })
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
 * (no validation, no DuckDB). How long JavaScript alone needs, next to (b)'s whole load.
 */
export const measureSerialisation = async (
  records: Stream.Stream<EventRecord>,
): Promise<{ seconds: number; rows: number }> => {
  const dir = tempDir()
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

/** Writes the same events as Mixpanel export lines, for DuckDB's own reader. */
export const writeJsonl = async (path: string, count: number, seed = 42): Promise<void> => {
  const out = createWriteStream(path)
  let buffer: Array<string> = []
  for (const e of generateEvents(count, seed)) {
    buffer.push(e.line())
    if (buffer.length === 4096) {
      if (!out.write(`${buffer.join("\n")}\n`)) await once(out, "drain")
      buffer = []
    }
  }
  if (buffer.length > 0) out.write(`${buffer.join("\n")}\n`)
  out.end()
  await once(out, "finish")
}

/** (b) DuckDB's own reader: `INSERT INTO events SELECT ... FROM read_json(...)`. */
export const measureNative = async (jsonl: string): Promise<{ seconds: number; rows: number }> => {
  const dir = tempDir()
  const instance = await DuckDBInstance.create(join(dir, "native.duckdb"))
  const conn = await instance.connect()
  try {
    await conn.run(EVENTS_DDL)
    const start = process.hrtime.bigint()
    const result = await conn.run(
      `INSERT INTO events
       SELECT event,
         make_timestamp(CAST(json_extract(properties, '$.time')::DOUBLE * 1000000 AS BIGINT)),
         json_extract_string(properties, '$.distinct_id'),
         json_extract_string(properties, '$."$insert_id"'),
         properties
       FROM read_json('${jsonl}', format = 'newline_delimited',
         columns = {event: 'VARCHAR', properties: 'JSON'})`,
    )
    return { seconds: seconds(start), rows: Number(result.rowsChanged) }
  } finally {
    conn.closeSync()
    instance.closeSync()
    removeDir(dir)
  }
}

/** (c) The original engine's method: parameterised multi-row INSERT, 2000 rows a batch. */
export const measureSeed = async (count: number): Promise<{ seconds: number; rows: number }> => {
  const dir = tempDir()
  const instance = await DuckDBInstance.create(join(dir, "seed.duckdb"))
  const conn = await instance.connect()
  try {
    await conn.run(EVENTS_DDL)
    const batchSize = 2000
    const placeholders = (n: number) =>
      `INSERT INTO events VALUES ${Array.from({ length: n }, () => "(?, ?::TIMESTAMP, ?, ?, ?)").join(", ")}`
    const full = await conn.prepare(placeholders(batchSize))
    const start = process.hrtime.bigint()
    let values: Array<string> = []
    let rows = 0
    const flush = async () => {
      const n = values.length / 5
      if (n === 0) return
      if (n === batchSize) {
        full.bind(values)
        await full.run()
      } else {
        await conn.run(placeholders(n), values)
      }
      rows += n
      values = []
    }
    for (const { record } of generateEvents(count)) {
      values.push(
        record.eventName,
        record.time.toISOString(),
        record.distinctId,
        record.insertId,
        JSON.stringify(record.properties),
      )
      if (values.length === batchSize * 5) await flush()
    }
    await flush()
    return { seconds: seconds(start), rows }
  } finally {
    conn.closeSync()
    instance.closeSync()
    removeDir(dir)
  }
}

/** (d) Our native JSONL load (the pipeline's path for spooled days), dedup included. */
export const measureJsonlLoad = async (
  jsonl: string,
): Promise<{ seconds: number; rows: number }> => {
  const dir = tempDir()
  try {
    return await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const storage = yield* makeStorage({ mode: "file", path: join(dir, "jsonl.duckdb") })
          yield* storage.createEventsTable("events", Stream.empty, benchMetadata())
          const start = process.hrtime.bigint()
          const result = yield* storage.loadEventsJsonl("events", [jsonl], {
            eventName: "$.event",
            time: "$.properties.time",
            timeUnit: "s",
            distinctId: "$.properties.distinct_id",
            insertId: ['$.properties."$insert_id"'],
            properties: "$.properties",
          })
          return { seconds: seconds(start), rows: result.inserted }
        }),
      ),
    )
  } finally {
    removeDir(dir)
  }
}
