/**
 * Retention endpoints of the query API.
 *
 * `GET /retention`:
 * - Cohort buckets: `unit` (day, week, month; default day) buckets of the range, `interval` of
 *   them to a cohort (default 1), keyed by the first. Every cohort date of the range is listed.
 * - birth: a user's cohort is the bucket of their first `born_event` (passing `born_where`) in
 *   `from_date..to_date`; nothing before `from_date` is looked at. compounded: the cohort of a
 *   bucket is everyone who did `event` (any event when absent; passing `where`) in it, born at
 *   their first such event there, so a user can be in several cohorts.
 * - `counts[i]`, for i in 0..`interval_count` (default 1): cohort users with a return event
 *   (`event`, or any event, passing `where`) in [born + i·L, born + (i+1)·L), L being `interval`
 *   units of 24 hours, 7 days or 30 days from the user's own born time. A return is an event at
 *   or after the born time other than the born event itself; returns are read past `to_date`.
 *   `unbounded_retention=true`: users retained in interval i or any later one.
 * - `on` segments users by the value (as text) of their born event: each date then maps to
 *   `{"$overall": {counts, first}, "<value>": ...}` for the top `limit` values by cohort size.
 *
 * `GET /retention/addiction`: per period (`unit` calendar periods cut to the range), entry k of
 * its array counts the users who did `event` (any event when absent; passing `where`) in at
 * least k+1 distinct sub-units (`addiction_unit`: wall-clock hours or days) of it. The array has
 * one entry per sub-unit of the longest period: 24 for day/hour, 1 for day/day, 7 for week/day,
 * 168 for week/hour, 31 for month/day, 744 for month/hour. Every period of the range is listed,
 * in a `data` wrapper unless `queryShape.frequencyWrapper` is false.
 */
import { Buckets, ordinalOf } from "./buckets.js"
import type { Dataset } from "./dataset.js"
import { eventNames, scanEvents, userRows } from "./day-table.js"
import { EventScope } from "./events.js"
import {
  ParamError,
  type Params,
  type Prepared,
  type Route,
  rangeDays,
  reportRoute,
  shapeOf,
} from "./query-params.js"
import type { RouteContext } from "./server.js"
import { type Predicate, segmentText, type WhereScope } from "./where.js"

const DAY_MS = 86_400_000

const unitDays = { day: 1, week: 7, month: 30 } as const

export interface RetentionQuery {
  readonly type: "birth" | "compounded"
  readonly bornEvent?: string | undefined
  /** The returning event; any event when absent. */
  readonly event?: string | undefined
  readonly bornWhere?: Predicate | undefined
  readonly where?: Predicate | undefined
  readonly fromDay: number
  readonly toDay: number
  readonly unit: "day" | "week" | "month"
  readonly interval: number
  readonly intervalCount: number
  readonly unbounded: boolean
  readonly on?: ((scope: WhereScope) => unknown) | undefined
}

export interface RetentionCohort {
  readonly counts: ReadonlyArray<number>
  readonly first: number
}

