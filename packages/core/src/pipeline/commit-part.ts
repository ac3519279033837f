import { rm } from "node:fs/promises"
import { Effect, Stream } from "effect"
import type { StorageError } from "../errors.js"
import type { EventRecord } from "../records.js"
import type { AppendResult } from "../Storage.js"
import { Storage } from "../Storage.js"
import type { EventPart } from "../source.js"
import type { SourceError } from "../source-errors.js"
import { countDay, countDaysBetween, deleteDay, subtractRows, upsertPartition } from "./manifest.js"
import type { DayWrite } from "./plan.js"
import { dayOfInstant } from "./time-zone.js"

/** What committing one part did. */
export interface PartResult {
  /** The days the part filled, with the rows each now holds. */
  readonly days: ReadonlyArray<readonly [string, number]>
  readonly inserted: number
  readonly duplicates: number
}

/**
 * Commits one day: in one transaction, empties the day when it is rewritten, loads the part
 * (DuckDB reads a spooled JSONL file natively; records go through the appender), and records
 * the day with its row count in the manifest. A failure or interrupt rolls all of it back. The
 * part's spool file is deleted whatever happens.
 */
export const commitDayPart = (
  table: string,
  part: EventPart & { readonly day: string },
  write: DayWrite,
  zone: string | undefined,
): Effect.Effect<PartResult, StorageError | SourceError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const day = part.day
    const metadata = { metadata: { fromDate: day, toDate: day } }
    const result = yield* storage.transaction(
      Effect.gen(function* () {
        const deleted = write === "replace" ? yield* deleteDay(table, day, zone) : 0
        const loaded: AppendResult =
          part._tag === "JsonlPart"
            ? yield* storage.loadEventsJsonl(table, [part.path], part.layout, metadata)
            : yield* storage.appendEvents(table, part.records, metadata)
        yield* subtractRows(table, deleted)
        const rows = yield* countDay(table, day, zone)
        yield* upsertPartition(table, day, rows)
        return { days: [[day, rows] as const], ...loaded }
      }),
    )
    return result
  }).pipe(Effect.ensuring(part._tag === "JsonlPart" ? removeFile(part.path) : Effect.void))

/**
 * Commits a part whose days are unknown up front (a file): merged deduplicated into the table
 * in one transaction, then every day it touched is recorded with the rows that day now holds.
 */
export const commitUndatedPart = (
  table: string,
  records: Stream.Stream<EventRecord, SourceError>,
  zone: string | undefined,
): Effect.Effect<PartResult, StorageError | SourceError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    return yield* storage.transaction(
      Effect.gen(function* () {
        let min = Number.POSITIVE_INFINITY
        let max = Number.NEGATIVE_INFINITY
        const tracked = Stream.map(records, (r) => {
          const t = r.time.getTime()
          if (t < min) min = t
          if (t > max) max = t
          return r
        })
        const loaded = yield* storage.appendEvents(table, tracked)
        if (min > max) return { days: [], ...loaded }
        const days = yield* countDaysBetween(
          table,
          dayOfInstant(zone, min),
          dayOfInstant(zone, max),
          zone,
        )
        for (const [day, rows] of days) yield* upsertPartition(table, day, rows)
        return { days, ...loaded }
      }),
    )
  })

const removeFile = (path: string) =>
  Effect.promise(() => rm(path, { force: true }).catch(() => undefined))
