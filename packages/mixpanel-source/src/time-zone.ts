import { wallClockToUtcMs, zoneOffsetMs } from "@mixpanel-data/core"

export { zoneOffsetMs }

/**
 * True UTC epoch ms of a local wall-clock reading (epoch ms as if the zone were UTC), as legacy
 * Mixpanel projects store `time`. Ambiguous fall-back times resolve to the earlier instant;
 * times in a spring-forward gap shift forward (core's rule, shared with the SQL loader).
 */
export const localToUtcMs = (zone: string, localMs: number): number =>
  wallClockToUtcMs(zone, localMs)

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