/** Per segment (`$overall` always) and cohort bucket: its size and users per interval. */
const retentionCohorts = (
  ds: Dataset,
  q: RetentionQuery,
  buckets: Buckets,
): Map<string, Array<{ first: number; counts: number[] } | undefined>> => {
  const lengthMs = q.interval * unitDays[q.unit] * DAY_MS
  const horizonMs = lengthMs * (q.intervalCount + 1)
  const bornName = q.type === "birth" ? q.bornEvent : q.event
  const bornWhere = q.type === "birth" ? q.bornWhere : q.where
  const withEvents = q.where !== undefined || q.bornWhere !== undefined || q.on !== undefined
  const rows = userRows(ds, {
    fromDay: q.fromDay,
    toDay: q.toDay + Math.ceil(horizonMs / DAY_MS) + 1,
    ...(q.event !== undefined && bornName !== undefined
      ? { names: new Set([q.event, bornName]) }
      : {}),
    withEvents,
  })
  const names = eventNames(ds)
  const start = ds.calendar.dayBounds(q.fromDay).start
  const end = ds.calendar.dayBounds(q.toDay).end
  const scope = new EventScope(ds)
  const passes = (row: number, name: string | undefined, where: Predicate | undefined): boolean => {
    if (name !== undefined && names[rows.name[row]!] !== name) return false
    if (where === undefined) return true
    scope.ev = rows.events[row]
    return where(scope)
  }
  const out = new Map<string, Array<{ first: number; counts: number[] } | undefined>>()
  const cohortOf = (segment: string, b: number) => {
    let bySegment = out.get(segment)
    if (bySegment === undefined) {
      bySegment = []
      out.set(segment, bySegment)
    }
    let c = bySegment[b]
    if (c === undefined) {
      c = { first: 0, counts: new Array<number>(q.intervalCount + 1).fill(0) }
      bySegment[b] = c
    }
    return c
  }
  const born = new Map<number, number>()
  const reached = new Uint8Array(q.intervalCount + 1)
  for (let a = 0; a < rows.size; ) {
    const user = rows.user[rows.order[a]!]!
    let e = a
    while (e < rows.size && rows.user[rows.order[e]!] === user) e++
    // the user's born events: cohort bucket -> position
    born.clear()
    for (let p = a; p < e; p++) {
      const row = rows.order[p]!
      const t = rows.timeMs[row]!
      if (t < start || t >= end) continue
      if (!passes(row, bornName, bornWhere)) continue
      const b = buckets.index(rows.localMs[row]!)
      if (b < 0 || born.has(b)) continue
      born.set(b, p)
      if (q.type === "birth") break
    }
    for (const [b, p] of born) {
      const bornRow = rows.order[p]!
      const t0 = rows.timeMs[bornRow]!
      reached.fill(0)
      let s = p
      while (s > a && rows.timeMs[rows.order[s - 1]!]! >= t0) s--
      for (let c = s; c < e; c++) {
        const row = rows.order[c]!
        const t = rows.timeMs[row]!
        if (t >= t0 + horizonMs) break
        if (c === p || !passes(row, q.event, q.where)) continue
        reached[Math.floor((t - t0) / lengthMs)] = 1
      }
      const segments = ["$overall"]
      if (q.on !== undefined) {
        scope.ev = rows.events[bornRow]
        segments.push(segmentText(q.on(scope)))
      }
      let last = -1
      for (let i = 0; i <= q.intervalCount; i++) if (reached[i]) last = i
      for (const segment of segments) {
        const cohort = cohortOf(segment, b)
        cohort.first++
        for (let i = 0; i <= q.intervalCount; i++)
          if (q.unbounded ? i <= last : reached[i] === 1) cohort.counts[i]!++
      }
    }
    a = e
  }
  return out
}

/** Mixpanel's retention answer: per cohort date `{counts, first}` (see above). */
export const retentionAnswer = (
  ds: Dataset,
  q: RetentionQuery,
  limit: number,
): Record<string, unknown> => {
  const buckets = Buckets.ofDays(q.unit, q.fromDay, q.toDay, q.interval)
  const cohorts = retentionCohorts(ds, q, buckets)
  const of = (segment: string, b: number): RetentionCohort => {
    const c = cohorts.get(segment)?.[b]
    return c === undefined
      ? { counts: new Array<number>(q.intervalCount + 1).fill(0), first: 0 }
      : { counts: c.counts, first: c.first }
  }
  const out: Record<string, unknown> = {}
  if (q.on === undefined) {
    buckets.keys.forEach((key, b) => {
      out[key] = of("$overall", b)
    })
    return out
  }
  const size = (segment: string): number =>
    (cohorts.get(segment) ?? []).reduce((t, c) => t + (c?.first ?? 0), 0)
  const segments = [...cohorts.keys()]
    .filter((s) => s !== "$overall")
    .map((s) => [s, size(s)] as const)
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    .slice(0, limit)
    .map(([s]) => s)
  buckets.keys.forEach((key, b) => {
    const bucket: Record<string, RetentionCohort> = { $overall: of("$overall", b) }
    for (const s of segments) if (cohorts.get(s)?.[b] !== undefined) bucket[s] = of(s, b)
    out[key] = bucket
  })
  return out
}

