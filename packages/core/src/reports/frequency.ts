import { Effect } from "effect"
import { Storage } from "../storage.js"
import { answerRows } from "./answer-rows.js"
import { bucketKeySql, bucketStartSql, rangeBucketKeys } from "./buckets.js"
import type { ReportRun } from "./errors.js"
import { checkEventName, checkOneOf, checkRange } from "./options.js"
import { count, eventIs, rangeRowsSql } from "./scan.js"
import { reportTable } from "./table.js"
import type { FrequencyAnswer, FrequencyOptions, FrequencyRow } from "./types.js"

/**
 * Frequency (Mixpanel's `/retention/addiction`): per period (`unit`, from its first day), entry
 * k counts the users who did the event in at least k+1 distinct sub-units (`subUnit`) of it.
 * Sub-units are wall-clock hours or days in the table's zone: a DST day's repeated hour is one
 * hour. The array has one entry per sub-unit of the longest period, the same for every period:
 * 24 for day/hour, 1 for day/day, 7 for week/day, 168 for week/hour, 31 for month/day and 744
 * for month/hour (a shorter month's last entries are 0). Periods are calendar periods (weeks
 * from Monday) cut to the range; every period is listed, all zeros when nobody did the event.
 */

export const frequencyUnits = ["day", "week", "month"] as const
export const frequencySubUnits = ["hour", "day"] as const

/** Entries in a period's array: the sub-units of the longest such period. */
export const subUnitsPerPeriod: Record<
  FrequencyOptions["unit"],
  Record<FrequencyOptions["subUnit"], number>
> = {
  day: { hour: 24, day: 1 },
  week: { hour: 168, day: 7 },
  month: { hour: 744, day: 31 },
}

export const frequencyReport = (
  options: FrequencyOptions,
): ReportRun<FrequencyAnswer, FrequencyRow> =>
  Effect.gen(function* () {
    yield* checkRange(options)
    yield* checkEventName("event", options.event)
    yield* checkOneOf("unit", options.unit, frequencyUnits)
    yield* checkOneOf("subUnit", options.subUnit, frequencySubUnits)
    const length = subUnitsPerPeriod[options.unit][options.subUnit]
    const table = yield* reportTable(options.table)
    const storage = yield* Storage
    const periods = rangeBucketKeys(options.from, options.to, options.unit)
    // Per period and user the distinct sub-units; then per period how many users had each count.
    const found = yield* storage.query(
      `SELECT period, n, count(*) AS users
       FROM (
         SELECT ${bucketKeySql("local", options.unit)} AS period,
                count(DISTINCT ${bucketStartSql("local", options.subUnit)}) AS n
         FROM (${rangeRowsSql(table, options, ["distinct_id"], [eventIs(options.event)])})
         GROUP BY period, distinct_id
       )
       GROUP BY period, n`,
    )
    // users with exactly n sub-units, per period
    const exactly = new Map<string, Array<number>>()
    for (const [period, n, users] of found.rows) {
      const counts = exactly.get(String(period)) ?? new Array<number>(length + 1).fill(0)
      counts[Math.min(count(n), length)]! += count(users)
      exactly.set(String(period), counts)
    }
    const data: Record<string, ReadonlyArray<number>> = {}
    for (const date of periods) {
      const counts = exactly.get(date) ?? new Array<number>(length + 1).fill(0)
      // at least k+1 = the users with exactly k+1 or more: sums from the top down
      const atLeast = new Array<number>(length).fill(0)
      let sum = 0
      for (let k = length - 1; k >= 0; k--) {
        sum += counts[k + 1]!
        atLeast[k] = sum
      }
      data[date] = atLeast
    }
    const answer: FrequencyAnswer = { data }
    return { answer, rows: answerRows("frequency", answer) }
  })
