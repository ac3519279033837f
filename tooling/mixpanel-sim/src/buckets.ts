/**
 * Time buckets of the query endpoints, in the project calendar. A bucket is read from an event's
 * local wall-clock time (`localMs`: UTC ms plus the zone's offset, UTC for modern projects), so
 * a legacy zone's repeated hour is one hour and its skipped hour an empty one. Each unit numbers
 * its buckets with consecutive ordinals; keys are Mixpanel's: `YYYY-MM-DD` for days, the Monday
 * for weeks, the 1st for months, `YYYY-MM-DD HH:00:00` for hours and `YYYY-MM-DD HH:MM:00` for
 * minutes.
 */
import type { ProjectCalendar } from "./zone.js"

export type Unit = "minute" | "hour" | "day" | "week" | "month"
export const units: ReadonlyArray<Unit> = ["minute", "hour", "day", "week", "month"]

const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000

/** The bucket ordinal of a local wall-clock time. */
export const ordinalOf = (unit: Unit, localMs: number): number => {
  switch (unit) {
    case "minute":
      return Math.floor(localMs / MINUTE_MS)
    case "hour":
      return Math.floor(localMs / HOUR_MS)
    case "day":
      return Math.floor(localMs / DAY_MS)
    case "week":
      // epoch day 0 is a Thursday: day d is ((d + 3) mod 7) days after its Monday
      return Math.floor((Math.floor(localMs / DAY_MS) + 3) / 7)
    case "month":
      return monthOfDay(Math.floor(localMs / DAY_MS))
  }
}

/** Year × 12 + month (0-based) of an epoch day, by civil-calendar arithmetic (no Date). */
const monthOfDay = (day: number): number => {
  const z = day + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  )
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const month = mp < 10 ? mp + 2 : mp - 10
  const year = yoe + era * 400 + (month <= 1 ? 1 : 0)
  return year * 12 + month
}

/** The local wall-clock time a bucket starts at. */
export const ordinalStart = (unit: Unit, ordinal: number): number => {
  switch (unit) {
    case "minute":
      return ordinal * MINUTE_MS
    case "hour":
      return ordinal * HOUR_MS
    case "day":
      return ordinal * DAY_MS
    case "week":
      return (ordinal * 7 - 3) * DAY_MS
    case "month":
      return Date.UTC(Math.floor(ordinal / 12), ordinal % 12, 1)
  }
}

/** A bucket's key as Mixpanel writes it. */
export const bucketKey = (unit: Unit, ordinal: number): string => {
  const iso = new Date(ordinalStart(unit, ordinal)).toISOString()
  if (unit === "minute") return `${iso.slice(0, 10)} ${iso.slice(11, 16)}:00`
  if (unit === "hour") return `${iso.slice(0, 10)} ${iso.slice(11, 13)}:00:00`
  return iso.slice(0, 10)
}

/** The local wall-clock time of an instant. */
export const localMsOf = (calendar: ProjectCalendar, utcMs: number): number =>
  calendar.utc ? utcMs : utcMs + calendar.offsetMs(utcMs)

/**
 * The buckets of a report: from ordinal `first` to `last` of a unit, grouped by `interval`
 * ordinals (a block is keyed by its first bucket; the last block ends at `last`), over the
 * calendar days `fromDay..toDay` (by default those the buckets span; a week or month bucket
 * can start before the range's first day, whose earlier days are then not read).
 */
export class Buckets {
  readonly keys: ReadonlyArray<string>
  /** Local wall-clock start of each block. */
  readonly starts: ReadonlyArray<number>
  /** Epoch days whose events the report reads. */
  readonly fromDay: number
  readonly toDay: number
  constructor(
    readonly unit: Unit,
    readonly first: number,
    readonly last: number,
    readonly interval = 1,
    days?: { readonly fromDay: number; readonly toDay: number },
  ) {
    const keys: string[] = []
    const starts: number[] = []
    for (let o = first; o <= last; o += interval) {
      keys.push(bucketKey(unit, o))
      starts.push(ordinalStart(unit, o))
    }
    this.keys = keys
    this.starts = starts
    this.fromDay = days?.fromDay ?? Math.floor(ordinalStart(unit, first) / DAY_MS)
    this.toDay = days?.toDay ?? Math.floor((ordinalStart(unit, last + 1) - 1) / DAY_MS)
  }

  /** The buckets covering the calendar days `fromDay..toDay` (epoch days, inclusive). */
  static ofDays(unit: Unit, fromDay: number, toDay: number, interval = 1): Buckets {
    return new Buckets(
      unit,
      ordinalOf(unit, fromDay * DAY_MS),
      ordinalOf(unit, (toDay + 1) * DAY_MS - 1),
      interval,
      { fromDay, toDay },
    )
  }

  /** The block index of a local wall-clock time; -1 outside the buckets or the days. */
  index(localMs: number): number {
    const day = Math.floor(localMs / DAY_MS)
    if (day < this.fromDay || day > this.toDay) return -1
    const o = ordinalOf(this.unit, localMs)
    return o < this.first || o > this.last ? -1 : Math.floor((o - this.first) / this.interval)
  }
}

const pad2 = (n: number): string => String(n).padStart(2, "0")

/** `±hh:mm` of an offset in milliseconds. */
export const offsetText = (offsetMs: number): string => {
  const minutes = Math.round(Math.abs(offsetMs) / MINUTE_MS)
  return `${offsetMs < 0 ? "-" : "+"}${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`
}

/**
 * A local wall-clock time as an ISO datetime with the project zone's offset at that time:
 * `2024-01-01T00:00:00-08:00`, with `fraction` (e.g. `.999000`) after the seconds.
 */
export const isoWithOffset = (
  calendar: ProjectCalendar,
  localMs: number,
  fraction = "",
): string => {
  const utc = calendar.wallClockToUtc(localMs)
  return `${new Date(localMs).toISOString().slice(0, 19)}${fraction}${offsetText(localMs - utc)}`
}

/** `computed_at` as Mixpanel writes it: microseconds and `+00:00`. */
export const computedAt = (ms: number): string =>
  `${new Date(ms).toISOString().slice(0, 23)}000+00:00`
