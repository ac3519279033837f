import {
  type BucketUnit,
  bucketKeyOf,
  type FrequencyAnswer,
  type FunnelAnswer,
  type FunnelBucket,
  type FunnelStep,
  parseDay,
  type RetentionAnswer,
  rangeBucketKeys,
  type SegmentationAnswer,
  subUnitsPerPeriod,
} from "@mixpanel-data/core"
import { Result } from "effect"

/**
 * Mixpanel's query answers normalized to the local reports' shapes, as pure functions of the
 * parsed body and what was asked. Mixpanel leaves zero buckets out, lists `series` unsorted,
 * and wraps retention and frequency in `data` or not; a normalized answer lists every bucket of
 * the range (0 where missing) under keys written as the local reports write them, sorted. An
 * answer that cannot be read so is a failure naming what is wrong.
 */

// ---------------------------------------------------------------- shared

/** A failure inside a normalizer: caught at its edge and returned as a value. */
class Shape extends Error {}

const wrong = (reason: string): never => {
  throw new Shape(reason)
}

const normalized = <A>(read: () => A): Result.Result<A, string> => {
  try {
    return Result.succeed(read())
  } catch (error) {
    if (error instanceof Shape) return Result.fail(error.message)
    throw error
  }
}

type Json = Readonly<Record<string, unknown>>

const isRecord = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const record = (value: unknown, what: string): Json =>
  isRecord(value) ? value : wrong(`${what} is not an object`)

const numberAt = (value: unknown, what: string): number =>
  typeof value === "number" && Number.isFinite(value) ? value : wrong(`${what} is not a number`)

const textAt = (value: unknown, what: string): string =>
  typeof value === "string" ? value : wrong(`${what} is not text`)

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const KEY_RE = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2})(?::(\d{2})(?::\d{2}(?:\.\d+)?)?)?)?$/

/**
 * A bucket key as the local reports write it, from Mixpanel's: a day, or a day and time with
 * `T` or a space (`2024-01-01 10:00:00`), read as project time and bucketed by `unit`.
 */
export const bucketKey = (key: string, unit: BucketUnit): string => {
  const m = KEY_RE.exec(key)
  const day = m === null ? undefined : parseDay(m[1] ?? "")
  if (m === null || day === undefined) return wrong(`"${key}" is not a date`)
  const ms = day + Number(m[2] ?? 0) * 3_600_000 + Number(m[3] ?? 0) * 60_000
  return bucketKeyOf(ms, unit)
}

/**
 * The values of one series by bucket key: each given key read as its bucket; two keys falling
 * in one bucket mean the answer is not bucketed by the unit asked.
 */
const bucketValues = (values: Json, unit: BucketUnit, what: string): Map<string, number> => {
  const out = new Map<string, number>()
  const from = new Map<string, string>()
  for (const [given, value] of Object.entries(values)) {
    const key = bucketKey(given, unit)
    const seen = from.get(key)
    if (seen !== undefined) wrong(`${what}: "${seen}" and "${given}" are both in bucket ${key}`)
    from.set(key, given)
    out.set(key, numberAt(value, `${what}["${given}"]`))
  }
  return out
}

/** The range's buckets and any others the answer has, sorted. */
const seriesOf = (
  range: { readonly from: string; readonly to: string },
  unit: BucketUnit,
  found: Iterable<string>,
): Array<string> =>
  [...new Set([...rangeBucketKeys(range.from, range.to, unit), ...found])].sort(compare)

// ---------------------------------------------------------------- segmentation shapes

/** What a series answer was asked for: its range and unit, and the segments it must list. */
export interface SeriesRequest {
  readonly from: string
  readonly to: string
  readonly unit: BucketUnit
  /** Segments listed even when Mixpanel leaves them out (all zeros). */
  readonly segments?: ReadonlyArray<string>
  /**
   * How segments are ordered: `total` by their total over the range, largest first (as the
   * local segmentation ranks general counts), ties by name; `numeric` by the number a bucket's
   * label starts with (`2,000 - 2,100`), then by name.
   */
  readonly order?: "total" | "numeric"
}

