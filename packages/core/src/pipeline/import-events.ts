import { Effect, Stream } from "effect"
import { InvalidTableName, type StorageError, TableExists, TableTypeMismatch } from "../errors.js"
import { canonicalJson } from "../insert-id.js"
import { reportProgress } from "../progress.js"
import type { TableMetadata } from "../records.js"
import type { EventPart, Source } from "../source.js"
import { BadRequestError, type SourceError } from "../source-errors.js"
import { tableNameProblem } from "../storage/names.js"
import { Storage } from "../storage.js"
import {
  commitDays,
  commitUndatedFiles,
  commitUndatedPart,
  type PartResult,
  removeFiles,
} from "./commit-part.js"
import type { FetchEventsResult } from "./fetch-events.js"
import type { FetchMode } from "./plan.js"
import { replaceTable, stagingTableFor } from "./replace.js"
import { isValidTimeZone } from "./time-zone.js"

export interface ImportEventsOptions {
  readonly source: Source
  readonly table: string
  /** `create` (default), `append` (merged, deduplicated) or `replace`. */
  readonly mode?: FetchMode
  /** Only these event names. */
  readonly events?: ReadonlyArray<string>
  /** The project's IANA zone: the calendar of the days recorded in the manifest. */
  readonly timeZone?: string
}

/**
 * Loads everything a source holds (files: no date range up front) into a table, in one
 * transaction per part: all of a file import or none of it. The days found are recorded in
 * the manifest and the table's range is theirs. `create` on an existing table is
 * `TableExists`, unless it is the same import left incomplete by an interrupt, which runs
 * again (merging, so nothing doubles).
 */
export const importEvents = (
  options: ImportEventsOptions,
): Effect.Effect<FetchEventsResult, StorageError | SourceError, Storage> =>
  Effect.gen(function* () {
    const { source, table } = options
    const problem = tableNameProblem(table)
    if (problem !== undefined) return yield* new InvalidTableName({ name: table, reason: problem })
    const zone = options.timeZone
    if (zone !== undefined && !isValidTimeZone(zone)) {
      return yield* new BadRequestError({
        source: source.name,
        body: `unknown time zone "${zone}"`,
      })
    }
    const storage = yield* Storage
    const mode = options.mode ?? "create"
    const filters: Record<string, unknown> = {
      ...(options.events !== undefined && options.events.length > 0
        ? { events: [...options.events] }
        : {}),
      ...(zone !== undefined ? { timeZone: zone } : {}),
    }
    const metadata: TableMetadata = {
      type: "events",
      fetchedAt: new Date(),
      fromDate: null,
      toDate: null,
      filters,
      source: { name: source.name, params: { ...source.params } },
    }
    const state = yield* storage.tableState(table)
    if (state !== undefined && state.type !== "events") {
      return yield* new TableTypeMismatch({ table, expected: "events", actual: state.type })
    }
    let inserted = 0
    let duplicates = 0
    let days = 0
    /** Progress counts what the source planned: its files when it gives files, else days. */
    const count = (result: PartResult, files?: ReadonlyArray<{ readonly origin?: string }>) =>
      Effect.gen(function* () {
        inserted += result.inserted
        duplicates += result.duplicates
        days += result.days.length
        // lines read are known once loaded: every line was kept or dropped as a copy
        yield* reportProgress({ _tag: "Received", rows: inserted + duplicates, bytes: 0 })
        if (files !== undefined) {
          for (const [i, file] of files.entries()) {
            const rows = i === files.length - 1 ? result.inserted : 0
            yield* reportProgress({ _tag: "UnitDone", unit: file.origin ?? "file", rows })
          }
        } else {
          for (const [day, rows] of result.days) {
            yield* reportProgress({ _tag: "UnitDone", unit: day, rows })
          }
        }
        yield* reportProgress({ _tag: "Stored", rows: inserted })
      })
    /**
     * Files are spooled whole first, then loaded together in one transaction: all of an import
     * or none of it, and copies across files resolved by the one rule. Parts with days (a
     * source that knows them) commit as they come, after `beforeParts` (once): on an existing
     * table it marks the table incomplete, which an all-or-nothing load of files never needs,
     * so a refused append leaves the table exactly as it was, its metadata included.
     */
    const load = (target: string, beforeParts: Effect.Effect<void, StorageError> = Effect.void) =>
      Effect.gen(function* () {
        let begun = false
        const begin = Effect.suspend(() => {
          if (begun) return Effect.void
          begun = true
          return beforeParts
        })
        const undated: Array<Extract<EventPart, { readonly _tag: "JsonlPart" }>> = []
        yield* source
          .events({ from: "", to: "", ...(options.events ? { events: options.events } : {}) })
          .pipe(
            Stream.runForEach((part: EventPart) => {
              if (part._tag === "JsonlPart" && part.day === null) {
                undated.push(part)
                return Effect.void
              }
              const commit =
                part._tag === "RecordsPart" && part.day === null
                  ? commitUndatedPart(target, part.records, zone)
                  : commitDays(
                      target,
                      [{ ...part, day: part.day as string }],
                      { write: () => "merge", fresh: false },
                      zone,
                    )
              return begin.pipe(
                Effect.andThen(commit),
                Effect.flatMap((result) => count(result)),
              )
            }),
            Effect.onError(() => removeFiles(undated)),
          )
        yield* Effect.flatMap(commitUndatedFiles(target, undated, zone), (result) =>
          count(result, undated),
        )
      })
    const sameImport =
      state !== undefined &&
      canonicalJson([state.filters, state.source]) ===
        canonicalJson([metadata.filters, metadata.source])

    if (state === undefined) {
      yield* storage.createEventsTable(table, Stream.empty, metadata, { complete: false })
      yield* load(table).pipe(Effect.onError(() => Effect.ignore(storage.dropTable(table))))
    } else if (mode === "replace") {
      const staging = stagingTableFor(table)
      yield* replaceTable(
        table,
        staging,
        Effect.gen(function* () {
          yield* storage.createEventsTable(staging, Stream.empty, metadata, { complete: false })
          yield* load(staging)
          yield* storage.finishFetch(staging, "manifest")
        }),
      )
    } else if (mode === "append" || (sameImport && !state.complete)) {
      yield* load(table, storage.beginFetch(table, { fromDate: null, toDate: null }))
    } else {
      return yield* new TableExists({
        table,
        hint: "Use --append to add these events to it (duplicates are dropped), or --replace to rebuild it.",
      })
    }
    const tableRows = yield* storage.finishFetch(table, "manifest")
    return {
      table,
      rows: inserted,
      duplicates,
      tableRows,
      daysFetched: days,
      daysSkipped: 0,
      daysTotal: days,
      complete: true,
    }
  })
