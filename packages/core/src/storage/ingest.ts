import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect, type Scope, Stream } from "effect"
import { InvalidRecord, QueryError, StorageIOError } from "../errors.js"
import { deriveInsertId } from "../insert-id.js"
import { rawJsonOf } from "../json-exact.js"
import type { EventRecord, ProfileRecord } from "../records.js"
import type { IngestOptions } from "../storage.js"
import { errorMessage, runOn } from "./duck.js"
import { ingestionMemory } from "./ingest-memory.js"
import { ident } from "./names.js"
import type { NativeResources } from "./open.js"
import {
  NULL_MARK,
  SPECIAL,
  type SpoolLayout,
  spoolFolder,
  spoolSelectSql,
  textColumn,
} from "./spool.js"
import { type LoadSql, type SinkFailure, SpoolSink } from "./spool-sink.js"

/** Rows between turns of the event loop, so timers, I/O and other requests still run. */
const YIELD_ROWS = 16_384
/** Rows between progress reports. */
const PROGRESS_ROWS = 2_048

const invalid = (position: number, field: string, reason: string) =>
  new InvalidRecord({ position, field, reason })

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Milliseconds since the epoch of a valid Date (whole by construction). */
const timeMillis = (value: unknown): number | undefined => {
  if (!(value instanceof Date)) return undefined
  const ms = value.getTime()
  return Number.isFinite(ms) ? ms : undefined
}

const propertiesJson = (value: unknown, position: number): string | InvalidRecord => {
  if (!isPlainObject(value)) return invalid(position, "properties", "must be a JSON object")
  // the text it came with, when JS numbers would round some of it
  const raw = rawJsonOf(value)
  if (raw !== undefined) return raw
  try {
    const text: unknown = JSON.stringify(value)
    // a `toJSON` answering undefined leaves no JSON at all
    return typeof text === "string" ? text : invalid(position, "properties", "has no JSON form")
  } catch (error) {
    return invalid(position, "properties", `is not serialisable as JSON: ${errorMessage(error)}`)
  }
}

/**
 * Validates one record and turns it into a spool line (newline included), or says why it is
 * invalid. A `layout` says how DuckDB reads the lines back into the staging table.
 */
export interface SpoolLine<A> {
  readonly layout: SpoolLayout
  readonly line: (record: A, position: number) => string | InvalidRecord
}

const json = (text: string) => JSON.stringify(text)

export const eventSpoolLine: SpoolLine<EventRecord> = {
  layout: {
    columns: [
      ["e", "BOOLEAN"],
      ["n", "VARCHAR"],
      ["t", "BIGINT"],
      ["d", "VARCHAR"],
      ["i", "VARCHAR"],
      ["p", "VARCHAR"],
    ],
    select: [textColumn("n"), "epoch_ms(t)", textColumn("d"), textColumn("i"), "p"],
  },
  line: (record, position) => {
    if (!isPlainObject(record)) return invalid(position, "record", "must be an object")
    const { eventName, distinctId } = record
    if (typeof eventName !== "string") return invalid(position, "eventName", "must be a string")
    if (typeof distinctId !== "string") return invalid(position, "distinctId", "must be a string")
    const ms = timeMillis(record.time)
    if (ms === undefined) return invalid(position, "time", "must be a valid Date")
    if (!isPlainObject(record.properties)) {
      return invalid(position, "properties", "must be a JSON object")
    }
    // an id that is missing, null or "" is derived, as on every other path
    const given: unknown = record.insertId
    const insertId =
      typeof given === "string" && given.length > 0
        ? given
        : typeof given === "number" && Number.isFinite(given)
          ? String(given)
          : deriveInsertId(eventName, distinctId, ms, record.properties)
    const properties = propertiesJson(record.properties, position)
    if (typeof properties !== "string") return properties
    return SPECIAL.test(eventName) || SPECIAL.test(distinctId) || SPECIAL.test(insertId)
      ? `1\t${json(eventName)}\t${ms}\t${json(distinctId)}\t${json(insertId)}\t${properties}\n`
      : `0\t${eventName}\t${ms}\t${distinctId}\t${insertId}\t${properties}\n`
  },
}

export const profileSpoolLine: SpoolLine<ProfileRecord> = {
  layout: {
    columns: [
      ["e", "BOOLEAN"],
      ["d", "VARCHAR"],
      ["p", "VARCHAR"],
      ["t", "BIGINT"],
    ],
    select: [textColumn("d"), "p", "epoch_ms(t)"],
  },
  line: (record, position) => {
    if (!isPlainObject(record)) return invalid(position, "record", "must be an object")
    const { distinctId, lastSeen } = record
    if (typeof distinctId !== "string") return invalid(position, "distinctId", "must be a string")
    let ms: number | undefined
    if (lastSeen !== null && lastSeen !== undefined) {
      ms = timeMillis(lastSeen)
      if (ms === undefined) return invalid(position, "lastSeen", "must be a valid Date or null")
    }
    const properties = propertiesJson(record.properties, position)
    if (typeof properties !== "string") return properties
    const seen = ms === undefined ? NULL_MARK : ms
    return SPECIAL.test(distinctId)
      ? `1\t${json(distinctId)}\t${properties}\t${seen}\n`
      : `0\t${distinctId}\t${properties}\t${seen}\n`
  },
}

