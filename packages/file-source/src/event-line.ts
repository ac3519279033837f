import { deriveInsertId, type EventRecord, wallClockToUtcMs } from "@mixpanel-data/core"

/** Why a line is not a Mixpanel export event, or the event it holds. */
export type LineResult = EventRecord | string

/** Times at or above this are milliseconds (1e11 seconds is the year 5138; 1e11 ms is 1973). */
const MS_THRESHOLD = 1e11
const MAX_MS = 253_402_300_799_999

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

/**
 * One line of Mixpanel's raw export to an event, with the adapter's transforms: `time` in
 * seconds or milliseconds to a UTC instant (local wall-clock time converted through `timeZone`
 * for legacy projects), `$insert_id` kept or derived deterministically, properties untouched.
 */
export const parseEventLine = (line: string, timeZone: string | undefined): LineResult => {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (e) {
    return `invalid JSON (${e instanceof Error ? e.message : String(e)})`
  }
  if (!isObject(value)) return "expected a JSON object per line"
  const event = value.event
  if (typeof event !== "string" || event.length === 0) return 'missing "event" (a non-empty string)'
  const properties = value.properties
  if (!isObject(properties)) return 'missing "properties" (an object)'
  const time = properties.time
  if (typeof time !== "number" || !Number.isFinite(time) || time < 0) {
    return 'missing or invalid "properties.time" (seconds or milliseconds since the epoch)'
  }
  const rawMs = time >= MS_THRESHOLD ? Math.round(time) : Math.round(time * 1000)
  if (rawMs > MAX_MS) return '"properties.time" is beyond the year 9999'
  const distinct = properties.distinct_id
  if (
    typeof distinct !== "string" &&
    !(typeof distinct === "number" && Number.isFinite(distinct))
  ) {
    return 'missing "properties.distinct_id" (a string)'
  }
  const distinctId = String(distinct)
  const ms = wallClockToUtcMs(timeZone, rawMs)
  const given = properties.$insert_id
  const insertId =
    typeof given === "string" && given.length > 0
      ? given
      : typeof given === "number" && Number.isFinite(given)
        ? String(given)
        : deriveInsertId(event, distinctId, ms, properties)
  return { eventName: event, time: new Date(ms), distinctId, insertId, properties }
}
