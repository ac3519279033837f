import { wallClockToUtcMs } from "./pipeline/time-zone.js"
import type { ProfileRecord } from "./records.js"

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

/**
 * An Engage date: an ISO date-time without a zone (`2024-03-01T08:00:00`, a space for the `T`,
 * seconds and fractions optional) is a wall-clock reading in the project's zone (UTC when
 * absent); one with a zone (`Z`, an offset) is taken as it is. Null when unreadable.
 */
export const parseEngageDate = (value: unknown, zone: string | undefined): Date | null => {
  if (typeof value !== "string" || value.trim().length === 0) return null
  const text = value.trim()
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?$/.exec(text)
  if (m === null) {
    const t = /(Z|[+-]\d{2}:?\d{2})$/.test(text) ? Date.parse(text) : Number.NaN
    return Number.isNaN(t) ? null : new Date(t)
  }
  const local = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
    Number((m[7] ?? "0").padEnd(3, "0")),
  )
  // a reading no calendar holds (month 13, February 30, hour 24) is refused, not rolled over
  const back = new Date(local)
  const whole =
    back.getUTCMonth() === Number(m[2]) - 1 &&
    back.getUTCDate() === Number(m[3]) &&
    back.getUTCHours() === Number(m[4] ?? 0) &&
    back.getUTCMinutes() === Number(m[5] ?? 0) &&
    back.getUTCSeconds() === Number(m[6] ?? 0)
  return whole ? new Date(wallClockToUtcMs(zone, local)) : null
}

/**
 * One Engage result (`{"$distinct_id": "…", "$properties": {…}}`) as a profile, or why it is
 * not one. The id must be a non-empty string (a number or an object would be stored as text it
 * never was); absent properties are an empty object; `$last_seen` is read in the project's zone.
 * Every source of engage output (the API, files) goes through here.
 */
export const profileOfEngageResult = (
  value: unknown,
  zone: string | undefined,
): ProfileRecord | string => {
  if (!isObject(value)) return "expected a profile object"
  const id = value.$distinct_id
  if (typeof id !== "string" || id.length === 0) {
    return '"$distinct_id" is missing or not a non-empty string'
  }
  const properties = value.$properties ?? {}
  if (!isObject(properties)) return '"$properties" must be an object'
  return { distinctId: id, properties, lastSeen: parseEngageDate(properties.$last_seen, zone) }
}
