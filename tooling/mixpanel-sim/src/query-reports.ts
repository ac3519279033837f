/**
 * Segmentation and event breakdown endpoints of the query API, computed over the dataset's
 * original events (`day-table.ts`) in the project calendar:
 *
 * - `/segmentation`: one event per bucket as `general` (events), `unique` (distinct users) or
 *   `average` (general ÷ unique), optionally by `on` (the expression's value as text, see
 *   `segmentText`), the top `limit` (default 60) values ranked over the whole range (distinct
 *   users for `unique`, events otherwise; ties by name).
 * - `/segmentation/numeric`: `on` (required) read as a number, events with another value left
 *   out, put in buckets of equal width: the width is the smallest of 1, 2 or 5 times a power
 *   of ten at least a tenth of the values' span over the range (of the largest magnitude when
 *   they are all one value; 1 when that is 0), a value `v` falls in `[w·⌊v/w⌋, w·⌊v/w⌋ + w)`,
 *   labelled `"2,000 - 2,100"` (en-US digits, as many decimals as the width has).
 * - `/segmentation/sum` and `/segmentation/average`: per bucket the sum and the mean per event
 *   of `on` (required) over the matching events, a value that is not a number counting as 0.
 * - `/events`: events named in a JSON array, each its own key; `/events/properties`: one event by
 *   a property's value (optionally only the `values` listed), top `limit` (default 255).
 *
 * `series` lists every bucket of the range, in Mixpanel's unsorted order unless
 * `queryShape.sortedSeries`; buckets without events are left out of `values` (a missing date
 * means 0) unless `queryShape.zeroBuckets`.
 */
import { Buckets, computedAt, type Unit, units } from "./buckets.js"
import type { Dataset } from "./dataset.js"
import type { SimEvent } from "./day-events.js"
import { scanEvents } from "./day-table.js"
import { EventScope } from "./events.js"
import {
  ParamError,
  type Params,
  type Prepared,
  type Route,
  rangeDays,
  reportRoute,
  seriesOrder,
  shapeOf,
} from "./query-params.js"
import type { RouteContext } from "./server.js"
import { type CountType, countEvent, type Tally, tally, topSegments, valuesOf } from "./tally.js"
import { segmentText, type WhereScope } from "./where.js"

/** Mixpanel's segmentation answer over a set of segments. */
const segmentationAnswer = (
  ctx: RouteContext,
  buckets: Buckets,
  tallies: ReadonlyMap<string, Tally>,
  segments: ReadonlyArray<string>,
  type: CountType,
): unknown => {
  const shape = shapeOf(ctx)
  const values: Record<string, Record<string, number>> = {}
  for (const s of segments)
    values[s] = valuesOf(tallies.get(s), buckets.keys, type, shape.zeroBuckets)
  return {
    data: { series: seriesOrder(buckets.keys, shape.sortedSeries), values },
    legend_size: segments.length,
  }
}

/** An `on` expression as a segment function over events. */
const segmentBy = (ds: Dataset, on: (scope: WhereScope) => unknown): ((ev: SimEvent) => string) => {
  const scope = new EventScope(ds)
  return (ev) => {
    scope.ev = ev
    return segmentText(on(scope))
  }
}

const numberOf = (
  ds: Dataset,
  on: (scope: WhereScope) => unknown,
): ((ev: SimEvent) => number | undefined) => {
  const scope = new EventScope(ds)
  return (ev) => {
    scope.ev = ev
    const v = on(scope)
    return typeof v === "number" && Number.isFinite(v) ? v : undefined
  }
}

/** The days and buckets of the segmentation endpoints (`unit` among `allowed`). */
const segmentationRange = (p: Params, allowed: ReadonlyArray<Unit>) => {
  const range = p.dateRange()
  const unit = p.oneOf("unit", allowed, "day")
  return { range, buckets: p.bucketsOf(unit, range.fromDay, range.toDay) }
}

const segmentation = (ctx: RouteContext, p: Params): Prepared => {
  const event = p.required("event")
  const { range, buckets } = segmentationRange(p, units)
  const type = p.type()
  const limit = p.integer("limit", 1, 10_000, 60)
  const where = p.where("where")
  const on = p.expression("on")
  return {
    days: rangeDays(range.fromDay, range.toDay),
    compute: () => {
      const tallies = tally(ctx.ds, {
        buckets,
        names: new Set([event]),
        where,
        segment: on === undefined ? undefined : segmentBy(ctx.ds, on),
      })
      const segments = on === undefined ? [event] : topSegments(tallies, type, limit)
      return segmentationAnswer(ctx, buckets, tallies, segments, type)
    },
  }
}

/** The smallest 1, 2 or 5 times a power of ten at least `x` (> 0). */
const niceWidth = (x: number): number => {
  const p = 10 ** Math.floor(Math.log10(x))
  for (const m of [1, 2, 5]) if (m * p >= x * (1 - 1e-12)) return m * p
  return 10 * p
}

/** Numeric buckets over values from `min` to `max`: see the module's comment. */
export const numericBuckets = (
  min: number,
  max: number,
): { readonly index: (v: number) => number; readonly label: (i: number) => string } => {
  const span = max - min || Math.max(Math.abs(min), Math.abs(max)) || 1
  const w = niceWidth(span / 10)
  const decimals = Math.max(0, -Math.floor(Math.log10(w) + 1e-9))
  const format = new Intl.NumberFormat("en-US", {
    minimumFractionDigits: 0,
    maximumFractionDigits: decimals,
  })
  return {
    index: (v) => Math.floor(v / w + 1e-9),
    label: (i) => `${format.format(i * w)} - ${format.format((i + 1) * w)}`,
  }
}

