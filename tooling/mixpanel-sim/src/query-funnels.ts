/**
 * `GET /funnels` over the saved funnels (`funnelDefinitions`), counted in uniques:
 *
 * - Buckets: `unit` (day, week, month) or `interval` days (default 1) from `from_date`. In each
 *   bucket a user enters at their first step-1 event there (within `from_date..to_date`); later
 *   step-1 events do not move the entry. A user can enter in several buckets.
 * - Each later step is the user's earliest event of that name at or after the previous step's
 *   time and less than the window (`length` × `length_unit`, default the saved one, at most 90
 *   days) after the entry. Events at the same instant count in either order; an event fills one
 *   step only, so a repeated step needs a later event. Completions are read past `to_date`, as
 *   far as the dataset goes.
 * - `where` filters every step's events; `on` segments users by the value (as text) of their
 *   entry event. With `on`, each date maps to `{"$overall": {steps, analysis}, "<value>": ...}`
 *   for the top `limit` values by users entering over the range (ties by name).
 * - `avg_time` (from the previous step) and `avg_time_from_start` are mean seconds over the
 *   users reaching the step, null at step 1 and where nobody did; `worst` is the step (from 1)
 *   converting the smallest share of the one before, the first on a tie.
 */
import { Buckets } from "./buckets.js"
import type { Dataset } from "./dataset.js"
import { eventNames, userRows } from "./day-table.js"
import { EventScope } from "./events.js"
import { type FunnelDefinition, funnelDefinitions } from "./profiles.js"
import {
  ParamError,
  type Params,
  type Prepared,
  type Route,
  rangeDays,
  reportRoute,
} from "./query-params.js"
import type { RouteContext } from "./server.js"
import { type Predicate, segmentText, type WhereScope } from "./where.js"

const DAY_MS = 86_400_000
const MAX_WINDOW_MS = 90 * DAY_MS

const unitMs: Record<FunnelDefinition["length_unit"], number> = {
  day: DAY_MS,
  hour: 3_600_000,
  minute: 60_000,
  second: 1000,
}

export interface FunnelStepAnswer {
  readonly count: number
  readonly avg_time: number | null
  readonly avg_time_from_start: number | null
  readonly step_conv_ratio: number
  readonly overall_conv_ratio: number
  readonly goal: string
  readonly event: string
}

export interface FunnelBucketAnswer {
  readonly steps: ReadonlyArray<FunnelStepAnswer>
  readonly analysis: {
    readonly completion: number
    readonly starting_amount: number
    readonly steps: number
    readonly worst: number
  }
}

/** Per step: users reaching it, and their summed ms from the previous step and from entry. */
interface StepSums {
  readonly count: Float64Array
  readonly fromPrevious: Float64Array
  readonly fromStart: Float64Array
}

const newSums = (n: number): StepSums => ({
  count: new Float64Array(n),
  fromPrevious: new Float64Array(n),
  fromStart: new Float64Array(n),
})

const ratio = (n: number, d: number): number => (d === 0 ? 0 : n / d)

const bucketAnswer = (
  steps: ReadonlyArray<string>,
  s: StepSums | undefined,
): FunnelBucketAnswer => {
  const sums = s ?? newSums(steps.length)
  const first = sums.count[0]!
  const out = steps.map((event, i): FunnelStepAnswer => {
    const n = sums.count[i]!
    return {
      count: n,
      avg_time: i === 0 || n === 0 ? null : sums.fromPrevious[i]! / n / 1000,
      avg_time_from_start: i === 0 || n === 0 ? null : sums.fromStart[i]! / n / 1000,
      step_conv_ratio: i === 0 ? 1 : ratio(n, sums.count[i - 1]!),
      overall_conv_ratio: i === 0 ? 1 : ratio(n, first),
      goal: event,
      event,
    }
  })
  let worst = 1
  for (let i = 2; i < out.length; i++)
    if (out[i]!.step_conv_ratio < out[worst]!.step_conv_ratio) worst = i
  return {
    steps: out,
    analysis: {
      completion: sums.count[steps.length - 1]!,
      starting_amount: first,
      steps: steps.length,
      worst,
    },
  }
}

export interface FunnelQuery {
  readonly steps: ReadonlyArray<string>
  readonly fromDay: number
  readonly toDay: number
  readonly windowMs: number
  readonly buckets: Buckets
  readonly where?: Predicate | undefined
  readonly on?: ((scope: WhereScope) => unknown) | undefined
}

