import type { EventsRequest, ProfilesRequest } from "../source.js"
import type { TableState } from "../storage.js"

/**
 * A table's fetch as its metadata recorded it: the filters it was fetched with, so a later sync
 * or repair asks the source for the same thing (a table fetched with `--events` or `--where`
 * stays filtered, and the fetch's identity matches).
 */

const texts = (value: unknown): ReadonlyArray<string> | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === "string") && value.length > 0
    ? (value as ReadonlyArray<string>)
    : undefined

/** The project zone an events table's days are in (`undefined`: UTC). */
export const recordedTimeZone = (state: TableState): string | undefined =>
  typeof state.filters.timeZone === "string" ? state.filters.timeZone : undefined

/** The recorded events request of a table over `from..to`. */
export const recordedEventsRequest = (
  state: TableState,
  range: { readonly from: string; readonly to: string },
): EventsRequest => {
  const events = texts(state.filters.events)
  const where = state.filters.where
  const limit = state.filters.limit
  return {
    from: range.from,
    to: range.to,
    ...(events !== undefined ? { events } : {}),
    ...(typeof where === "string" && where !== "" ? { where } : {}),
    ...(typeof limit === "number" ? { limit } : {}),
  }
}

const profileKeys = [
  "where",
  "cohortId",
  "includeAllUsers",
  "outputProperties",
  "distinctIds",
  "groupId",
  "behaviors",
  "asOfTimestamp",
] as const

/** The recorded profiles request of a table. */
export const recordedProfilesRequest = (state: TableState): ProfilesRequest => {
  const out: Record<string, unknown> = {}
  for (const key of profileKeys) {
    if (state.filters[key] !== undefined) out[key] = state.filters[key]
  }
  return out as ProfilesRequest
}
