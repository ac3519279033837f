import { Effect } from "effect"
import { literal } from "../storage/names.js"
import { Storage } from "../storage.js"
import { answerRows } from "./answer-rows.js"
import { bucketKeySql, localTimeSql, rangeBucketKeys, rangeUtcSql } from "./buckets.js"
import { InvalidReportOptions, type ReportRun } from "./errors.js"
import { checkEventName, checkOneOf, checkRange, checkWholeNumber } from "./options.js"
import { count } from "./scan.js"
import { type ReportTable, reportTable } from "./table.js"
import type { Day, RetentionAnswer, RetentionOptions, RetentionRow } from "./types.js"

/**
 * Retention, as Mixpanel's retention report counts it:
 *
 * - birth: a user's cohort is the bucket (in the project zone) of their first BORN event in the
 *   range; nothing before `from` is looked at. compounded: the cohort of a bucket is everyone
 *   who did RETURN in it, born at their first RETURN there (a user can be in several cohorts).
 * - `counts[i]`: cohort users with a RETURN event (any event when RETURN is absent) in
 *   [born + i units, born + (i + 1) units), rolling from each user's own born time: a day is
 *   24 hours, a week 7 days, a month 30 days, whatever the calendar and its DST changes.
 * - A return is an event at or after the born time other than the born event itself, so
 *   interval 0 counts returns within the first unit after it; returns are read past `to`.
 * - unbounded: `counts[i]` counts users retained in interval i or any later one up to the last.
 */

export const DEFAULT_RETENTION_INTERVALS = 10

const UNITS = ["day", "week", "month"] as const

const UNIT_SECONDS: Record<(typeof UNITS)[number], number> = {
  day: 86_400,
  week: 7 * 86_400,
  month: 30 * 86_400,
}

const checkRetention = (options: RetentionOptions): Effect.Effect<void, InvalidReportOptions> =>
  Effect.gen(function* () {
    yield* checkRange(options)
    if (options.type !== undefined) {
      yield* checkOneOf("type", options.type, ["birth", "compounded"])
    }
    if ((options.type ?? "birth") === "birth") {
      if (options.born === undefined) {
        return yield* new InvalidReportOptions({
          option: "born",
          reason: "birth retention needs the event users are born with",
        })
      }
      yield* checkEventName("born", options.born)
    }
    if (options.returning !== undefined) yield* checkEventName("returning", options.returning)
    if (options.unit !== undefined) yield* checkOneOf("unit", options.unit, UNITS)
    if (options.intervals !== undefined) yield* checkWholeNumber("intervals", options.intervals, 0)
  })

/**
 * Cohort sizes (`i` null) and, per cohort and interval, its users retained in that interval
 * (bounded) or with their last interval there (unbounded).
 */
const retentionSql = (table: ReportTable, options: RetentionOptions): string => {
  const { start, end } = rangeUtcSql(options.from, options.to, table.zone)
  const unitUs = UNIT_SECONDS[options.unit ?? "day"] * 1_000_000
  const intervals = options.intervals ?? DEFAULT_RETENTION_INTERVALS
  const horizon = `INTERVAL ${UNIT_SECONDS[options.unit ?? "day"] * (intervals + 1)} SECOND`
  const key = (utc: string) => bucketKeySql(localTimeSql(utc, table.zone), options.unit ?? "day")
  const returning =
    options.returning === undefined ? "" : `AND r.event_name = ${literal(options.returning)}`
  // a born event is a {t, i, e} struct: its time, then its insert id and name to order events at one instant
  const born = `{'t': event_time, 'i': insert_id, 'e': event_name}`
  const inRange = `event_time >= ${start} AND event_time < ${end}`
  const cohorts =
    (options.type ?? "birth") === "birth"
      ? `SELECT u, ${key("b.t")} AS k, b FROM (
          SELECT distinct_id AS u, min(${born}) AS b FROM ${table.sql}
          WHERE event_name = ${literal(options.born ?? "")} AND ${inRange} GROUP BY ALL)`
      : `SELECT distinct_id AS u, ${key("event_time")} AS k, min(${born}) AS b FROM ${table.sql}
          WHERE ${inRange} ${options.returning === undefined ? "" : `AND event_name = ${literal(options.returning)}`}
          GROUP BY ALL`
  const retained = `SELECT DISTINCT c.k, c.u, (epoch_us(r.event_time) - epoch_us(c.b.t)) // ${unitUs} AS i
    FROM cohorts AS c JOIN ${table.sql} AS r ON r.distinct_id = c.u ${returning}
      AND r.event_time >= ${start} AND r.event_time < ${end} + ${horizon}
      AND r.event_time >= c.b.t AND r.event_time < c.b.t + ${horizon}
      AND NOT (r.event_time = c.b.t AND r.insert_id = c.b.i AND r.event_name = c.b.e)`
  const counted = options.unbounded
    ? `SELECT k, m AS i, count(*) AS n FROM (SELECT k, u, max(i) AS m FROM retained GROUP BY k, u) GROUP BY k, m`
    : "SELECT k, i, count(*) AS n FROM retained GROUP BY k, i"
  return `WITH cohorts AS (${cohorts}), retained AS (${retained})
    SELECT k, NULL::BIGINT AS i, count(*) AS n FROM cohorts GROUP BY k
    UNION ALL ${counted}`
}

/** Retention over the range: Mixpanel's answer, and one row per cohort and interval. */
export const retentionReport = (
  options: RetentionOptions,
): ReportRun<RetentionAnswer, RetentionRow> =>
  Effect.gen(function* () {
    yield* checkRetention(options)
    const table = yield* reportTable(options.table)
    const storage = yield* Storage
    const intervals = options.intervals ?? DEFAULT_RETENTION_INTERVALS
    const dates = rangeBucketKeys(options.from, options.to, options.unit ?? "day")
    const first = new Map<string, number>()
    const counts = new Map<string, Array<number>>()
    for (const date of dates) counts.set(date, Array<number>(intervals + 1).fill(0))
    for (const row of yield* storage.queryObjects(retentionSql(table, options))) {
      const date = String(row.k)
      if (row.i === null) first.set(date, count(row.n))
      else {
        const of = counts.get(date)
        if (of !== undefined) of[Number(row.i)] = count(row.n)
      }
    }
    const answer: Record<Day, { counts: ReadonlyArray<number>; first: number }> = {}
    for (const date of dates) {
      const of = counts.get(date) ?? []
      // unbounded: users whose last interval is i or later
      if (options.unbounded) {
        for (let i = of.length - 2; i >= 0; i--) of[i] = (of[i] ?? 0) + (of[i + 1] ?? 0)
      }
      answer[date] = { counts: of, first: first.get(date) ?? 0 }
    }
    return { answer, rows: answerRows("retention", answer) }
  })