/** Per bucket and segment (`$overall` always) the funnel's step sums. */
const funnelSums = (ds: Dataset, q: FunnelQuery): Map<string, Array<StepSums | undefined>> => {
  const n = q.steps.length
  const rows = userRows(ds, {
    fromDay: q.fromDay,
    toDay: q.toDay + Math.ceil(q.windowMs / DAY_MS) + 1,
    names: new Set(q.steps),
    where: q.where,
    withEvents: q.on !== undefined,
  })
  const names = eventNames(ds)
  // step numbers of each row's event name, and per step the last earlier step of the same name
  const stepsOf = new Map<number, number[]>()
  const sameBefore = q.steps.map((s, k) => q.steps.slice(0, k).lastIndexOf(s))
  const start = ds.calendar.dayBounds(q.fromDay).start
  const end = ds.calendar.dayBounds(q.toDay).end
  const bucketCount = q.buckets.keys.length
  const out = new Map<string, Array<StepSums | undefined>>()
  const sumsOf = (segment: string, b: number): StepSums => {
    let bySegment = out.get(segment)
    if (bySegment === undefined) {
      bySegment = new Array<StepSums | undefined>(bucketCount)
      out.set(segment, bySegment)
    }
    let s = bySegment[b]
    if (s === undefined) {
      s = newSums(n)
      bySegment[b] = s
    }
    return s
  }
  const scope = new EventScope(ds)
  const isStep = (row: number, k: number): boolean => {
    const nameId = rows.name[row]!
    let ks = stepsOf.get(nameId)
    if (ks === undefined) {
      ks = []
      q.steps.forEach((s, i) => {
        if (s === names[nameId]) ks!.push(i)
      })
      stepsOf.set(nameId, ks)
    }
    return ks.includes(k)
  }
  const picks = new Int32Array(n)
  const entered = new Set<number>()
  // one user at a time: positions a..b of `rows.order`
  for (let a = 0; a < rows.size; ) {
    const user = rows.user[rows.order[a]!]!
    let b = a
    while (b < rows.size && rows.user[rows.order[b]!] === user) b++
    entered.clear()
    for (let p = a; p < b; p++) {
      const entry = rows.order[p]!
      const t0 = rows.timeMs[entry]!
      if (t0 < start || t0 >= end || !isStep(entry, 0)) continue
      const bucket = q.buckets.index(rows.localMs[entry]!)
      if (bucket < 0 || entered.has(bucket)) continue
      entered.add(bucket)
      picks[0] = p
      let reached = 1
      for (let k = 1; k < n; k++) {
        const previous = rows.timeMs[rows.order[picks[k - 1]!]!]!
        // events at the previous step's instant count in either order
        let s = picks[k - 1]!
        while (s > a && rows.timeMs[rows.order[s - 1]!]! >= previous) s--
        const after = sameBefore[k]! >= 0 ? picks[sameBefore[k]!]! : -1
        let found = -1
        for (let c = s; c < b; c++) {
          const row = rows.order[c]!
          if (rows.timeMs[row]! >= t0 + q.windowMs) break
          if (c > after && c !== picks[k - 1] && isStep(row, k)) {
            found = c
            break
          }
        }
        if (found < 0) break
        picks[k] = found
        reached = k + 1
      }
      const segments = ["$overall"]
      if (q.on !== undefined) {
        scope.ev = rows.events[entry]
        segments.push(segmentText(q.on(scope)))
      }
      for (const segment of segments) {
        const sums = sumsOf(segment, bucket)
        for (let k = 0; k < reached; k++) {
          const t = rows.timeMs[rows.order[picks[k]!]!]!
          sums.count[k]!++
          if (k > 0) {
            sums.fromPrevious[k]! += t - rows.timeMs[rows.order[picks[k - 1]!]!]!
            sums.fromStart[k]! += t - t0
          }
        }
      }
    }
    a = b
  }
  return out
}

/** Mixpanel's funnel answer: `meta.dates` and per date the steps and analysis (see above). */
export const funnelAnswer = (
  ds: Dataset,
  q: FunnelQuery,
  limit: number,
): { meta: { dates: ReadonlyArray<string> }; data: Record<string, unknown> } => {
  const sums = funnelSums(ds, q)
  const keys = q.buckets.keys
  const data: Record<string, unknown> = {}
  if (q.on === undefined) {
    const overall = sums.get("$overall")
    keys.forEach((key, b) => {
      data[key] = bucketAnswer(q.steps, overall?.[b])
    })
    return { meta: { dates: keys }, data }
  }
  const entering = (segment: string): number =>
    (sums.get(segment) ?? []).reduce((t, s) => t + (s?.count[0] ?? 0), 0)
  const segments = [...sums.keys()]
    .filter((s) => s !== "$overall")
    .map((s) => [s, entering(s)] as const)
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    .slice(0, limit)
    .map(([s]) => s)
  keys.forEach((key, b) => {
    const bucket: Record<string, FunnelBucketAnswer> = {
      $overall: bucketAnswer(q.steps, sums.get("$overall")?.[b]),
    }
    for (const s of segments) {
      const at = sums.get(s)?.[b]
      if (at !== undefined) bucket[s] = bucketAnswer(q.steps, at)
    }
    data[key] = bucket
  })
  return { meta: { dates: keys }, data }
}

const funnel = (ctx: RouteContext, p: Params): Prepared => {
  const idText = p.required("funnel_id")
  const def = funnelDefinitions.find((f) => String(f.funnel_id) === idText)
  if (def === undefined)
    throw new ParamError(`invalid funnel_id: ${idText} (no saved funnel has it)`)
  const { fromDay, toDay } = p.dateRange()
  const lengthUnit = p.oneOf("length_unit", ["day", "hour", "minute", "second"], def.length_unit)
  const length = p.integer("length", 1, Number.MAX_SAFE_INTEGER, def.length)
  const windowMs = length * unitMs[lengthUnit]
  if (windowMs > MAX_WINDOW_MS)
    throw new ParamError(`invalid length: ${length} ${lengthUnit}s (at most 90 days)`)
  const unit = p.text("unit") === undefined ? undefined : p.oneOf("unit", ["day", "week", "month"])
  const interval = p.integer("interval", 1, 100_000, 1)
  const buckets =
    unit === undefined
      ? Buckets.ofDays("day", fromDay, toDay, interval)
      : Buckets.ofDays(unit, fromDay, toDay)
  const where = p.where("where")
  const on = p.expression("on")
  const limit = p.integer("limit", 1, 10_000, 255)
  return {
    days: rangeDays(fromDay, toDay),
    compute: () =>
      funnelAnswer(
        ctx.ds,
        { steps: def.steps, fromDay, toDay, windowMs, buckets, where, on },
        limit,
      ),
  }
}

export const queryFunnelRoutes: Readonly<Record<string, Route>> = {
  "/api/query/funnels": reportRoute(funnel),
}
