import { Effect } from "effect"
import { Storage } from "../storage.js"
import { answerRows } from "./answer-rows.js"
import { bucketKeySql, rangeBucketKeys } from "./buckets.js"
import type { ReportRun } from "./errors.js"
import { checkOneOf, checkRange } from "./options.js"
import { count, rangeRowsSql } from "./scan.js"
import { reportTable } from "./table.js"
import type { ActiveAnswer, ActiveOptions, ActiveRow } from "./types.js"

/**
 * Active users: per bucket, the distinct users with any event in it (DAU by day, WAU by week,
 * MAU by month). Buckets are calendar buckets in the table's zone (weeks from Monday), cut to
 * the range: a week or month the range only partly covers counts the users of its days in the
 * range. Every bucket is listed, 0 where nobody was active. The answer has Mixpanel's
 * segmentation shape (`type=unique`), one series named `ACTIVE_SERIES`.
 */

export const activeUnits = ["day", "week", "month"] as const
export const ACTIVE_SERIES = "active users"

export const activeReport = (options: ActiveOptions): ReportRun<ActiveAnswer, ActiveRow> =>
  Effect.gen(function* () {
    const unit = options.unit ?? "day"
    yield* checkRange(options)
    yield* checkOneOf("unit", unit, activeUnits)
    const table = yield* reportTable(options.table)
    const storage = yield* Storage
    const series = rangeBucketKeys(options.from, options.to, unit)
    const found = yield* storage.query(
      `SELECT ${bucketKeySql("local", unit)} AS bucket, count(DISTINCT distinct_id) AS users
       FROM (${rangeRowsSql(table, options, ["distinct_id"])})
       GROUP BY bucket`,
    )
    const users = new Map(found.rows.map(([bucket, n]) => [String(bucket), count(n)]))
    const answer: ActiveAnswer = {
      data: {
        series,
        values: { [ACTIVE_SERIES]: Object.fromEntries(series.map((d) => [d, users.get(d) ?? 0])) },
      },
      legend_size: 1,
    }
    return { answer, rows: answerRows("active", answer) }
  })
