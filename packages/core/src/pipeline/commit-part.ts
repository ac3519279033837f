import { rm } from "node:fs/promises"
import { Effect, Stream } from "effect"
import type { StorageError } from "../errors.js"
import type { EventRecord } from "../records.js"
import type { EventPart, JsonlFile } from "../source.js"
import type { SourceError } from "../source-errors.js"
import type { AppendResult, TimeSpan } from "../storage.js"
import { Storage } from "../storage.js"
import type { DayWrite } from "./plan.js"

/** What committing one part did. */
export interface PartResult {
  /** The days the part filled, with the rows each now holds. */
  readonly days: ReadonlyArray<readonly [string, number]>
  readonly inserted: number
  readonly duplicates: number
}

type JsonlPart = Extract<EventPart, { readonly _tag: "JsonlPart" }>
type DatedPart = EventPart & { readonly day: string }

/** How the days of a commit are written; `fresh` days need no emptying (see `commitDays`). */
export interface DayWrites {
  readonly write: (day: string) => DayWrite
  /** The table was created by this run and holds nothing the manifest does not list. */
  readonly fresh: boolean
}

/**
 * Commits whole days in one transaction (storage's `commitDays`): empties each day that is
 * rewritten, loads the parts (spooled JSONL files in one native load; records staged and
 * appended), and records each day with its row count in the manifest. A failure or interrupt
 * rolls all of it back, so every day lands whole or not at all. On a table this run created, a
 * day absent from the manifest holds no rows, so it is not emptied. The parts' spool files are
 * deleted whatever happens (on success only, with `keepFilesOnFailure`).
 */
export const commitDays = (
  table: string,
  parts: ReadonlyArray<DatedPart>,
  writes: DayWrites,
  zone: string | undefined,
  options: {
    /** On failure the spool files stay, for the caller to commit the days again one by one. */
    readonly keepFilesOnFailure?: boolean
  } = {},
): Effect.Effect<PartResult, StorageError | SourceError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const days = parts.map((p) => p.day)
    const sorted = [...days].sort()
    const metadata = { metadata: { fromDate: sorted[0]!, toDate: sorted[sorted.length - 1]! } }
    const files = parts.filter((p): p is DatedPart & JsonlPart => p._tag === "JsonlPart")
    const records = parts.filter((p) => p._tag === "RecordsPart")
    const replace = writes.fresh ? [] : days.filter((day) => writes.write(day) === "replace")
    const groups = byLayout(files)
    if (records.length === 0 && groups.length === 1) {
      // one source's spooled days: staged, so the open transaction deletes none of its rows
      const group = groups[0]!
      const committed = yield* storage.commitJsonlDays(
        table,
        group.map(fileOf),
        group[0]!.layout,
        { zone, replace, record: days },
        { ...metadata, ...(group[0]!.events ? { events: group[0]!.events } : {}) },
      )
      return { days: committed.days, ...committed.loaded }
    }
    const load = Effect.gen(function* () {
      let inserted = 0
      let duplicates = 0
      const add = (loaded: AppendResult) => {
        inserted += loaded.inserted
        duplicates += loaded.duplicates
      }
      for (const group of groups) {
        add(
          yield* storage.loadEventsJsonl(table, group.map(fileOf), group[0]!.layout, {
            ...metadata,
            ...(group[0]!.events ? { events: group[0]!.events } : {}),
          }),
        )
      }
      for (const part of records) {
        if (part._tag === "RecordsPart")
          add(yield* storage.appendEvents(table, part.records, metadata))
      }
      return { inserted, duplicates }
    })
    const committed = yield* storage.commitDays(table, load, { zone, replace, record: days })
    return { days: committed.days, ...committed.loaded }
  }).pipe(
    options.keepFilesOnFailure === true
      ? Effect.tap(() => removeFiles(parts))
      : Effect.ensuring(removeFiles(parts)),
  )

/** A part's files for the loader, named as users know them (the file, or its day). */
const fileOf = (p: JsonlPart): JsonlFile => ({
  path: p.path,
  ...(p.origin !== undefined
    ? { origin: p.origin }
    : p.day !== null
      ? { origin: `day ${p.day}` }
      : {}),
  ...(p.rows !== undefined ? { rows: p.rows } : {}),
  ...(p.compression !== undefined ? { compression: p.compression } : {}),
})

