import { Effect } from "effect"
import { literal } from "../storage/names.js"
import { Storage } from "../storage.js"
import { answerRows } from "./answer-rows.js"
import { bucketKeySql, localTimeSql, rangeBucketKeys, rangeUtcSql } from "./buckets.js"
import { InvalidReportOptions, type ReportRun } from "./errors.js"
import { checkEventName, checkOneOf, checkRange, checkWholeNumber } from "./options.js"
import { count } from "./scan.js"
import { type ReportTable, reportTable } from "./table.js"
import type {
  Day,
  FunnelAnswer,
  FunnelBucket,
  FunnelOptions,
  FunnelRow,
  FunnelStep,
} from "./types.js"

/**
 * Funnels, uniques as Mixpanel's UI counts them by default:
 *
 * - A user enters at their first STEP1 in the range, or with a unit, at their first STEP1 in
 *   each bucket of the range (bucketed in the project zone). Later STEP1s do not move the entry.
 * - Each later step is the user's earliest event of that name at or after the previous step's
 *   time and less than the window after the entry (a step at exactly entry + window is out).
 *   Events at the same instant count in either order; an event fills one step only, so a step
 *   repeated (A → A) needs two events. Taking the earliest event at each step converts every
 *   user who can convert.
 * - Completions are read past `to`, up to the window after the range's end.
 */

export const DEFAULT_FUNNEL_WINDOW_SECONDS = 30 * 86_400

const UNITS = ["day", "week", "month"] as const

const checkFunnel = (options: FunnelOptions): Effect.Effect<void, InvalidReportOptions> =>
  Effect.gen(function* () {
    yield* checkRange(options)
    if (options.steps.length < 2) {
      return yield* new InvalidReportOptions({
        option: "steps",
        reason: `a funnel needs two steps or more, got ${options.steps.length}`,
      })
    }
    for (const step of options.steps) yield* checkEventName("steps", step)
    if (options.windowSeconds !== undefined) {
      yield* checkWholeNumber("windowSeconds", options.windowSeconds, 1)
    }
    if (options.unit !== undefined) yield* checkOneOf("unit", options.unit, UNITS)
  })

/** Per bucket and step: users, and their mean seconds from the previous step and from entry. */
const funnelSql = (table: ReportTable, options: FunnelOptions): string => {
  const { steps, from, to, unit } = options
  const { start, end } = rangeUtcSql(from, to, table.zone)
  const window = `INTERVAL ${options.windowSeconds ?? DEFAULT_FUNNEL_WINDOW_SECONDS} SECOND`
  const key =
    unit === undefined ? literal(from) : bucketKeySql(localTimeSql("ev.p.t", table.zone), unit)
  const names = [...new Set(steps)].map(literal).join(", ")
  // each step's pick is a {t, i} struct: its time, then its insert id to order events at one instant
  const ctes = [
    `ev AS (SELECT distinct_id AS u, event_name AS e, {'t': event_time, 'i': insert_id} AS p
      FROM ${table.sql}
      WHERE event_name IN (${names}) AND event_time >= ${start} AND event_time < ${end} + ${window})`,
    `s0 AS (SELECT ev.u, ${key} AS k, min(ev.p) AS p0 FROM ev
      WHERE ev.e = ${literal(steps[0] ?? "")} AND ev.p.t < ${end} GROUP BY ALL)`,
  ]
  for (let k = 1; k < steps.length; k++) {
    const carried = Array.from({ length: k }, (_, j) => `first(f.p${j}) AS p${j}`).join(", ")
    // the last earlier step of the same name: this one must be a later event than its pick
    const same = steps.slice(0, k).lastIndexOf(steps[k] ?? "")
    ctes.push(`s${k} AS (SELECT f.u, f.k, ${carried}, min(ev.p) AS p${k}
      FROM s${k - 1} AS f JOIN ev ON ev.u = f.u AND ev.e = ${literal(steps[k] ?? "")}
        AND ev.p.t >= f.p${k - 1}.t AND ev.p.t < f.p0.t + ${window}
        ${same >= 0 ? `AND ev.p > f.p${same}` : ""}
      GROUP BY f.u, f.k)`)
  }
  const seconds = (a: string, b: string) => `avg(epoch_us(${a}.t) - epoch_us(${b}.t)) / 1e6`
  const stats = steps.map((_, k) =>
    k === 0
      ? `SELECT k, 0 AS step, count(*) AS n, NULL::DOUBLE AS avg_time, NULL::DOUBLE AS avg_time_from_start FROM s0 GROUP BY k`
      : `SELECT k, ${k}, count(*), ${seconds(`p${k}`, `p${k - 1}`)}, ${seconds(`p${k}`, "p0")} FROM s${k} GROUP BY k`,
  )
  return `WITH ${ctes.join(",\n")}\n${stats.join("\nUNION ALL ")}`
}

const ratio = (n: number, d: number): number => (d === 0 ? 0 : n / d)

const nullableNumber = (value: unknown): number | null => (value === null ? null : Number(value))

/** A bucket's steps and analysis from its users per step (zero where no row). */
const bucketOf = (
  steps: ReadonlyArray<string>,
  stats: ReadonlyMap<number, Record<string, unknown>>,
): FunnelBucket => {
  const counts = steps.map((_, i) => count(stats.get(i)?.n))
  const first = counts[0] ?? 0
  const out: Array<FunnelStep> = steps.map((event, i) => {
    const users = counts[i] ?? 0
    return {
      count: users,
      avg_time: i === 0 ? null : nullableNumber(stats.get(i)?.avg_time ?? null),
      avg_time_from_start:
        i === 0 ? null : nullableNumber(stats.get(i)?.avg_time_from_start ?? null),
      step_conv_ratio: i === 0 ? 1 : ratio(users, counts[i - 1] ?? 0),
      overall_conv_ratio: i === 0 ? 1 : ratio(users, first),
      goal: event,
      event,
    }
  })
  // the step converting the smallest share of the one before (the first such on a tie)
  let worst = 1
  for (let i = 2; i < out.length; i++) {
    if ((out[i]?.step_conv_ratio ?? 1) < (out[worst]?.step_conv_ratio ?? 1)) worst = i
  }
  return {
    steps: out,
    analysis: {
      completion: counts[counts.length - 1] ?? 0,
      starting_amount: first,
      steps: steps.length,
      worst,
    },
  }
}

/** A funnel over the range: Mixpanel's answer, and one row per bucket and step. */
export const funnelReport = (options: FunnelOptions): ReportRun<FunnelAnswer, FunnelRow> =>
  Effect.gen(function* () {
    yield* checkFunnel(options)
    const table = yield* reportTable(options.table)
    const storage = yield* Storage
    const dates: ReadonlyArray<Day> =
      options.unit === undefined
        ? [options.from]
        : rangeBucketKeys(options.from, options.to, options.unit)
    const byDate = new Map<string, Map<number, Record<string, unknown>>>()
    for (const row of yield* storage.queryObjects(funnelSql(table, options))) {
      const date = String(row.k)
      const steps = byDate.get(date) ?? new Map<number, Record<string, unknown>>()
      steps.set(Number(row.step), row)
      byDate.set(date, steps)
    }
    const data: Record<Day, FunnelBucket> = {}
    for (const date of dates) data[date] = bucketOf(options.steps, byDate.get(date) ?? new Map())
    const answer: FunnelAnswer = { meta: { dates }, data }
    return { answer, rows: answerRows("funnel", answer) }
  })