/** A macrotask turn: lets the event loop serve I/O and timers between batches. */
const nextTurn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

const sinkError = (failure: SinkFailure): QueryError | StorageIOError =>
  failure._tag === "Load"
    ? new QueryError({ sql: failure.sql, reason: errorMessage(failure.error) })
    : spoolError(failure.operation, failure.path, failure.error)

/**
 * Streams records into `table`: each is validated and written as a line to a spool sink, from
 * which DuckDB loads them (`INSERT … SELECT FROM read_csv`) on its own threads while
 * JavaScript goes on, so parsing and storage run beside JavaScript. The spool folder goes with
 * the scope whatever happens, and when the stream fails or is interrupted the running load is
 * interrupted and awaited first. Rows land in arrival order (later copies keep higher row ids).
 * Returns the rows.
 */
export const appendStream = <A, E, R>(
  resources: NativeResources,
  conn: DuckDBConnection,
  table: string,
  records: Stream.Stream<A, E, R>,
  spoolLine: SpoolLine<A>,
  options: IngestOptions | undefined,
  ownTransaction: boolean,
): Effect.Effect<number, E | InvalidRecord | QueryError | StorageIOError, R | Scope.Scope> =>
  // the memory cap lasts with the caller's scope: through the commit that reads the rows back
  Effect.andThen(
    ingestionMemory(resources, conn),
    Effect.scoped(
      Effect.gen(function* () {
        // One transaction for every load: DuckDB writes the rows once, straight to the database
        // file, instead of to the WAL and again at each automatic checkpoint. Rolled back unless
        // committed below; inside the caller's transaction the loads simply join it.
        let committed = !ownTransaction
        if (ownTransaction) {
          yield* Effect.acquireRelease(runOn(conn, "BEGIN TRANSACTION"), () =>
            committed ? Effect.void : Effect.ignore(runOn(conn, "ROLLBACK")),
          )
        }
        const dir = yield* spoolFolder(resources.spoolDir)
        const loadSql: LoadSql = (path, maxLine) =>
          `INSERT INTO ${ident(table)} ${spoolSelectSql(path, spoolLine.layout, maxLine)}`
        const sink = yield* Effect.acquireRelease(
          Effect.try({
            try: () => new SpoolSink(conn, dir, loadSql),
            catch: (error) => spoolError("create spool file", dir, error),
          }),
          (sink, exit) => (exit._tag === "Success" ? Effect.void : Effect.promise(sink.abort)),
        )
        const failed = Effect.suspend(() => {
          const failure = sink.failure()
          return failure === undefined ? Effect.void : Effect.fail(sinkError(failure))
        })

        const onProgress = options?.onProgress
        const line = spoolLine.line
        let rows = 0
        let sinceProgress = 0
        let sinceYield = 0

        /** Spools `batch` from `from` on, waiting whenever the sink asks to. */
        const spool = (
          batch: ReadonlyArray<A>,
          from: number,
        ): Effect.Effect<void, InvalidRecord | QueryError | StorageIOError> =>
          Effect.suspend(() => {
            for (let i = from; i < batch.length; i++) {
              const text = line(batch[i] as A, rows)
              if (typeof text !== "string") return Effect.fail(text)
              const wait = sink.add(text)
              rows++
              sinceProgress++
              sinceYield++
              if (wait !== undefined) {
                return Effect.andThen(
                  Effect.promise(() => wait),
                  Effect.andThen(failed, spool(batch, i + 1)),
                )
              }
            }
            if (onProgress && sinceProgress >= PROGRESS_ROWS) {
              sinceProgress = 0
              onProgress(rows)
            }
            if (sinceYield >= YIELD_ROWS) {
              sinceYield = 0
              return Effect.andThen(nextTurn, failed)
            }
            return Effect.void
          })

        yield* Stream.runForEachArray(records, (batch) => spool(batch, 0))
        yield* Effect.promise(sink.finish)
        yield* failed
        if (!committed) {
          yield* runOn(conn, "COMMIT")
          committed = true
        }
        if (onProgress && (sinceProgress > 0 || rows === 0)) onProgress(rows)
        return rows
      }),
    ),
  )

const spoolError = (operation: string, path: string, error: unknown) =>
  new StorageIOError({ operation, path, reason: errorMessage(error) })

export const stagingName = (name: string): string =>
  `_staging_${name}_${Math.random().toString(16).slice(2, 10)}`
