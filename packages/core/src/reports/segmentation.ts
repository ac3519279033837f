import { Effect } from "effect"
import { literal } from "../storage/names.js"
import { Storage } from "../storage.js"
import { answerRows } from "./answer-rows.js"
import { bucketKeySql, rangeBucketKeys } from "./buckets.js"
import type { ReportRun } from "./errors.js"
import { checkEventName, checkOneOf, checkRange, checkWholeNumber } from "./options.js"
import { count, eventIs, rangeRowsSql } from "./scan.js"
import { reportTable } from "./table.js"
import type {
  ReportUnit,
  SegmentationAnswer,
  SegmentationOptions,
  SegmentationRow,
} from "./types.js"
import { whereSql } from "./where.js"

/**
 * Segmentation (Mixpanel's `/segmentation`): one event per bucket, as events (`general`),
 * distinct users (`unique`) or events per user (`average`, general ÷ unique, 0 for a bucket
 * without users), optionally broken down by one property's value.
 *
 * - Every bucket of the range is in `series` and in each segment's values, 0 where nothing
 *   happened (Mixpanel leaves some out; a missing date means 0 there too).
 * - With `on`, a segment is the property's value as text (numbers and booleans as JSON writes
 *   them, objects and arrays as their JSON); an event whose property is JSON null is in `"null"`,
 *   one without the property in `"undefined"`. The top `limit` segments are kept, ranked by
 *   their total over the whole range: events for general and average, distinct users over the
 *   range for unique (never a sum of buckets); ties by name.
 */

export const segmentationUnits: ReadonlyArray<ReportUnit> = ["hour", "day", "week", "month"]
export const segmentationTypes = ["general", "unique", "average"] as const
export const DEFAULT_SEGMENT_LIMIT = 60

/** `properties ->> key` for any key (`$os`, keys with quotes or dots), by a quoted JSON path. */
const propertyPath = (key: string): string => literal(`$."${key.replaceAll('"', '\\"')}"`)

const segmentSql = (on: string): string => {
  const path = propertyPath(on)
  return `coalesce(properties ->> ${path}, CASE WHEN (properties -> ${path}) IS NULL THEN 'undefined' ELSE 'null' END)`
}

export const segmentationReport = (
  options: SegmentationOptions,
): ReportRun<SegmentationAnswer, SegmentationRow> =>
  Effect.gen(function* () {
    const unit = options.unit ?? "day"
    const type = options.type ?? "general"
    const limit = options.limit ?? DEFAULT_SEGMENT_LIMIT
    yield* checkRange(options)
    yield* checkEventName("event", options.event)
    yield* checkOneOf("unit", unit, segmentationUnits)
    yield* checkOneOf("type", type, segmentationTypes)
    yield* checkWholeNumber("limit", limit, 1)
    if (options.on !== undefined) yield* checkEventName("on", options.on)
    const table = yield* reportTable(options.table)
    const conditions = [eventIs(options.event)]
    if (options.where !== undefined) conditions.push(yield* whereSql(table, options.where))

    const segment = options.on === undefined ? literal(options.event) : segmentSql(options.on)
    const rank = type === "unique" ? "users" : "events"
    const sql = `WITH e AS MATERIALIZED (
      SELECT ${bucketKeySql("local", unit)} AS bucket, segment, distinct_id
      FROM (${rangeRowsSql(table, options, [`${segment} AS segment`, "distinct_id"], conditions)})
    ),
    top AS (
      SELECT segment, row_number() OVER (ORDER BY ${rank} DESC, segment) AS rank
      FROM (SELECT segment, count(*) AS events, count(DISTINCT distinct_id) AS users
            FROM e GROUP BY segment)
      QUALIFY rank <= ${limit}
    )
    SELECT top.rank, e.segment, e.bucket, count(*) AS events, count(DISTINCT e.distinct_id) AS users
    FROM e JOIN top USING (segment)
    GROUP BY ALL
    ORDER BY top.rank, e.bucket`
    const storage = yield* Storage
    const series = rangeBucketKeys(options.from, options.to, unit)
    const found = yield* storage.query(sql)

    const measure = (events: number, users: number): number =>
      type === "general" ? events : type === "unique" ? users : users === 0 ? 0 : events / users
    // segments in rank order (an integer-like name goes first, as in any JSON object)
    const values: Record<string, Record<string, number>> = {}
    const add = (name: string) => {
      values[name] ??= Object.fromEntries(series.map((bucket) => [bucket, 0]))
      return values[name]
    }
    if (options.on === undefined) add(options.event)
    for (const [, segment, bucket, events, users] of found.rows) {
      add(String(segment))[String(bucket)] = measure(count(events), count(users))
    }
    const answer: SegmentationAnswer = {
      data: { series, values },
      legend_size: Object.keys(values).length,
    }
    return { answer, rows: answerRows("segmentation", answer) }
  })
