import { Cause, Effect, Queue, Stream } from "effect"
import { InvalidRecord, type StorageError, TableExists, TableTypeMismatch } from "../errors.js"
import { reportProgress } from "../progress.js"
import { daysOfRequest } from "../request/days.js"
import { checkEventsRequest } from "../request/fetch.js"
import { timeZoneField, wholeNumberField } from "../request/fields.js"
import type { EventPart, EventsRequest, Source } from "../source.js"
import { BadRequestError, IncompleteExport, type SourceError } from "../source-errors.js"
import { validateTableName } from "../storage/names.js"
import { Storage } from "../storage.js"
import {
  commitDays,
  commitUndatedFiles,
  commitUndatedPart,
  type PartResult,
  removeFiles,
} from "./commit-part.js"
import {
  type DayWrite,
  eventFilters,
  type FetchIdentity,
  type FetchMode,
  type FetchPlan,
  planFetch,
} from "./plan.js"
import { replaceTable, stagingTableFor } from "./replace.js"

export interface FetchEventsOptions {
  readonly source: Source
  readonly table: string
  readonly request: EventsRequest
  /** `create` (default; resumes the same fetch), `append` a range, or `replace` the table. */
  readonly mode?: FetchMode
  /** Refetch the last N days of the range (ending at `request.to`), replacing them. */
  readonly lookbackDays?: number
  /** The project's IANA zone: its calendar days are the partitions. UTC when absent. */
  readonly timeZone?: string
  /**
   * Refetch exactly these days of the existing table (each replaced atomically, as a lookback
   * day is), with the filters it was fetched with; `mode` and `lookbackDays` are then ignored.
   */
  readonly refetchDays?: ReadonlyArray<string>
}

export interface FetchEventsResult {
  readonly table: string
  /** Rows this run added to the table. */
  readonly rows: number
  /** Rows this run dropped as copies of events already loaded. */
  readonly duplicates: number
  /** Rows the table holds now. */
  readonly tableRows: number
  readonly daysFetched: number
  /** Days of the range already committed by an earlier run and not fetched again. */
  readonly daysSkipped: number
  readonly daysTotal: number
  readonly complete: boolean
}

const badRequest = (source: Source, body: string) =>
  new BadRequestError({ source: source.name, body })

/** Validates the options; the failures are the caller's, before anything is touched. */
const validate = (options: FetchEventsOptions): Effect.Effect<void, StorageError | SourceError> =>
  Effect.gen(function* () {
    const { source, table, request } = options
    yield* validateTableName(table)
    yield* Effect.all([
      checkEventsRequest(request),
      timeZoneField({ timeZone: options.timeZone }, "timeZone"),
      wholeNumberField({ lookbackDays: options.lookbackDays }, "lookbackDays", { min: 0 }),
      checkEventsRequest({ ...request, days: options.refetchDays ?? [] }),
    ]).pipe(
      Effect.catchTag("InvalidField", (error) => Effect.fail(badRequest(source, error.message))),
    )
  })

/** Counts what the committed parts did and reports each day as it lands. */
class Tally {
  inserted = 0
  duplicates = 0
  days = 0

  add(result: PartResult): Effect.Effect<void> {
    this.inserted += result.inserted
    this.duplicates += result.duplicates
    this.days += result.days.length
    const inserted = this.inserted
    return Effect.gen(function* () {
      for (const [day, rows] of result.days) {
        yield* reportProgress({ _tag: "UnitDone", unit: day, rows })
      }
      yield* reportProgress({ _tag: "Stored", rows: inserted })
    })
  }
}

/** Days committed together at most: fewer, larger loads are faster in DuckDB. */
const MAX_DAYS_PER_COMMIT = 8
/** Complete days (spool files) waiting for the writer, beyond the source's own downloads. */
const DAYS_AHEAD = 8

/**
 * Streams the source's parts for `days` into `table`. Parts come concurrently and in any
 * order; the source keeps downloading while the writer commits, and the writer takes every
 * complete day waiting (up to a bound) into one transaction, so each day still lands whole,
 * with its manifest row, and a slow writer gets fewer, larger loads. A source that ends
 * without delivering a planned day fails the fetch: the table must not be marked complete
 * with a day missing. Spool files of days not yet committed are deleted on failure.
 */
