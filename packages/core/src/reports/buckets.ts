import { wallClockToUtcMs } from "../pipeline/time-zone.js"
import { DAY_MS, parseDay } from "../request/days.js"
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

/** A bucket's key as Mixpanel writes it: `YYYY-MM-DD`, or `YYYY-MM-DD HH:00:00` for hours. */
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

/**
 * A query listing, in order (column `key`), the keys of every bucket the days `from`..`to` fall
 * in: a report's buckets, empty ones included. Keys come from `bucketKeySql`, as the rows' do.
 */
export const rangeBucketsSql = (from: Day, to: Day, unit: ReportUnit): string => {
  const step = unit === "hour" ? "HOUR" : "DAY"
  const last =
    unit === "hour" ? `TIMESTAMP ${literal(`${to} 23:00:00`)}` : `TIMESTAMP ${literal(to)}`
  return `SELECT DISTINCT ${bucketKeySql("d", unit)} AS key
    FROM generate_series(TIMESTAMP ${literal(from)}, ${last}, INTERVAL 1 ${step}) AS g(d)
    ORDER BY key`
}