const leadingNumber = (label: string): number => {
  const m = /-?\d[\d,]*(?:\.\d+)?/.exec(label)
  return m === null ? Number.POSITIVE_INFINITY : Number(m[0].replaceAll(",", ""))
}

/**
 * `{"data":{"series":[…],"values":{segment:{bucket:n}}},"legend_size":n}` (segmentation,
 * numeric segmentation, `/events`, `/events/properties`): every bucket of the range in `series`
 * and in each segment, sorted; `legend_size` the number of segments.
 */
export const normalizeSeries = (
  body: unknown,
  request: SeriesRequest,
): Result.Result<SegmentationAnswer, string> =>
  normalized(() => {
    const data = record(record(body, "the answer").data, "data")
    const given = record(data.values ?? {}, "data.values")
    const listed = data.series === undefined ? [] : data.series
    if (!Array.isArray(listed)) wrong("data.series is not a list")
    const found = new Set<string>()
    for (const key of listed as Array<unknown>) {
      found.add(bucketKey(textAt(key, "a data.series entry"), request.unit))
    }
    const bySegment = new Map<string, Map<string, number>>()
    for (const [segment, values] of Object.entries(given)) {
      const what = `data.values["${segment}"]`
      const buckets = bucketValues(record(values, what), request.unit, what)
      for (const key of buckets.keys()) found.add(key)
      bySegment.set(segment, buckets)
    }
    for (const segment of request.segments ?? []) {
      if (!bySegment.has(segment)) bySegment.set(segment, new Map())
    }
    const series = seriesOf(request, request.unit, found)
    const total = (values: Map<string, number>) => {
      let sum = 0
      for (const n of values.values()) sum += n
      return sum
    }
    const segments = [...bySegment.keys()]
    if ((request.order ?? "total") === "numeric") {
      segments.sort((a, b) => leadingNumber(a) - leadingNumber(b) || compare(a, b))
    } else {
      const totals = new Map(segments.map((s) => [s, total(bySegment.get(s) ?? new Map())]))
      segments.sort((a, b) => (totals.get(b) ?? 0) - (totals.get(a) ?? 0) || compare(a, b))
    }
    const values: Record<string, Record<string, number>> = {}
    for (const segment of segments) {
      const of = bySegment.get(segment) ?? new Map<string, number>()
      values[segment] = Object.fromEntries(series.map((key) => [key, of.get(key) ?? 0]))
    }
    return { data: { series, values }, legend_size: segments.length }
  })

/** `/segmentation/sum` and `/segmentation/average`: a number per bucket. */
export interface SegmentationSumAnswer {
  readonly status?: string
  readonly computed_at?: string
  /** Every bucket of the range, sorted, 0 where Mixpanel had none. */
  readonly results: Readonly<Record<string, number>>
}

/** `{"status":"ok","computed_at":…,"results":{bucket:n}}`: every bucket listed, sorted. */
export const normalizeSum = (
  body: unknown,
  request: { readonly from: string; readonly to: string; readonly unit: BucketUnit },
): Result.Result<SegmentationSumAnswer, string> =>
  normalized(() => {
    const answer = record(body, "the answer")
    const given = bucketValues(record(answer.results, "results"), request.unit, "results")
    const series = seriesOf(request, request.unit, given.keys())
    return {
      ...(typeof answer.status === "string" ? { status: answer.status } : {}),
      ...(typeof answer.computed_at === "string" ? { computed_at: answer.computed_at } : {}),
      results: Object.fromEntries(series.map((key) => [key, given.get(key) ?? 0])),
    }
  })

// ---------------------------------------------------------------- funnels

/** A funnel step as core writes it, with whatever else Mixpanel says of it (`step_label`, …). */
export type LiveFunnelStep = FunnelStep & { readonly [key: string]: unknown }

/**
 * A funnel in core's shape. With a breakdown (`on`), `data` holds each date's `$overall` and
 * `segments` every segment Mixpanel gave for it.
 */
export interface LiveFunnelAnswer extends FunnelAnswer {
  readonly segments?: Readonly<Record<string, Readonly<Record<string, FunnelBucket>>>>
}