const numeric = (ctx: RouteContext, p: Params): Prepared => {
  const event = p.required("event")
  const { range, buckets } = segmentationRange(p, ["hour", "day"])
  const type = p.type()
  p.integer("limit", 1, 10_000, 60)
  const where = p.where("where")
  const on = p.expression("on")
  if (on === undefined) throw new ParamError("on is required")
  return {
    days: rangeDays(range.fromDay, range.toDay),
    compute: () => {
      const numberIn = numberOf(ctx.ds, on)
      const bucket: number[] = []
      const user: number[] = []
      const value: number[] = []
      scanEvents(
        ctx.ds,
        {
          fromDay: buckets.fromDay,
          toDay: buckets.toDay,
          names: new Set([event]),
          where,
          withEvents: true,
        },
        (t, k, ev) => {
          const b = buckets.index(t.localMs[k]!)
          const v = b < 0 ? undefined : numberIn(ev!)
          if (v === undefined) return
          bucket.push(b)
          user.push(t.user[k]!)
          value.push(v)
        },
      )
      const tallies = new Map<string, Tally>()
      const order = new Map<string, number>()
      if (value.length > 0) {
        let min = value[0]!
        let max = min
        for (const v of value) {
          if (v < min) min = v
          if (v > max) max = v
        }
        const nb = numericBuckets(min, max)
        const n = buckets.keys.length
        value.forEach((v, i) => {
          const at = nb.index(v)
          const label = nb.label(at)
          order.set(label, at)
          countEvent(tallies, n, label, bucket[i]!, user[i]!)
        })
      }
      const segments = [...order.entries()].sort((a, b) => a[1] - b[1]).map(([label]) => label)
      return segmentationAnswer(ctx, buckets, tallies, segments, type)
    },
  }
}

const sumOrAverage =
  (kind: "sum" | "average") =>
  (ctx: RouteContext, p: Params): Prepared => {
    const event = p.required("event")
    const { range, buckets } = segmentationRange(p, ["hour", "day"])
    const where = p.where("where")
    const on = p.expression("on")
    if (on === undefined) throw new ParamError("on is required")
    return {
      days: rangeDays(range.fromDay, range.toDay),
      compute: () => {
        const numberIn = numberOf(ctx.ds, on)
        const sums = new Float64Array(buckets.keys.length)
        const counts = new Float64Array(buckets.keys.length)
        scanEvents(
          ctx.ds,
          {
            fromDay: buckets.fromDay,
            toDay: buckets.toDay,
            names: new Set([event]),
            where,
            withEvents: true,
          },
          (t, k, ev) => {
            const b = buckets.index(t.localMs[k]!)
            if (b < 0) return
            sums[b]! += numberIn(ev!) ?? 0
            counts[b]!++
          },
        )
        const zeros = shapeOf(ctx).zeroBuckets
        const results: Record<string, number> = {}
        buckets.keys.forEach((key, b) => {
          if (counts[b] === 0) {
            if (zeros) results[key] = 0
          } else results[key] = kind === "sum" ? sums[b]! : sums[b]! / counts[b]!
        })
        return { status: "ok", computed_at: computedAt(ctx.sim.now()), results }
      },
    }
  }

const events = (ctx: RouteContext, p: Params): Prepared => {
  const names = p.stringArray("event")
  if (names === undefined || names.length === 0)
    throw new ParamError("event is required (a JSON array of event names)")
  const type = p.oneOf("type", ["general", "unique", "average"])
  const unit = p.oneOf("unit", units)
  const buckets = p.unitRange(unit)
  const list = [...new Set(names)]
  return {
    days: rangeDays(buckets.fromDay, buckets.toDay),
    compute: () => {
      const tallies = tally(ctx.ds, { buckets, names: new Set(list) })
      return segmentationAnswer(ctx, buckets, tallies, list, type)
    },
  }
}

const eventProperties = (ctx: RouteContext, p: Params): Prepared => {
  const event = p.required("event")
  const name = p.required("name")
  const values = p.stringArray("values")
  const type = p.oneOf("type", ["general", "unique", "average"])
  const unit = p.oneOf("unit", units)
  const limit = p.integer("limit", 1, 10_000, 255)
  const buckets = p.unitRange(unit)
  return {
    days: rangeDays(buckets.fromDay, buckets.toDay),
    compute: () => {
      const scope = new EventScope(ctx.ds)
      const only = values === undefined ? undefined : new Set(values)
      const tallies = tally(ctx.ds, {
        buckets,
        names: new Set([event]),
        segment: (ev) => {
          scope.ev = ev
          const text = segmentText(scope.property(name))
          return only === undefined || only.has(text) ? text : undefined
        },
      })
      return segmentationAnswer(ctx, buckets, tallies, topSegments(tallies, type, limit), type)
    },
  }
}

/** Per event name and day, the original events of `from..to` (days without any left out). */
export const eventCounts = (
  ds: Dataset,
  fromDay: number,
  toDay: number,
): Record<string, Record<string, number>> => {
  const buckets = Buckets.ofDays("day", fromDay, toDay)
  const tallies = tally(ds, { buckets })
  const out: Record<string, Record<string, number>> = {}
  for (const name of [...tallies.keys()].sort())
    out[name] = valuesOf(tallies.get(name), buckets.keys, "general", false)
  return out
}

export const queryReportRoutes: Readonly<Record<string, Route>> = {
  "/api/query/segmentation": reportRoute(segmentation),
  "/api/query/segmentation/numeric": reportRoute(numeric),
  "/api/query/segmentation/sum": reportRoute(sumOrAverage("sum")),
  "/api/query/segmentation/average": reportRoute(sumOrAverage("average")),
  "/api/query/events": reportRoute(events),
  "/api/query/events/properties": reportRoute(eventProperties),
}
