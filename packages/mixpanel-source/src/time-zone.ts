const formatters = new Map<string, Intl.DateTimeFormat>()

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

/** The zone's offset from UTC at a true instant, in ms (local = utc + offset). */
export const zoneOffsetMs = (zone: string, utcMs: number): number => {
  const whole = Math.floor(utcMs / 1000) * 1000
  const parts = formatterFor(zone).formatToParts(new Date(whole))
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  const asUtc = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  )
  return asUtc - whole
}

const DAY = 86_400_000
/** Zone transitions happen on quarter-hour wall-clock boundaries, so a bucket maps uniformly. */
const BUCKET = 15 * 60_000

const bucketOffsets = new Map<string, Map<number, number>>()

const offsetForLocal = (zone: string, localMs: number): number => {
  const before = zoneOffsetMs(zone, localMs - DAY)
  const after = zoneOffsetMs(zone, localMs + DAY)
  const valid = (offset: number) => zoneOffsetMs(zone, localMs - offset) === offset
  const earlier = Math.max(before, after)
  const later = Math.min(before, after)
  // Ambiguous (fall back): both offsets fit; the earlier instant has the larger offset.
  if (valid(earlier)) return earlier
  if (valid(later)) return later
  // A gap (spring forward): the wall time does not exist; read it with the offset in force
  // before the change, which moves it forward by the gap.
  return before
}

/**
 * True UTC epoch ms of a local wall-clock reading (epoch ms as if the zone were UTC), as legacy
 * Mixpanel projects store `time`. Ambiguous fall-back times resolve to the earlier instant;
 * times in a spring-forward gap shift forward.
 */
export const localToUtcMs = (zone: string, localMs: number): number => {
  let cache = bucketOffsets.get(zone)
  if (cache === undefined) {
    cache = new Map()
    bucketOffsets.set(zone, cache)
  }
  const bucket = Math.floor(localMs / BUCKET)
  let offset = cache.get(bucket)
  if (offset === undefined) {
    offset = offsetForLocal(zone, bucket * BUCKET)
    if (cache.size > 50_000) cache.clear()
    cache.set(bucket, offset)
  }
  return localMs - offset
}

/** `YYYY-MM-DDTHH:mm:ss` (no zone) read as wall-clock in `zone` (UTC when absent). */
export const parseNaiveDateTime = (text: string, zone: string | undefined): Date | null => {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?$/.exec(
      text.trim(),
    )
  if (m === null) {
    // Already zoned (Z or an offset): trust it.
    const t = Date.parse(text)
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
  if (Number.isNaN(local)) return null
  return new Date(zone === undefined ? local : localToUtcMs(zone, local))
}
