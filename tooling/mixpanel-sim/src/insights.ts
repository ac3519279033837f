/**
 * `GET /insights?bookmark_id=N`: the saved Insights reports of the simulated project. A report
 * counts its events per bucket over the dataset's days up to the simulator's today (at least
 * the first day), every bucket listed, 0 where nothing happened. Series keys and `date_range`
 * are ISO datetimes with the project zone's offset at that time; `headers` names the levels of
 * `series`: `["$event"]`, or with a breakdown `["$event", "<property>"]`, whose values nest
 * under each event next to `$overall` (for `unique`, distinct users over all values, not a sum).
 */
import { Buckets, computedAt, isoWithOffset } from "./buckets.js"
import type { Dataset } from "./dataset.js"
import { EventScope } from "./events.js"
import {
  ParamError,
  type Params,
  type Prepared,
  type Route,
  rangeDays,
  reportRoute,
} from "./query-params.js"
import type { RouteContext } from "./server.js"
import { type Tally, tally, topSegments } from "./tally.js"
import { segmentText } from "./where.js"

const DAY_MS = 86_400_000

/** A saved Insights report: event counts per bucket, optionally broken down by a property. */
export interface InsightsBookmark {
  readonly bookmark_id: number
  readonly name: string
  readonly events: ReadonlyArray<string>
  readonly unit: "day" | "week" | "month"
  /** `general`: events; `unique`: distinct users. */
  readonly type: "general" | "unique"
  /** An event property: its values (as text) nest under each event. */
  readonly breakdown?: string
  /** With a breakdown, the top values kept (by total over the range). */
  readonly limit?: number
}

export const insightsBookmarks: ReadonlyArray<InsightsBookmark> = [
  {
    bookmark_id: 9001,
    name: "Weekly views and carts",
    events: ["View Item", "Add to Cart"],
    unit: "week",
    type: "general",
  },
  {
    bookmark_id: 9002,
    name: "Weekly purchases by country",
    events: ["Purchase"],
    unit: "week",
    type: "general",
    breakdown: "mp_country_code",
    limit: 25,
  },
  {
    bookmark_id: 9003,
    name: "Daily buyers",
    events: ["Purchase"],
    unit: "day",
    type: "unique",
  },
]

/** The days a bookmark covers: the dataset's first day to today, within the dataset. */
export const insightsRange = (
  ds: Dataset,
  todayDay: number,
): { readonly fromDay: number; readonly toDay: number } => ({
  fromDay: ds.startDay,
  toDay: Math.max(ds.startDay, Math.min(ds.endDay - 1, todayDay)),
})

const seriesOf = (
  isoKeys: ReadonlyArray<string>,
  s: Tally | undefined,
  type: InsightsBookmark["type"],
): Record<string, number> => {
  const out: Record<string, number> = {}
  isoKeys.forEach((key, b) => {
    out[key] = s === undefined ? 0 : type === "general" ? s.events[b]! : (s.users[b]?.size ?? 0)
  })
  return out
}

/** The answer of a bookmark over `fromDay..toDay`. */
export const insightsAnswer = (
  ds: Dataset,
  bookmark: InsightsBookmark,
  fromDay: number,
  toDay: number,
  nowMs: number,
): unknown => {
  const buckets = Buckets.ofDays(bookmark.unit, fromDay, toDay)
  const isoKeys = buckets.starts.map((local) => isoWithOffset(ds.calendar, local))
  const series: Record<string, unknown> = {}
  for (const event of bookmark.events) {
    const names = new Set([event])
    const overall = tally(ds, { buckets, names }).get(event)
    if (bookmark.breakdown === undefined) {
      series[event] = seriesOf(isoKeys, overall, bookmark.type)
      continue
    }
    const scope = new EventScope(ds)
    const property = bookmark.breakdown
    const bySegment = tally(ds, {
      buckets,
      names,
      segment: (ev) => {
        scope.ev = ev
        return segmentText(scope.property(property))
      },
    })
    const nested: Record<string, Record<string, number>> = {
      $overall: seriesOf(isoKeys, overall, bookmark.type),
    }
    for (const s of topSegments(bySegment, bookmark.type, bookmark.limit ?? 60))
      nested[s] = seriesOf(isoKeys, bySegment.get(s), bookmark.type)
    series[event] = nested
  }
  return {
    computed_at: computedAt(nowMs),
    date_range: {
      from_date: isoWithOffset(ds.calendar, fromDay * DAY_MS),
      to_date: isoWithOffset(ds.calendar, (toDay + 1) * DAY_MS - 1, ".999000"),
    },
    headers: bookmark.breakdown === undefined ? ["$event"] : ["$event", bookmark.breakdown],
    series,
  }
}

const insights = (ctx: RouteContext, p: Params): Prepared => {
  const idText = p.required("bookmark_id")
  if (!/^\d+$/.test(idText)) throw new ParamError(`invalid bookmark_id: ${idText}`)
  const bookmark = insightsBookmarks.find((b) => String(b.bookmark_id) === idText)
  if (bookmark === undefined)
    throw new ParamError(`invalid bookmark_id: ${idText} (no saved report has it)`)
  const { fromDay, toDay } = insightsRange(ctx.ds, ctx.sim.todayDay())
  return {
    days: rangeDays(fromDay, toDay),
    compute: () => insightsAnswer(ctx.ds, bookmark, fromDay, toDay, ctx.sim.now()),
  }
}

export const insightsRoutes: Readonly<Record<string, Route>> = {
  "/api/query/insights": reportRoute(insights),
}
