import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api"
import { Effect, type Scope, Stream } from "effect"
import { InvalidRecord, QueryError } from "../errors.js"
import type { EventRecord, ProfileRecord } from "../records.js"
import type { IngestOptions } from "../Storage.js"
import { CHUNK_ROWS, ChunkAppender } from "./chunks.js"
import { errorMessage } from "./duck.js"
import { ident } from "./names.js"
import type { NativeResources } from "./open.js"

/**
 * Rows between explicit appender flushes (half a row group): bounds the rows DuckDB buffers,
 * hence memory; smaller flushes cost more commits than they save.
 */
const FLUSH_ROWS = 61_440
/** Chunks between turns of the event loop, so timers, I/O and other requests still run. */
const YIELD_CHUNKS = 8
/** Rows between progress reports. */
const PROGRESS_ROWS = 2_048

const invalid = (position: number, field: string, reason: string) =>
  new InvalidRecord({ position, field, reason })

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const timeMicros = (value: unknown): bigint | undefined => {
  if (!(value instanceof Date)) return undefined
  const ms = value.getTime()
  if (!Number.isFinite(ms)) return undefined
  const micros = ms * 1000
  // one BigInt instead of two whenever the product is exact (every date before 2255)
  return Number.isSafeInteger(micros) ? BigInt(micros) : BigInt(ms) * 1000n
}

const propertiesJson = (value: unknown, position: number): string | InvalidRecord => {
  if (!isPlainObject(value)) return invalid(position, "properties", "must be a JSON object")
  try {
    return JSON.stringify(value)
  } catch (error) {
    return invalid(position, "properties", `is not serialisable as JSON: ${errorMessage(error)}`)
  }
}

/** One mutable timestamp value: a TIMESTAMP vector copies `micros` at once, so it is reused. */
const reusable = { micros: 0n }
const timestamp = (micros: bigint): DuckDBValue => {
  reusable.micros = micros
  return reusable as unknown as DuckDBValue
}

/** Validates one record and writes it as a row; nothing is written when it is invalid. */
export type RowAppender<A> = (
  out: ChunkAppender,
  record: A,
  position: number,
) => InvalidRecord | undefined

export const appendEventRow: RowAppender<EventRecord> = (out, record, position) => {
  if (!isPlainObject(record)) return invalid(position, "record", "must be an object")
  const { eventName, distinctId, insertId } = record
  if (typeof eventName !== "string") return invalid(position, "eventName", "must be a string")
  if (typeof distinctId !== "string") return invalid(position, "distinctId", "must be a string")
  if (typeof insertId !== "string") return invalid(position, "insertId", "must be a string")
  const micros = timeMicros(record.time)
  if (micros === undefined) return invalid(position, "time", "must be a valid Date")
  const json = propertiesJson(record.properties, position)
  if (typeof json !== "string") return json
  const row = out.row
  out.vector(0).setItem(row, eventName)
  out.vector(1).setItem(row, timestamp(micros))
  out.vector(2).setItem(row, distinctId)
  out.vector(3).setItem(row, insertId)
  out.vector(4).setItem(row, json)
  return undefined
}

export const appendProfileRow: RowAppender<ProfileRecord> = (out, record, position) => {
  if (!isPlainObject(record)) return invalid(position, "record", "must be an object")
  const { distinctId, lastSeen } = record
  if (typeof distinctId !== "string") return invalid(position, "distinctId", "must be a string")
  let micros: bigint | undefined
  if (lastSeen !== null && lastSeen !== undefined) {
    micros = timeMicros(lastSeen)
    if (micros === undefined) return invalid(position, "lastSeen", "must be a valid Date or null")
  }
  const json = propertiesJson(record.properties, position)
  if (typeof json !== "string") return json
  const row = out.row
  out.vector(0).setItem(row, distinctId)
  out.vector(1).setItem(row, json)
  out.vector(2).setItem(row, micros === undefined ? null : timestamp(micros))
  return undefined
}

/** A macrotask turn: lets the event loop serve I/O and timers between batches. */
const nextTurn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

const appenderError = (table: string, error: unknown) =>
  new QueryError({ sql: `APPEND INTO ${table}`, reason: errorMessage(error) })

/**
 * Streams records into `table` through one Appender on `conn`, validating each as it arrives
 * and flushing in bounded batches. Returns the number of rows appended.
 */
export const appendStream = <A, E, R>(
  resources: NativeResources,
  conn: DuckDBConnection,
  table: string,
  records: Stream.Stream<A, E, R>,
  appendRow: RowAppender<A>,
  options: IngestOptions | undefined,
): Effect.Effect<number, E | InvalidRecord | QueryError, R | Scope.Scope> =>
  Effect.gen(function* () {
    const appender = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const appender = await conn.createAppender(table)
          resources.appenders.add(appender)
          return appender
        },
        catch: (error) => appenderError(table, error),
      }),
      (appender) => Effect.sync(() => resources.closeAppender(appender)),
    )
    const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i))
    const out = new ChunkAppender(appender, types)
    const onProgress = options?.onProgress
    let rows = 0
    let sinceFlush = 0
    let sinceProgress = 0
    let sinceYield = 0
    yield* Stream.runForEachArray(records, (batch) =>
      Effect.suspend((): Effect.Effect<void, InvalidRecord | QueryError> => {
        for (let i = 0; i < batch.length; i++) {
          const problem = appendRow(out, batch[i] as A, rows)
          if (problem) return Effect.fail(problem)
          rows++
          sinceProgress++
          try {
            if (out.endRow()) {
              sinceYield++
              sinceFlush += CHUNK_ROWS
              if (sinceFlush >= FLUSH_ROWS) {
                sinceFlush = 0
                appender.flushSync()
              }
            }
          } catch (error) {
            return Effect.fail(appenderError(table, error))
          }
        }
        if (onProgress && sinceProgress >= PROGRESS_ROWS) {
          sinceProgress = 0
          onProgress(rows)
        }
        if (sinceYield >= YIELD_CHUNKS) {
          sinceYield = 0
          return nextTurn
        }
        return Effect.void
      }),
    )
    yield* Effect.try({
      try: () => {
        out.finish()
        appender.flushSync()
        resources.closeAppender(appender)
      },
      catch: (error) => appenderError(table, error),
    })
    if (onProgress && (sinceProgress > 0 || rows === 0)) onProgress(rows)
    return rows
  })

export const stagingName = (name: string): string =>
  `_staging_${name}_${Math.random().toString(16).slice(2, 10)}`

export const quoted = ident