const runParts = (
  source: Source,
  table: string,
  request: EventsRequest,
  days: ReadonlyMap<string, DayWrite>,
  zone: string | undefined,
  tally: Tally,
  fresh: boolean,
): Effect.Effect<void, StorageError | SourceError, Storage> =>
  days.size === 0
    ? Effect.void
    : Effect.scoped(
        Effect.gen(function* () {
          yield* reportProgress({ _tag: "Planned", unit: "days", total: days.size })
          const done = new Set<string>()
          let undated = false
          const waiting = new Set<EventPart>()
          yield* Effect.addFinalizer(() => removeFiles(waiting))
          const queue = yield* Queue.bounded<EventPart, SourceError | Cause.Done>(DAYS_AHEAD)
          yield* source.events({ ...request, days: [...days.keys()].sort() }).pipe(
            Stream.tap((part) => Effect.sync(() => waiting.add(part))),
            Stream.runIntoQueue(queue),
            Effect.forkScoped,
          )
          const writes = { write: (day: string) => days.get(day) ?? "merge", fresh }
          /**
           * A day with a line the loader refuses fails alone: the days committed with it are
           * committed again one by one, the fetch goes on, and it fails at the end naming the
           * refused days, the others in (a rerun asks for the refused days only).
           */
          const refused: Array<{ readonly day: string; readonly error: InvalidRecord }> = []
          const commitBatch = (
            dated: ReadonlyArray<EventPart & { readonly day: string }>,
          ): Effect.Effect<void, StorageError | SourceError, Storage> =>
            commitDays(table, dated, writes, zone, { keepFilesOnFailure: dated.length > 1 }).pipe(
              Effect.flatMap((r) => tally.add(r)),
              Effect.catchTag("InvalidRecord", (error) =>
                dated.length === 1
                  ? Effect.sync(() => {
                      refused.push({ day: dated[0]!.day, error })
                    })
                  : Effect.forEach(dated, (part) => commitBatch([part]), { discard: true }),
              ),
            )
          for (;;) {
            const batch = yield* Queue.takeBetween(queue, 1, MAX_DAYS_PER_COMMIT).pipe(
              Effect.catchIf(Cause.isDone, () => Effect.succeed(undefined)),
            )
            if (batch === undefined) break
            const dated: Array<EventPart & { readonly day: string }> = []
            for (const part of batch) {
              if (part._tag === "RecordsPart" && part.day === null) {
                undated = true
                waiting.delete(part)
                yield* Effect.flatMap(commitUndatedPart(table, part.records, zone), (r) =>
                  tally.add(r),
                )
              } else if (part._tag === "JsonlPart" && part.day === null) {
                undated = true
                yield* Effect.flatMap(commitUndatedFiles(table, [part], zone), (r) => tally.add(r))
                waiting.delete(part)
              } else {
                done.add(part.day as string)
                dated.push({ ...part, day: part.day as string })
              }
            }
            if (dated.length > 0) {
              yield* commitBatch(dated)
              for (const part of batch) waiting.delete(part)
            }
          }
          if (refused.length > 0) {
            const [first, ...others] = refused.sort((a, b) => (a.day < b.day ? -1 : 1))
            const { position, field, reason, where, line } = first!.error
            return yield* others.length === 0
              ? first!.error
              : new InvalidRecord({
                  position,
                  field,
                  reason: `${reason}; ${others.length} other day(s) refused too: ${others.map((o) => o.day).join(", ")}`,
                  ...(where !== undefined ? { where } : {}),
                  ...(line !== undefined ? { line } : {}),
                })
          }
          const missing = [...days.keys()].filter((d) => !done.has(d))
          if (!undated && missing.length > 0) {
            return yield* new IncompleteExport({
              source: source.name,
              chunk: missing.slice(0, 3).join(", ") + (missing.length > 3 ? ", ..." : ""),
              reason: `the source ended without ${missing.length} requested day(s)`,
            })
          }
        }),
      )

/**
 * Fetches events from any source into a table with a per-day partition manifest.
 *
 * A new table (and its metadata, marked incomplete) exists from the start; each day commits
 * atomically with its row count; once every day is in, the table is marked complete. An
 * interrupted fetch keeps its committed days, and the same call again fetches only the missing
 * ones. See `planFetch` for append, replace and lookback.
 */
export const fetchEvents = (
  options: FetchEventsOptions,
): Effect.Effect<FetchEventsResult, StorageError | SourceError, Storage> =>
  Effect.gen(function* () {
    yield* validate(options)
    const storage = yield* Storage
    const { source, table, request } = options
    const zone = options.timeZone
    const identity: FetchIdentity = {
      filters: eventFilters(request, zone),
      source: { name: source.name, params: { ...source.params } },
    }
    const state = yield* storage.tableState(table)
    if (state !== undefined && state.type !== "events") {
      return yield* new TableTypeMismatch({ table, expected: "events", actual: state.type })
    }
    const plan: FetchPlan = planFetch({
      state,
      mode: options.mode ?? "create",
      request,
      identity,
      lookback: options.lookbackDays ?? 0,
      ...(options.refetchDays !== undefined ? { refetch: options.refetchDays } : {}),
    })
    const daysTotal =
      options.refetchDays !== undefined && plan._tag === "Update"
        ? plan.days.size
        : daysOfRequest(request).length
    const tally = new Tally()
    const metadata = {
      type: "events" as const,
      fetchedAt: new Date(),
      fromDate: request.from,
      toDate: request.to,
      filters: identity.filters,
      source: identity.source,
    }
    const allReplace = (days: ReadonlyArray<string>) =>
      new Map(days.map((d) => [d, "replace" as DayWrite]))

    switch (plan._tag) {
      case "Conflict":
        return yield* new TableExists({ table, hint: plan.hint })
      case "Fresh": {
        yield* storage.createEventsTable(table, Stream.empty, metadata, { complete: false })
        yield* runParts(source, table, request, allReplace(plan.days), zone, tally, true)
        break
      }
      case "Update": {
        yield* storage.beginFetch(table, plan.widen)
        yield* runParts(source, table, request, plan.days, zone, tally, false)
        break
      }
      case "Replace": {
        const staging = stagingTableFor(table)
        yield* replaceTable(
          table,
          staging,
          Effect.gen(function* () {
            yield* storage.createEventsTable(staging, Stream.empty, metadata, { complete: false })
            yield* runParts(source, staging, request, allReplace(plan.days), zone, tally, true)
            yield* storage.finishFetch(staging)
          }),
        )
        break
      }
    }
    const tableRows = yield* storage.finishFetch(table)
    return {
      table,
      rows: tally.inserted,
      duplicates: tally.duplicates,
      tableRows,
      daysFetched: tally.days,
      daysSkipped: plan._tag === "Update" ? plan.skipped : 0,
      daysTotal,
      complete: true,
    }
  })
