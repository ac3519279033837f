/**
 * The project calendar. Modern projects are UTC; legacy projects read dates in an IANA zone and
 * store `time` as local wall-clock time, so the simulator needs UTC offsets and day bounds.
 */

const DAY_MS = 86_400_000
const QUARTER_HOUR_MS = 900_000

export const parseDate = (date: string): number | undefined => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!m) return undefined
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  return formatDate(ms) === date ? ms : undefined
}

export const formatDate = (utcMs: number): string => new Date(utcMs).toISOString().slice(0, 10)

/** Days since the epoch of a `YYYY-MM-DD` date (its UTC midnight). */
export const epochDay = (date: string): number => Math.floor(parseDate(date)! / DAY_MS)

export const dateOfEpochDay = (day: number): string => formatDate(day * DAY_MS)

export interface ProjectCalendar {
  readonly timeZone: string
  readonly utc: boolean
  /** Offset (local minus UTC) in milliseconds at a UTC instant. */
  offsetMs(utcMs: number): number
  /** UTC instants `[start, end)` of a calendar day. */
  dayBounds(epochDayNumber: number): { readonly start: number; readonly end: number }
  /**
   * True when the instant's local wall-clock time also occurred earlier (the second pass through
   * a fall-back hour). A client cannot tell such a time from the first pass, so the plain
   * dataset avoids them; with edge cases it serves them (see `wallClockToUtc`).
   */
  isRepeatedWallClock(utcMs: number): boolean
  /**
   * The instant a client reads from a local wall-clock time (ms of that wall clock read as if it
   * were UTC): the earliest instant showing it, so the second pass of a repeated hour reads as
   * the first, as legacy projects mean it; a time the zone skipped reads with the offset in
   * force before the change (the simulator never serves one).
   */
  wallClockToUtc(localMs: number): number
}

const utcCalendar: ProjectCalendar = {
  timeZone: "UTC",
  utc: true,
  offsetMs: () => 0,
  dayBounds: (d) => ({ start: d * DAY_MS, end: (d + 1) * DAY_MS }),
  isRepeatedWallClock: () => false,
  wallClockToUtc: (localMs) => localMs,
}

export const isValidTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone })
    return true
  } catch {
    return false
  }
}

export const makeCalendar = (timeZone: string | undefined): ProjectCalendar => {
  if (timeZone === undefined || timeZone === "UTC" || timeZone === "Etc/UTC") return utcCalendar
  if (!isValidTimeZone(timeZone)) throw new Error(`unknown time zone: ${timeZone}`)
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  })
  const cache = new Map<number, number>()
  const compute = (utcMs: number): number => {
    const parts: Record<string, number> = {}
    for (const p of format.formatToParts(new Date(utcMs))) {
      if (p.type !== "literal") parts[p.type] = Number(p.value)
    }
    const local = Date.UTC(
      parts.year!,
      parts.month! - 1,
      parts.day!,
      parts.hour!,
      parts.minute!,
      parts.second!,
    )
    return local - (utcMs - (utcMs % 1000))
  }
  // Zone transitions fall on quarter hours, so the offset is constant within each quarter.
  const offsetMs = (utcMs: number): number => {
    const q = Math.floor(utcMs / QUARTER_HOUR_MS)
    let off = cache.get(q)
    if (off === undefined) {
      if (cache.size > 100_000) cache.clear()
      off = compute(q * QUARTER_HOUR_MS)
      cache.set(q, off)
    }
    return off
  }
  const localDay = (utcMs: number): number => Math.floor((utcMs + offsetMs(utcMs)) / DAY_MS)
  // First quarter hour whose local date is at least `d` (midnight itself may not exist).
  const startOf = (d: number): number => {
    let t = d * DAY_MS - 18 * 3_600_000
    while (localDay(t) < d) t += QUARTER_HOUR_MS
    return t
  }
  const bounds = new Map<number, { start: number; end: number }>()
  return {
    timeZone,
    utc: false,
    offsetMs,
    dayBounds: (d) => {
      let b = bounds.get(d)
      if (!b) {
        b = { start: startOf(d), end: startOf(d + 1) }
        if (bounds.size > 10_000) bounds.clear()
        bounds.set(d, b)
      }
      return b
    },
    isRepeatedWallClock: (utcMs) => {
      const off = offsetMs(utcMs)
      for (let back = 1; back <= 12; back++) {
        const earlier = offsetMs(utcMs - back * QUARTER_HOUR_MS)
        if (earlier > off) {
          const twin = utcMs + off - earlier
          if (twin < utcMs && offsetMs(twin) === earlier) return true
        }
      }
      return false
    },
    wallClockToUtc: (localMs) => {
      // The instant is within 14 hours of the wall clock; at most one change falls in between.
      const before = offsetMs(localMs - 14 * 3_600_000)
      const after = offsetMs(localMs + 14 * 3_600_000)
      const shows = (utc: number, off: number) => offsetMs(utc) === off
      const early = localMs - Math.max(before, after)
      const late = localMs - Math.min(before, after)
      if (shows(early, Math.max(before, after))) return early
      if (shows(late, Math.min(before, after))) return late
      return localMs - before
    },
  }
}