/** Parts loaded together must share a layout and filter (one source's parts always do). */
const byLayout = (parts: ReadonlyArray<JsonlPart>): ReadonlyArray<ReadonlyArray<JsonlPart>> => {
  const groups = new Map<string, Array<JsonlPart>>()
  for (const part of parts) {
    const key = JSON.stringify([part.layout, part.events])
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [part])
    else group.push(part)
  }
  return [...groups.values()]
}

/** Deletes the spool files of parts (records parts have none; a file read in place stays). */
export const removeFiles = (parts: Iterable<EventPart>): Effect.Effect<void> =>
  Effect.promise(() =>
    Promise.all(
      [...parts].flatMap((p) =>
        p._tag === "JsonlPart" && p.inPlace !== true
          ? [rm(p.path, { force: true }).catch(() => undefined)]
          : [],
      ),
    ),
  ).pipe(Effect.asVoid)

/**
 * Commits JSONL parts whose days are unknown up front (files) in one transaction and one load,
 * so the one deduplication rule sees all their lines together (the later file's line is the
 * later line); then every day they touched is recorded with the rows that day now holds. The
 * spool files are deleted whatever happens.
 */
export const commitUndatedFiles = (
  table: string,
  parts: ReadonlyArray<JsonlPart>,
  zone: string | undefined,
): Effect.Effect<PartResult, StorageError | SourceError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const empty: PartResult = { days: [], inserted: 0, duplicates: 0 }
    if (parts.length === 0) return empty
    const load = (
      group: ReadonlyArray<JsonlPart>,
      commit?: (loaded: AppendResult) => Effect.Effect<void, StorageError>,
    ) =>
      storage.loadEventsJsonl(table, group.map(fileOf), group[0]!.layout, {
        ...(group[0]!.events ? { events: group[0]!.events } : {}),
        ...(commit ? { commit } : {}),
      })
    const groups = byLayout(parts)
    if (groups.length === 1) {
      // one group (one source's files) loads on its own, its days recorded as it commits
      let days: ReadonlyArray<readonly [string, number]> = []
      const loaded = yield* load(groups[0]!, (l) =>
        l.times
          ? Effect.map(storage.recordDays(table, l.times, zone), (d) => {
              days = d
            })
          : Effect.void,
      )
      return { days, inserted: loaded.inserted, duplicates: loaded.duplicates }
    }
    // several share one transaction, and the days all of them touched are recorded
    const committed = yield* storage.commitDays(
      table,
      Effect.forEach(groups, (group) => load(group)),
      { zone, record: spanOf },
    )
    return committed.loaded.reduce<PartResult>(
      (result, l) => ({
        days: result.days,
        inserted: result.inserted + l.inserted,
        duplicates: result.duplicates + l.duplicates,
      }),
      { ...empty, days: committed.days },
    )
  }).pipe(Effect.ensuring(removeFiles(parts)))

/**
 * Commits a part whose days are unknown up front (records from a stream): merged deduplicated into the table
 * in one transaction, then every day it touched is recorded with the rows that day now holds.
 */
export const commitUndatedPart = (
  table: string,
  records: Stream.Stream<EventRecord, SourceError>,
  zone: string | undefined,
): Effect.Effect<PartResult, StorageError | SourceError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    let min = Number.POSITIVE_INFINITY
    let max = Number.NEGATIVE_INFINITY
    const tracked = Stream.map(records, (r) => {
      const t = r.time.getTime()
      if (t < min) min = t
      if (t > max) max = t
      return r
    })
    const committed = yield* storage.commitDays(table, storage.appendEvents(table, tracked), {
      zone,
      record: () => (min > max ? null : { first: new Date(min), last: new Date(max) }),
    })
    return { days: committed.days, ...committed.loaded }
  })

/** The first and last event time of several loads (null when none has any). */
const spanOf = (loads: ReadonlyArray<AppendResult>): TimeSpan | null =>
  loads.reduce<TimeSpan | null>((span, l) => {
    if (!l.times) return span
    if (span === null) return l.times
    return {
      first: new Date(Math.min(l.times.first.getTime(), span.first.getTime())),
      last: new Date(Math.max(l.times.last.getTime(), span.last.getTime())),
    }
  }, null)
