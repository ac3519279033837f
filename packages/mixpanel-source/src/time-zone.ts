import { parseEngageDate, wallClockToUtcMs, zoneOffsetMs } from "@mixpanel-data/core"

export { zoneOffsetMs }

/**
 * True UTC epoch ms of a local wall-clock reading (epoch ms as if the zone were UTC), as legacy
 * Mixpanel projects store `time`. Ambiguous fall-back times resolve to the earlier instant;
 * times in a spring-forward gap shift forward (core's rule, shared with the SQL loader).
 */
export const localToUtcMs = (zone: string, localMs: number): number =>
  wallClockToUtcMs(zone, localMs)

/** `YYYY-MM-DDTHH:mm:ss` (no zone) read as wall-clock in `zone` (UTC when absent): Engage's rule. */
export const parseNaiveDateTime = (text: string, zone: string | undefined): Date | null =>
  parseEngageDate(text, zone)