const retention = (ctx: RouteContext, p: Params): Prepared => {
  const { fromDay, toDay } = p.dateRange()
  const type = p.oneOf("retention_type", ["birth", "compounded"], "birth")
  const bornEvent = p.text("born_event")
  if (type === "birth" && bornEvent === undefined)
    throw new ParamError("born_event is required for birth retention")
  const unit = p.oneOf("unit", ["day", "week", "month"], "day")
  const interval = p.integer("interval", 1, unit === "day" ? 90 : 100_000, 1)
  const q: RetentionQuery = {
    type,
    bornEvent,
    event: p.text("event"),
    bornWhere: p.where("born_where"),
    where: p.where("where"),
    fromDay,
    toDay,
    unit,
    interval,
    intervalCount: p.integer("interval_count", 0, 10_000, 1),
    unbounded: p.boolean("unbounded_retention", false),
    on: p.expression("on"),
  }
  const limit = p.integer("limit", 1, 10_000, 255)
  return { days: rangeDays(fromDay, toDay), compute: () => retentionAnswer(ctx.ds, q, limit) }
}

/** Sub-units per period: the longest period's, so every period's array has the same length. */
const subUnits = {
  day: { hour: 24, day: 1 },
  week: { hour: 168, day: 7 },
  month: { hour: 744, day: 31 },
} as const

export interface AddictionQuery {
  readonly fromDay: number
  readonly toDay: number
  readonly unit: "day" | "week" | "month"
  readonly addictionUnit: "hour" | "day"
  readonly event?: string | undefined
  readonly where?: Predicate | undefined
}

/** Per period key, users with at least k+1 distinct sub-units (see above). */
export const addictionData = (ds: Dataset, q: AddictionQuery): Record<string, number[]> => {
  const buckets = Buckets.ofDays(q.unit, q.fromDay, q.toDay)
  const length = subUnits[q.unit][q.addictionUnit]
  // per period: user -> distinct sub-units
  const seen = buckets.keys.map(() => new Map<number, Set<number>>())
  scanEvents(
    ds,
    {
      fromDay: q.fromDay,
      toDay: q.toDay,
      names: q.event === undefined ? undefined : new Set([q.event]),
      where: q.where,
    },
    (t, k) => {
      const local = t.localMs[k]!
      const b = buckets.index(local)
      if (b < 0) return
      const users = seen[b]!
      let s = users.get(t.user[k]!)
      if (s === undefined) {
        s = new Set()
        users.set(t.user[k]!, s)
      }
      s.add(ordinalOf(q.addictionUnit, local))
    },
  )
  const data: Record<string, number[]> = {}
  buckets.keys.forEach((key, b) => {
    const atLeast = new Array<number>(length).fill(0)
    for (const s of seen[b]!.values()) {
      for (let k = 0; k < Math.min(s.size, length); k++) atLeast[k]!++
    }
    data[key] = atLeast
  })
  return data
}

const addiction = (ctx: RouteContext, p: Params): Prepared => {
  const { fromDay, toDay } = p.dateRange()
  const q: AddictionQuery = {
    fromDay,
    toDay,
    unit: p.oneOf("unit", ["day", "week", "month"]),
    addictionUnit: p.oneOf("addiction_unit", ["hour", "day"]),
    event: p.text("event"),
    where: p.where("where"),
  }
  return {
    days: rangeDays(fromDay, toDay),
    compute: () => {
      const data = addictionData(ctx.ds, q)
      return shapeOf(ctx).frequencyWrapper ? { data } : data
    },
  }
}

export const queryRetentionRoutes: Readonly<Record<string, Route>> = {
  "/api/query/retention": reportRoute(retention),
  "/api/query/retention/addiction": reportRoute(addiction),
}
