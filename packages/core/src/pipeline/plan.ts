import { canonicalJson } from "../insert-id.js"
import { addDays, daysBetween, daysOfRequest } from "../request/days.js"
import type { WriteMode } from "../request/fields.js"
import type { EventsRequest } from "../source.js"
import type { TableState } from "../storage.js"

export type FetchMode = WriteMode

/** How one day is written: `replace` empties the day first, `merge` adds deduplicated. */
export type DayWrite = "replace" | "merge"

/** What a fetch will do, decided from the request and what the table already holds. */
export type FetchPlan =
  | {
      readonly _tag: "Fresh"
      readonly days: ReadonlyArray<string>
    }
  | {
      readonly _tag: "Update"
      /** Days to fetch and how each is written. */
      readonly days: ReadonlyMap<string, DayWrite>
      readonly skipped: number
      readonly widen: { readonly fromDate: string; readonly toDate: string }
    }
  | { readonly _tag: "Replace"; readonly days: ReadonlyArray<string> }
  | { readonly _tag: "Conflict"; readonly hint: string }

/** What identifies a fetch besides its range: filters, source and calendar. */
export interface FetchIdentity {
  readonly filters: Record<string, unknown>
  readonly source: { readonly name: string; readonly params: Record<string, unknown> }
}

export const eventFilters = (
  request: EventsRequest,
  timeZone: string | undefined,
): Record<string, unknown> => ({
  ...(request.events !== undefined && request.events.length > 0
    ? { events: [...request.events] }
    : {}),
  ...(request.where !== undefined && request.where.length > 0 ? { where: request.where } : {}),
  ...(request.limit !== undefined ? { limit: request.limit } : {}),
  ...(timeZone !== undefined ? { timeZone } : {}),
})

const sameIdentity = (state: TableState, identity: FetchIdentity): boolean =>
  canonicalJson(state.filters) === canonicalJson(identity.filters) &&
  canonicalJson(state.source) === canonicalJson(identity.source)

/** The last `n` days ending at `to`. */
export const lookbackDays = (to: string, n: number): ReadonlyArray<string> =>
  n <= 0 ? [] : daysBetween(addDays(to, -(n - 1)), to)

/** The days of an incomplete table's recorded range that no commit holds yet. */
export const missingDays = (state: TableState): ReadonlyArray<string> =>
  state.complete || state.fromDate === null || state.toDate === null
    ? []
    : daysBetween(state.fromDate, state.toDate).filter((day) => !state.days.has(day))

const describeRange = (state: TableState) =>
  state.fromDate === null ? "no range" : `${state.fromDate}..${state.toDate}`

/**
 * Decides the days to fetch.
 * - No table: everything, fresh.
 * - `replace`: everything, into a staging table swapped in at the end.
 * - `append`: every day of the range merged deduplicated (days already held are fetched
 *   again: overlaps never duplicate), plus lookback days replaced, plus the missing days of an
 *   incomplete table's recorded range.
 * - default: the same fetch (range, filters, source) of an incomplete table resumes its
 *   missing days; of a complete one, refreshes only its lookback days. Anything else is a
 *   conflict the caller turns into `TableExists` with a hint.
 */
export const planFetch = (args: {
  readonly state: TableState | undefined
  readonly mode: FetchMode
  readonly request: EventsRequest
  readonly identity: FetchIdentity
  readonly lookback: number
  /**
   * Exactly these days of an existing table, each replaced (a repair of days that differ from
   * the source's counts); the missing days of an incomplete table come too. Mode and lookback
   * are then ignored.
   */
  readonly refetch?: ReadonlyArray<string>
}): FetchPlan => {
  const { state, mode, request, identity, lookback } = args
  const range = daysOfRequest(request)
  if (args.refetch !== undefined) {
    if (state === undefined) {
      return { _tag: "Conflict", hint: "There is no such table to refetch days of." }
    }
    if (!sameIdentity(state, identity)) {
      return {
        _tag: "Conflict",
        hint: `It was fetched with other filters or from another source (${canonicalJson(state.filters)} from ${state.source.name}): its days cannot be refetched with these.`,
      }
    }
    const days = new Map<string, DayWrite>()
    for (const day of missingDays(state)) days.set(day, "replace")
    for (const day of args.refetch) days.set(day, "replace")
    const held = [...days.keys()].sort()
    const fromDate =
      state.fromDate !== null && state.fromDate < (held[0] ?? state.fromDate)
        ? state.fromDate
        : (held[0] ?? request.from)
    const toDate =
      state.toDate !== null && state.toDate > (held.at(-1) ?? state.toDate)
        ? state.toDate
        : (held.at(-1) ?? request.to)
    return { _tag: "Update", days, skipped: 0, widen: { fromDate, toDate } }
  }
  if (state === undefined) return { _tag: "Fresh", days: range }
  if (mode === "replace") return { _tag: "Replace", days: range }
  const widen = { fromDate: request.from, toDate: request.to }
  const refresh = lookbackDays(request.to, lookback)
  if (!sameIdentity(state, identity)) {
    return {
      _tag: "Conflict",
      hint: `It was fetched with other filters or from another source (${canonicalJson(state.filters)} from ${state.source.name}). Use --replace to rebuild it with these, or fetch into another table.`,
    }
  }
  if (mode === "append") {
    const days = new Map<string, DayWrite>()
    // An interrupted earlier fetch: its missing days come too, so "complete" stays true to its word.
    for (const day of missingDays(state)) days.set(day, "replace")
    for (const day of range) days.set(day, "merge")
    for (const day of refresh) days.set(day, "replace")
    return { _tag: "Update", days, skipped: 0, widen }
  }
  const sameRange = state.fromDate === request.from && state.toDate === request.to
  if (!sameRange) {
    return {
      _tag: "Conflict",
      hint: `It holds ${describeRange(state)}. Use --append to add ${request.from}..${request.to}, or --replace to rebuild it.`,
    }
  }
  const days = new Map<string, DayWrite>()
  for (const day of range) if (!state.days.has(day)) days.set(day, "replace")
  for (const day of refresh) days.set(day, "replace")
  if (state.complete && days.size === 0) {
    return {
      _tag: "Conflict",
      hint: `It already holds ${describeRange(state)}, complete. Use --append to add days, --lookback N to refresh the last N days, or --replace to rebuild it.`,
    }
  }
  return { _tag: "Update", days, skipped: range.filter((d) => !days.has(d)).length, widen }
}
