/**
 * Wall-clock times and calendar days in an IANA zone, without a date library (the days
 * themselves are read by `request/days`). Ambiguous and
 * skipped wall-clock times resolve as storage's SQL loader does (the earlier instant for a
 * repeated hour, as legacy Mixpanel projects mean it; a skipped hour shifted forward), so rows
 * converted in JS and in SQL agree to the millisecond.
 */

import { DAY_MS, formatDay, parseDay } from "../request/days.js"

const BUCKET_MS = 15 * 60_000

const formatters = new Map<string, Intl.DateTimeFormat>()
const offsetCache = new Map<string, Map<number, number>>()

const formatterFor = (zone: string): Intl.DateTimeFormat => {
  let f = formatters.get(zone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
    formatters.set(zone, f)
  }
  return f
}

/** True when the runtime knows the zone (`UTC`, `America/Los_Angeles`, ...). */
export const isValidTimeZone = (zone: string): boolean => {
  try {
    formatterFor(zone)
    return true
  } catch {
    return false
  }
}

const isUtc = (zone: string | undefined): boolean =>
  zone === undefined || zone === "UTC" || zone === "Etc/UTC" || zone === "GMT"

/**
 * The zone's offset from UTC (local minus UTC, in ms) at an instant. Offsets only change on
 * quarter hours, so answers are cached per 15-minute bucket.
 */
export const zoneOffsetMs = (zone: string, instantMs: number): number => {
  if (isUtc(zone)) return 0
  const bucket = Math.floor(instantMs / BUCKET_MS)
  let cache = offsetCache.get(zone)
  if (cache === undefined) {
    cache = new Map()
    offsetCache.set(zone, cache)
  }
  const hit = cache.get(bucket)
  if (hit !== undefined) return hit
  const at = bucket * BUCKET_MS
  const parts = formatterFor(zone).formatToParts(new Date(at))
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value)
  const asUtc = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  )
  const offset = asUtc - at
  if (cache.size > 100_000) cache.clear()
  cache.set(bucket, offset)
  return offset
}

/**
 * The UTC instant of a wall-clock time in `zone`, given as milliseconds of that wall clock
 * read as if it were UTC. A repeated hour takes its first occurrence; a skipped hour is read
 * with the offset in force before the change (02:30 on a spring-forward day is 03:30 after).
 */
export const wallClockToUtcMs = (zone: string | undefined, localMs: number): number => {
  if (zone === undefined || isUtc(zone)) return localMs
  const before = zoneOffsetMs(zone, localMs - DAY_MS / 2)
  const after = zoneOffsetMs(zone, localMs + DAY_MS / 2)
  if (before === after) return localMs - before
  const tBefore = localMs - before
  const tAfter = localMs - after
  const validBefore = zoneOffsetMs(zone, tBefore) === before
  const validAfter = zoneOffsetMs(zone, tAfter) === after
  if (validBefore && validAfter) return Math.min(tBefore, tAfter)
  if (validAfter) return tAfter
  if (validBefore) return tBefore
  return tBefore
}

/** The calendar day (in `zone`) an instant falls on. */
export const dayOfInstant = (zone: string | undefined, instantMs: number): string => {
  const local = zone === undefined ? instantMs : instantMs + zoneOffsetMs(zone, instantMs)
  return formatDay(Math.floor(local / DAY_MS) * DAY_MS)
}

/** The UTC instants `[start, end)` that make up `day` in `zone`. */
export const dayBoundsUtc = (
  zone: string | undefined,
  day: string,
): { readonly start: Date; readonly end: Date } => {
  const ms = parseDay(day)
  if (ms === undefined) throw new RangeError(`not a day: ${day}`)
  return {
    start: new Date(wallClockToUtcMs(zone, ms)),
    end: new Date(wallClockToUtcMs(zone, ms + DAY_MS)),
  }
}