const nullableNumber = (value: unknown, what: string): number | null =>
  value === null || value === undefined ? null : numberAt(value, what)

const ratio = (n: number, d: number): number => (d === 0 ? 0 : n / d)

const CORE_STEP_FIELDS = new Set([
  "count",
  "avg_time",
  "avg_time_from_start",
  "step_conv_ratio",
  "overall_conv_ratio",
  "goal",
  "event",
])

const funnelSteps = (value: unknown, what: string): Array<LiveFunnelStep> => {
  if (!Array.isArray(value)) return wrong(`${what} is not a list`)
  const counts = value.map((step, i) =>
    numberAt(record(step, `${what}[${i}]`).count, `${what}[${i}].count`),
  )
  return value.map((raw, i): LiveFunnelStep => {
    const step = record(raw, `${what}[${i}]`)
    const at = `${what}[${i}]`
    const event = step.event ?? step.goal
    const goal = step.goal ?? step.event
    const count = counts[i] ?? 0
    const extra = Object.fromEntries(Object.entries(step).filter(([k]) => !CORE_STEP_FIELDS.has(k)))
    return {
      count,
      // no step before the first: no time from it
      avg_time: i === 0 ? null : nullableNumber(step.avg_time, `${at}.avg_time`),
      avg_time_from_start:
        i === 0 ? null : nullableNumber(step.avg_time_from_start, `${at}.avg_time_from_start`),
      step_conv_ratio:
        step.step_conv_ratio === undefined
          ? i === 0
            ? 1
            : ratio(count, counts[i - 1] ?? 0)
          : numberAt(step.step_conv_ratio, `${at}.step_conv_ratio`),
      overall_conv_ratio:
        step.overall_conv_ratio === undefined
          ? i === 0
            ? 1
            : ratio(count, counts[0] ?? 0)
          : numberAt(step.overall_conv_ratio, `${at}.overall_conv_ratio`),
      goal: textAt(goal, `${at}.goal`),
      event: textAt(event, `${at}.event`),
      ...extra,
    }
  })
}

/** The step converting the smallest share of the one before (the first such), as core's. */
const worstStep = (steps: ReadonlyArray<FunnelStep>): number => {
  let worst = 1
  for (let i = 2; i < steps.length; i++) {
    if ((steps[i]?.step_conv_ratio ?? 1) < (steps[worst]?.step_conv_ratio ?? 1)) worst = i
  }
  return worst
}

/** A bucket from `{"steps":[…],"analysis":{…}}` or a bare list of steps. */
const funnelBucket = (value: unknown, what: string): FunnelBucket => {
  const bucket = Array.isArray(value) ? { steps: value } : record(value, what)
  const steps = funnelSteps(bucket.steps, `${what}.steps`)
  const analysis = isRecord(bucket.analysis) ? bucket.analysis : {}
  const given = (name: string, fallback: number) =>
    analysis[name] === undefined ? fallback : numberAt(analysis[name], `${what}.analysis.${name}`)
  return {
    steps,
    analysis: {
      completion: given("completion", steps[steps.length - 1]?.count ?? 0),
      starting_amount: given("starting_amount", steps[0]?.count ?? 0),
      steps: given("steps", steps.length),
      worst: given("worst", worstStep(steps)),
    },
  }
}

/** A bucket where nobody entered, with the steps of another bucket. */
const emptyBucket = (like: FunnelBucket): FunnelBucket => {
  const steps = like.steps.map(
    (step, i): LiveFunnelStep => ({
      ...step,
      count: 0,
      avg_time: null,
      avg_time_from_start: null,
      step_conv_ratio: i === 0 ? 1 : 0,
      overall_conv_ratio: i === 0 ? 1 : 0,
    }),
  )
  return {
    steps,
    analysis: { completion: 0, starting_amount: 0, steps: steps.length, worst: worstStep(steps) },
  }
}

export interface FunnelRequest {
  readonly from: string
  readonly to: string
  /** The entry buckets asked for; with it, every bucket of the range is listed. */
  readonly unit?: "day" | "week" | "month"
}

