import { Effect, type Scope } from "effect"
import type { StorageError } from "../errors.js"
import { Progress, type ProgressReporter } from "../progress.js"
import { addDays, daysBetween } from "../request/days.js"
import { dayField, wholeNumberField } from "../request/fields.js"
import type { Source } from "../source.js"
import { BadRequestError, type SourceError } from "../source-errors.js"
import { Storage, type TableState } from "../storage.js"
import { type FetchEventsResult, fetchEvents } from "./fetch-events.js"
import { type FetchProfilesResult, fetchProfiles } from "./fetch-profiles.js"
import { recordedEventsRequest, recordedProfilesRequest, recordedTimeZone } from "./recorded.js"
import { dayOfInstant } from "./time-zone.js"

/**
 * `sync`: every table fetched from one source brought up to date, with the filters each was
 * fetched with. Events: the days after the table's last one up to `to` (default: yesterday in
 * the table's project zone), the last `lookbackDays` of them fetched again and replaced
 * atomically, and any day an interrupted run left missing. Profiles: fetched again and merged,
 * the newest copy of each winning. Each day commits on its own, so a killed sync resumes where
 * it stopped; a second sync right after the first fetches only the lookback days again and
 * changes nothing.
 */

export const DEFAULT_SYNC_LOOKBACK = 2

export interface SyncOptions {
  /** Tables recorded from the source of this name are synced (`mixpanel`). */
  readonly sourceName: string
  /** The source in a table's project zone (`undefined`: UTC), open for the given scope. */
  readonly sourceFor: (
    timeZone: string | undefined,
  ) => Effect.Effect<Source, SourceError, Scope.Scope>
  /** Last day to fetch, inclusive; default yesterday in each table's zone. */
  readonly to?: string
  /** Days before `to` fetched again (default 2). */
  readonly lookbackDays?: number
  /** Only these tables (default: every table from the source). */
  readonly tables?: ReadonlyArray<string>
  /** The clock, for "yesterday" (default `Date.now`). */
  readonly now?: () => number
  /** Where each table's progress goes (default: the surrounding `Progress`). */
  readonly progressFor?: (table: string) => ProgressReporter
  /** Called as each table ends, to report it. */
  readonly onTable?: (outcome: SyncOutcome) => Effect.Effect<void>
}

export type SyncOutcome =
  | {
      readonly _tag: "Events"
      readonly table: string
      /** The days asked for: new ones and the lookback. */
      readonly from: string
      readonly to: string
      readonly result: FetchEventsResult
    }
  | { readonly _tag: "Profiles"; readonly table: string; readonly result: FetchProfilesResult }
  | {
      readonly _tag: "Skipped"
      readonly table: string
      readonly reason: string
    }
  | {
      readonly _tag: "Failed"
      readonly table: string
      readonly error: StorageError | SourceError
    }

const later = (a: string, b: string) => (a > b ? a : b)
const earlier = (a: string, b: string) => (a < b ? a : b)

/** The days an events table's sync asks for, or why there are none. */
export const syncRange = (
  state: TableState,
  to: string,
  lookback: number,
): { readonly from: string; readonly to: string; readonly lookback: number } | string => {
  if (state.fromDate === null || state.toDate === null) return "it holds no days"
  // a table already past `to` (fetched up to today) refreshes its own last days
  const end = later(to, state.toDate)
  const next = addDays(state.toDate, 1)
  const from = later(
    state.fromDate,
    lookback > 0 ? earlier(next, addDays(end, -(lookback - 1))) : next,
  )
  if (from > end) {
    // up to date, no lookback: only an interrupted run's missing days are left to fetch
    return state.complete ? "up to date" : { from: end, to: end, lookback: 0 }
  }
  return { from, to: end, lookback: Math.min(lookback, daysBetween(from, end).length) }
}

const syncOne = (
  state: TableState & { readonly name: string },
  options: SyncOptions,
): Effect.Effect<SyncOutcome, StorageError | SourceError, Storage> =>
  Effect.scoped(
    Effect.gen(function* () {
      const table = state.name
      if (state.type === "profiles") {
        const source = yield* options.sourceFor(undefined)
        const result = yield* fetchProfiles({
          source,
          table,
          request: recordedProfilesRequest(state),
          mode: "append",
        })
        return { _tag: "Profiles", table, result } as const
      }
      const zone = recordedTimeZone(state)
      const now = (options.now ?? Date.now)()
      const to = options.to ?? addDays(dayOfInstant(zone, now), -1)
      const range = syncRange(state, to, options.lookbackDays ?? DEFAULT_SYNC_LOOKBACK)
      if (typeof range === "string") return { _tag: "Skipped", table, reason: range } as const
      const source = yield* options.sourceFor(zone)
      const result = yield* fetchEvents({
        source,
        table,
        request: recordedEventsRequest(state, range),
        mode: "append",
        ...(range.lookback > 0 ? { lookbackDays: range.lookback } : {}),
        ...(zone !== undefined ? { timeZone: zone } : {}),
      })
      return { _tag: "Events", table, from: range.from, to: range.to, result } as const
    }),
  )

/**
 * Syncs every table recorded from `options.sourceName`, one after the other. A table that fails
 * is reported and the others go on; an interrupt stops the whole sync (committed days stay).
 */
export const syncTables = (
  options: SyncOptions,
): Effect.Effect<ReadonlyArray<SyncOutcome>, StorageError | SourceError, Storage> =>
  Effect.gen(function* () {
    yield* Effect.all([
      wholeNumberField({ lookback: options.lookbackDays }, "lookback", { min: 0 }),
      options.to === undefined ? Effect.void : dayField({ to: options.to }, "to"),
    ]).pipe(
      Effect.catchTag("InvalidField", (error) =>
        Effect.fail(new BadRequestError({ source: options.sourceName, body: error.message })),
      ),
    )
    const storage = yield* Storage
    const tables = yield* storage.listTables
    const wanted =
      options.tables === undefined ? undefined : new Set(options.tables.map((t) => t.toLowerCase()))
    const outcomes: Array<SyncOutcome> = []
    for (const info of tables) {
      if (wanted !== undefined && !wanted.has(info.name.toLowerCase())) continue
      if (info.kind === "view") continue
      const state = yield* storage.tableState(info.name)
      if (state === undefined) continue
      let outcome: SyncOutcome
      if (state.source.name !== options.sourceName) {
        outcome = {
          _tag: "Skipped",
          table: info.name,
          reason: `its source is ${state.source.name}, not ${options.sourceName}`,
        }
      } else {
        const one = syncOne({ ...state, name: info.name }, options)
        // a failure is this table's; an interrupt or a defect stops the sync
        outcome = yield* Effect.catch(
          options.progressFor === undefined
            ? one
            : Effect.provideService(one, Progress, options.progressFor(info.name)),
          (error) => Effect.succeed<SyncOutcome>({ _tag: "Failed", table: info.name, error }),
        )
      }
      outcomes.push(outcome)
      if (options.onTable !== undefined) yield* options.onTable(outcome)
    }
    return outcomes
  })
