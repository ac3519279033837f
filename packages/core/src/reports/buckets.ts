import { wallClockToUtcMs } from "../pipeline/time-zone.js"
import { DAY_MS, formatDay, parseDay } from "../request/days.js"
import { literal } from "../storage/names.js"
import type { Day, ReportUnit } from "./types.js"

/**
 * Time in a report: rows are stored at their UTC instant (`event_time`, a TIMESTAMP in UTC);
 * a report reads them as wall-clock times in the table's project zone and buckets those.
 * Every report goes through here, so they agree on days, weeks (Monday) and months.
 */

/** The wall-clock time in `zone` of a UTC TIMESTAMP expression (DuckDB's ICU). */
export const localTimeSql = (utc: string, zone: string): string =>
  zone === "UTC" ? utc : `timezone(${literal(zone)}, ${utc}::TIMESTAMPTZ)`

/** The start of the bucket holding a local time: `date_trunc`, weeks starting on Monday. */
export const bucketStartSql = (local: string, unit: ReportUnit): string =>
  `date_trunc('${unit}', ${local})`

/**
 * A bucket's key as Mixpanel writes it: `YYYY-MM-DD`, or `YYYY-MM-DD HH:00:00` for hours. The
 * same keys as `bucketKeyOf`, which lists a range's buckets.
 */
export const bucketKeySql = (local: string, unit: ReportUnit): string =>
  unit === "hour"
    ? `strftime(${bucketStartSql(local, unit)}, '%Y-%m-%d %H:00:00')`
    : `strftime(${bucketStartSql(local, unit)}, '%Y-%m-%d')`

/**
 * The UTC instants `[start, end)` of the days `from`..`to` in `zone`, midnight to midnight, as
 * SQL TIMESTAMP literals: a filter on them reads only the range's rows.
 */
export const rangeUtcSql = (
  from: Day,
  to: Day,
  zone: string,
): { readonly start: string; readonly end: string } => {
  const startLocal = parseDay(from)
  const endLocal = parseDay(to)
  if (startLocal === undefined || endLocal === undefined) {
    throw new Error(`not a day: ${startLocal === undefined ? from : to}`)
  }
  const utc = (ms: number) =>
    `TIMESTAMP '${new Date(wallClockToUtcMs(zone === "UTC" ? undefined : zone, ms)).toISOString().replace("T", " ").replace("Z", "")}'`
  return { start: utc(startLocal), end: utc(endLocal + DAY_MS) }
}

/** A bucket's unit, reports' own and `minute` (only Mixpanel's own segmentation buckets by it). */
export type BucketUnit = ReportUnit | "minute"

const pad2 = (n: number) => String(n).padStart(2, "0")

/**
 * The key of the bucket holding a wall-clock time (epoch ms read as UTC), written as
 * `bucketKeySql` writes a row's: `YYYY-MM-DD` (weeks on their Monday, months on their 1st),
 * `YYYY-MM-DD HH:00:00` for hours and `YYYY-MM-DD HH:MM:00` for minutes.
 */
export const bucketKeyOf = (localMs: number, unit: BucketUnit): string => {
  const d = new Date(localMs)
  switch (unit) {
    case "minute":
      return `${formatDay(localMs)} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:00`
    case "hour":
      return `${formatDay(localMs)} ${pad2(d.getUTCHours())}:00:00`
    case "day":
      return formatDay(localMs)
    case "week":
      // Monday: getUTCDay() is 0 on Sunday
      return formatDay(localMs - ((d.getUTCDay() + 6) % 7) * DAY_MS)
    case "month":
      return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-01`
  }
}

const STEP_MS: Record<BucketUnit, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: DAY_MS,
  week: DAY_MS,
  month: DAY_MS,
}

/**
 * The keys, in order, of every bucket the days `from`..`to` fall in: a report's buckets, empty
 * ones included (a week or month the range only partly covers is one of them). Hours and
 * minutes are wall-clock: every day has 24 hours, whatever its DST change. Empty when either is
 * not a day or `from` is after `to`.
 */
export const rangeBucketKeys = (from: Day, to: Day, unit: BucketUnit): ReadonlyArray<string> => {
  const start = parseDay(from)
  const end = parseDay(to)
  if (start === undefined || end === undefined) return []
  const keys: Array<string> = []
  for (let ms = start; ms < end + DAY_MS; ms += STEP_MS[unit]) {
    const key = bucketKeyOf(ms, unit)
    if (keys[keys.length - 1] !== key) keys.push(key)
  }
  return keys
}