const OVERALL = "$overall"

/**
 * `{"meta":{"dates":[…]},"data":{date:{"steps":[…],"analysis":{…}}}}`: dates sorted (with a
 * unit, every bucket of the range, nobody entering where Mixpanel has none), steps in core's
 * fields (no times at step 0, ratios computed where missing) plus Mixpanel's others.
 */
export const normalizeFunnel = (
  body: unknown,
  request: FunnelRequest,
): Result.Result<LiveFunnelAnswer, string> =>
  normalized(() => {
    const answer = record(body, "the answer")
    const meta = answer.meta === undefined ? {} : record(answer.meta, "meta")
    const given = record(answer.data ?? {}, "data")
    const listed = meta.dates === undefined ? [] : meta.dates
    if (!Array.isArray(listed)) wrong("meta.dates is not a list")
    const key = (date: string) => bucketKey(date, request.unit ?? "day")
    const data: Record<string, FunnelBucket> = {}
    const segments: Record<string, Record<string, FunnelBucket>> = {}
    for (const [date, value] of Object.entries(given)) {
      const what = `data["${date}"]`
      const at = key(date)
      if (data[at] !== undefined) wrong(`${what} is in bucket ${at} twice`)
      const node = Array.isArray(value) ? value : record(value, what)
      if (Array.isArray(node) || "steps" in node) {
        data[at] = funnelBucket(node, what)
        continue
      }
      // a breakdown: one bucket per segment, `$overall` for all
      const bySegment: Record<string, FunnelBucket> = {}
      for (const segment of Object.keys(node).sort(compare)) {
        bySegment[segment] = funnelBucket(node[segment], `${what}["${segment}"]`)
      }
      segments[at] = bySegment
      const overall = bySegment[OVERALL]
      if (overall !== undefined) data[at] = overall
    }
    const found = new Set([
      ...(listed as Array<unknown>).map((d) => key(textAt(d, "a meta.dates entry"))),
      ...Object.keys(data),
    ])
    const like = Object.values(data)[0]
    if (request.unit !== undefined && like !== undefined) {
      for (const date of rangeBucketKeys(request.from, request.to, request.unit)) {
        found.add(date)
        data[date] ??= emptyBucket(like)
      }
    }
    const dates = [...found]
      .filter((d) => data[d] !== undefined || segments[d] !== undefined)
      .sort(compare)
    const sortedData = Object.fromEntries(
      dates.filter((d) => data[d] !== undefined).map((d) => [d, data[d] as FunnelBucket]),
    )
    const sortedSegments = Object.fromEntries(
      dates.filter((d) => segments[d] !== undefined).map((d) => [d, segments[d] ?? {}]),
    )
    return {
      meta: { dates },
      data: sortedData,
      ...(Object.keys(sortedSegments).length > 0 ? { segments: sortedSegments } : {}),
    }
  })

// ---------------------------------------------------------------- retention and frequency

/** The dated entries of a body: inside `data` when it is there, else the top level's. */
const datedEntries = (body: unknown): Array<[string, unknown]> => {
  const answer = record(body, "the answer")
  const inner = isRecord(answer.data) ? answer.data : answer
  return Object.entries(inner).filter(([key]) => KEY_RE.test(key))
}

export interface RetentionRequest {
  readonly from: string
  readonly to: string
  readonly unit?: "day" | "week" | "month"
  /** Intervals after the 0th asked for: `counts` then has this many + 1 entries. */
  readonly intervals?: number
}

/**
 * `{date:{"counts":[…],"first":n}}`, or the same inside `data`: cohorts sorted, every bucket of
 * the range listed (empty where Mixpanel has none), `counts` padded with zeros to the intervals
 * asked for.
 */
