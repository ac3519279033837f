import { Effect } from "effect"
import type { EventsRequest, ProfilesRequest } from "../source.js"
import { isDay } from "./days.js"
import {
  dayField,
  type FieldNames,
  fieldName,
  InvalidField,
  invalid,
  namesField,
  onlyKeys,
  type RequestError,
  type RequestInput,
  tableField,
  textField,
  timeZoneField,
  type WriteMode,
  wholeNumberField,
  writeModeField,
} from "./fields.js"

/** Mixpanel's export answers at most this many events per request. */
export const EXPORT_LIMIT_MAX = 100_000

/**
 * The inclusive range `from..to`. Both days are required, with a lookback too: it refetches
 * the last N days of the range.
 */
export const rangeFields = (
  input: RequestInput,
  names?: FieldNames,
): Effect.Effect<{ readonly from: string; readonly to: string }, InvalidField> =>
  Effect.gen(function* () {
    for (const [key, what] of [
      ["from", "the first day"],
      ["to", "the last day, inclusive"],
    ] as const) {
      if (input[key] !== undefined) continue
      if (input.lookbackDays !== undefined) {
        return yield* invalid(
          names,
          key,
          `is required with ${fieldName(names, "lookbackDays")}: it refetches the last days of ${fieldName(names, "from")}..${fieldName(names, "to")}`,
        )
      }
      return yield* invalid(names, key, `is required: ${what}, YYYY-MM-DD`)
    }
    const from = yield* dayField(input, "from", names)
    const to = yield* dayField(input, "to", names)
    if (from > to)
      return yield* invalid(names, "from", `${from} is after ${fieldName(names, "to")} ${to}`)
    return { from, to }
  })

/**
 * Checks an events request a caller built (the pipeline's and the sources' boundary): real
 * days, `from` not after `to`, and real days in `days`.
 */
export const checkEventsRequest = (
  request: EventsRequest,
  names?: FieldNames,
): Effect.Effect<void, InvalidField> =>
  Effect.gen(function* () {
    yield* rangeFields(request as unknown as RequestInput, names)
    const bad = request.days?.find((day) => !isDay(day))
    if (bad !== undefined) {
      return yield* new InvalidField({
        field: fieldName(names, "days"),
        reason: `must hold dates YYYY-MM-DD, got "${bad}"`,
      })
    }
  })

/** A fetch of events, checked: what the pipeline's `fetchEvents` and the source need. */
export interface EventsFetch {
  readonly table: string
  readonly request: EventsRequest
  readonly mode: WriteMode
  /** Refetch the last N days of the range, replacing them. */
  readonly lookbackDays?: number
  /** The project's IANA zone (legacy projects); the source's own setting when absent. */
  readonly timeZone?: string
  /** Days downloaded at once; the source's default when absent. */
  readonly workers?: number
}

const eventsFetchKeys = [
  "table",
  "from",
  "to",
  "lookbackDays",
  "events",
  "where",
  "limit",
  "mode",
  "append",
  "replace",
  "timeZone",
  "workers",
]

/**
 * Reads a fetch of events from plain values: `table`, `from`, `to` (`YYYY-MM-DD`, inclusive),
 * `lookbackDays`, `events`, `where`, `limit` (at most 100000), `mode` or `append`/`replace`,
 * `timeZone` and `workers`.
 */
export const parseEventsFetch = (
  input: RequestInput,
  names?: FieldNames,
): Effect.Effect<EventsFetch, RequestError> =>
  Effect.gen(function* () {
    yield* onlyKeys(input, eventsFetchKeys, "an events fetch", names)
    const table = yield* tableField(input)
    const lookbackDays = yield* wholeNumberField(input, "lookbackDays", { min: 1 }, names)
    const { from, to } = yield* rangeFields(input, names)
    const events = yield* namesField(input, "events", names)
    const where = yield* textField(input, "where", names)
    const limit = yield* wholeNumberField(input, "limit", { min: 1, max: EXPORT_LIMIT_MAX }, names)
    const mode = yield* writeModeField(input, names)
    const timeZone = yield* timeZoneField(input, "timeZone", names)
    const workers = yield* wholeNumberField(input, "workers", { min: 1 }, names)
    return {
      table,
      request: {
        from,
        to,
        ...(events !== undefined ? { events } : {}),
        ...(where !== undefined ? { where } : {}),
        ...(limit !== undefined ? { limit } : {}),
      },
      mode,
      ...(lookbackDays !== undefined ? { lookbackDays } : {}),
      ...(timeZone !== undefined ? { timeZone } : {}),
      ...(workers !== undefined ? { workers } : {}),
    }
  })

/** A fetch of profiles, checked. */
export interface ProfilesFetch {
  readonly table: string
  readonly request: ProfilesRequest
  readonly mode: WriteMode
}

const profilesFetchKeys = [
  "table",
  "where",
  "cohortId",
  "outputProperties",
  "distinctIds",
  "groupId",
  "mode",
  "append",
  "replace",
]

/**
 * Reads a fetch of profiles from plain values: `table`, `where`, `cohortId`,
 * `outputProperties`, `distinctIds`, `groupId` (group profiles), `mode` or `append`/`replace`.
 */
export const parseProfilesFetch = (
  input: RequestInput,
  names?: FieldNames,
): Effect.Effect<ProfilesFetch, RequestError> =>
  Effect.gen(function* () {
    yield* onlyKeys(input, profilesFetchKeys, "a profiles fetch", names)
    const table = yield* tableField(input)
    const where = yield* textField(input, "where", names)
    const cohortId = yield* wholeNumberField(input, "cohortId", { min: 0 }, names)
    const outputProperties = yield* namesField(input, "outputProperties", names)
    const distinctIds = yield* namesField(input, "distinctIds", names)
    const groupId = yield* textField(input, "groupId", names)
    const mode = yield* writeModeField(input, names)
    return {
      table,
      request: {
        ...(where !== undefined ? { where } : {}),
        ...(cohortId !== undefined ? { cohortId } : {}),
        ...(outputProperties !== undefined ? { outputProperties } : {}),
        ...(distinctIds !== undefined ? { distinctIds } : {}),
        ...(groupId !== undefined ? { groupId } : {}),
      },
      mode,
    }
  })

/** An import of files, checked (the files themselves are the front end's to find). */
export interface ImportSpec {
  readonly table: string
  readonly mode: WriteMode
  /** Events: only these names. */
  readonly events?: ReadonlyArray<string>
  /** The IANA zone of a legacy project's local times. */
  readonly timeZone?: string
}

/**
 * Reads an import of events or profiles from plain values: `table`, `mode` or
 * `append`/`replace`, `timeZone`, and for events `events`.
 */
export const parseImport = (
  kind: "events" | "profiles",
  input: RequestInput,
  names?: FieldNames,
): Effect.Effect<ImportSpec, RequestError> =>
  Effect.gen(function* () {
    const keys = ["table", "mode", "append", "replace", "timeZone"]
    yield* onlyKeys(
      input,
      kind === "events" ? [...keys, "events"] : keys,
      `an import of ${kind}`,
      names,
    )
    const table = yield* tableField(input)
    const mode = yield* writeModeField(input, names)
    const events = yield* namesField(input, "events", names)
    const timeZone = yield* timeZoneField(input, "timeZone", names)
    return {
      table,
      mode,
      ...(events !== undefined ? { events } : {}),
      ...(timeZone !== undefined ? { timeZone } : {}),
    }
  })