export const normalizeRetention = (
  body: unknown,
  request: RetentionRequest,
): Result.Result<RetentionAnswer, string> =>
  normalized(() => {
    const unit = request.unit ?? "day"
    const cohorts = new Map<string, { counts: Array<number>; first: number }>()
    for (const [date, value] of datedEntries(body)) {
      const what = `cohort "${date}"`
      const cohort = record(value, what)
      const key = bucketKey(date, unit)
      if (cohorts.has(key)) wrong(`${what} is in bucket ${key} twice`)
      if (!Array.isArray(cohort.counts)) wrong(`${what}: counts is not a list`)
      cohorts.set(key, {
        counts: (cohort.counts as Array<unknown>).map((n, i) =>
          numberAt(n, `${what}.counts[${i}]`),
        ),
        first: numberAt(cohort.first, `${what}.first`),
      })
    }
    let length = request.intervals === undefined ? 1 : request.intervals + 1
    for (const cohort of cohorts.values()) length = Math.max(length, cohort.counts.length)
    const answer: Record<string, { counts: ReadonlyArray<number>; first: number }> = {}
    for (const date of seriesOf(request, unit, cohorts.keys())) {
      const cohort = cohorts.get(date) ?? { counts: [], first: 0 }
      const counts = [...cohort.counts]
      while (counts.length < length) counts.push(0)
      answer[date] = { counts, first: cohort.first }
    }
    return answer
  })

export interface FrequencyRequest {
  readonly from: string
  readonly to: string
  readonly unit: "day" | "week" | "month"
  readonly subUnit: "hour" | "day"
}

/**
 * `{"data":{date:[n0, n1, …]}}` or the same without `data`: periods sorted, every period of the
 * range listed, each list padded with zeros to the sub-units of the longest period (24 for
 * day/hour), as the local report gives it.
 */
export const normalizeFrequency = (
  body: unknown,
  request: FrequencyRequest,
): Result.Result<FrequencyAnswer, string> =>
  normalized(() => {
    const length = subUnitsPerPeriod[request.unit][request.subUnit]
    const periods = new Map<string, Array<number>>()
    for (const [date, value] of datedEntries(body)) {
      const what = `period "${date}"`
      if (!Array.isArray(value)) wrong(`${what} is not a list`)
      const key = bucketKey(date, request.unit)
      if (periods.has(key)) wrong(`${what} is in bucket ${key} twice`)
      periods.set(
        key,
        (value as Array<unknown>).map((n, i) => numberAt(n, `${what}[${i}]`)),
      )
    }
    const data: Record<string, ReadonlyArray<number>> = {}
    for (const date of seriesOf(request, request.unit, periods.keys())) {
      const users = [...(periods.get(date) ?? [])]
      while (users.length < length) users.push(0)
      data[date] = users
    }
    return { data }
  })

// ---------------------------------------------------------------- insights

/** A saved report's answer as Mixpanel gives it, the keys of `series` sorted at every level. */
export interface InsightsAnswer {
  readonly computed_at: string
  readonly date_range: { readonly from_date: string; readonly to_date: string }
  /** The names of the levels of `series`. */
  readonly headers: ReadonlyArray<string>
  /** Metric → (segment → …) → ISO date with the project's offset → value. */
  readonly series: Readonly<Record<string, unknown>>
  readonly [key: string]: unknown
}

const sortedDeep = (value: unknown): unknown =>
  isRecord(value)
    ? Object.fromEntries(
        Object.keys(value)
          .sort(compare)
          .map((k) => [k, sortedDeep(value[k])]),
      )
    : value

/** `{"computed_at","date_range":{from_date,to_date},"headers":[…],"series":{…}}`. */
export const normalizeInsights = (body: unknown): Result.Result<InsightsAnswer, string> =>
  normalized(() => {
    const answer = record(body, "the answer")
    const range = record(answer.date_range, "date_range")
    const headers = answer.headers ?? []
    if (!Array.isArray(headers)) wrong("headers is not a list")
    return {
      ...answer,
      computed_at: textAt(answer.computed_at, "computed_at"),
      date_range: {
        ...range,
        from_date: textAt(range.from_date, "date_range.from_date"),
        to_date: textAt(range.to_date, "date_range.to_date"),
      },
      headers: (headers as Array<unknown>).map((h, i) => textAt(h, `headers[${i}]`)),
      series: sortedDeep(record(answer.series, "series")) as Record<string, unknown>,
    }
  })
