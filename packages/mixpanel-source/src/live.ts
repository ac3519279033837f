import {
  BadRequestError,
  type BucketUnit,
  checkOneOf,
  checkRange,
  checkWholeNumber,
  type FrequencyAnswer,
  type InvalidReportOptions,
  type RetentionAnswer,
  type SegmentationAnswer,
  type SourceError,
} from "@mixpanel-data/core"
import { Effect, Result } from "effect"
import type { Params } from "./api.js"
import type { EventCountType } from "./discovery.js"
import { SOURCE } from "./errors.js"
import {
  type InsightsAnswer,
  type LiveFunnelAnswer,
  normalizeFrequency,
  normalizeFunnel,
  normalizeInsights,
  normalizeRetention,
  normalizeSeries,
  normalizeSum,
  type SegmentationSumAnswer,
} from "./live-answers.js"
import { type QueryGet, unexpectedAnswer } from "./query-get.js"

/**
 * Mixpanel's own reports, asked live through the query API (each request one of the project's
 * 60 queries an hour, at most 5 at once, shared with discovery and engage). Answers come back
 * in the local reports' shapes (`mp report`), normalized: see `live-answers.ts`. Days are
 * `YYYY-MM-DD` in the project's time zone, inclusive; `where` and `on` are Mixpanel's
 * expression language (`properties["$os"] == "iOS"`), not SQL.
 */

/** A range of days, as every query asks. */
export interface LiveRange {
  readonly from: string
  readonly to: string
}

export interface LiveSegmentationQuery extends LiveRange {
  readonly event: string
  /** Default day. */
  readonly unit?: "minute" | "hour" | "day" | "week" | "month"
  /** Default general. */
  readonly type?: EventCountType
  /** A breakdown expression, e.g. `properties["$os"]`. */
  readonly on?: string
  readonly where?: string
  /** With `on`: the top values (Mixpanel's default 60). */
  readonly limit?: number
}

export interface LiveNumericQuery extends LiveRange {
  readonly event: string
  /** A numeric expression: required. */
  readonly on: string
  /** Default day. */
  readonly unit?: "hour" | "day"
  readonly type?: EventCountType
  readonly where?: string
  readonly limit?: number
}

export interface LiveSumQuery extends LiveRange {
  readonly event: string
  /** A numeric expression summed or averaged (non-numbers count as 0). */
  readonly on: string
  /** Default day. */
  readonly unit?: "hour" | "day"
  readonly where?: string
}

export interface LiveEventsQuery extends LiveRange {
  /** One or more event names, asked in one request. */
  readonly events: ReadonlyArray<string>
  /** Default day. */
  readonly unit?: "minute" | "hour" | "day" | "week" | "month"
  /** Default general. */
  readonly type?: EventCountType
}

export interface LiveEventPropertiesQuery extends LiveRange {
  readonly event: string
  /** The property broken down by. */
  readonly name: string
  /** Only these values of it. */
  readonly values?: ReadonlyArray<string>
  readonly unit?: "minute" | "hour" | "day" | "week" | "month"
  readonly type?: EventCountType
  /** Mixpanel's default 255. */
  readonly limit?: number
}

export interface LiveFunnelQuery extends LiveRange {
  /** A saved funnel's id (`funnels()` lists them). */
  readonly funnelId: number
  /** Entry buckets: day, week or month; with it every bucket of the range is listed. */
  readonly unit?: "day" | "week" | "month"
  /** Days per bucket, instead of `unit`. */
  readonly interval?: number
  /** The conversion window in `lengthUnit`s (default: the funnel's own). */
  readonly length?: number
  readonly lengthUnit?: "day" | "hour" | "minute" | "second"
  readonly on?: string
  readonly where?: string
  readonly limit?: number
}

export interface LiveRetentionQuery extends LiveRange {
  /** The cohort's event: required for birth retention. */
  readonly born?: string
  /** The returning event (default: any event). */
  readonly returning?: string
  /** Cohorts and intervals (default day). */
  readonly unit?: "day" | "week" | "month"
  /** Intervals after the 0th (Mixpanel's default 1). */
  readonly intervals?: number
  /** Default birth. */
  readonly type?: "birth" | "compounded"
  readonly unbounded?: boolean
  /** Filters the returning events. */
  readonly where?: string
  /** Filters the born events. */
  readonly bornWhere?: string
}

export interface LiveFrequencyQuery extends LiveRange {
  readonly event: string
  /** The period. */
  readonly unit: "day" | "week" | "month"
  /** What is counted in a period. */
  readonly subUnit: "hour" | "day"
  readonly where?: string
}

export interface Live {
  /** `/segmentation`: an event per bucket, optionally broken down. */
  readonly segmentation: (
    query: LiveSegmentationQuery,
  ) => Effect.Effect<SegmentationAnswer, SourceError>
  /** `/segmentation/numeric`: events per numeric range of `on`, per bucket. */
  readonly segmentationNumeric: (
    query: LiveNumericQuery,
  ) => Effect.Effect<SegmentationAnswer, SourceError>
  /** `/segmentation/sum`: the sum of `on` per bucket. */
  readonly segmentationSum: (
    query: LiveSumQuery,
  ) => Effect.Effect<SegmentationSumAnswer, SourceError>
  /** `/segmentation/average`: the mean of `on` per bucket. */
  readonly segmentationAverage: (
    query: LiveSumQuery,
  ) => Effect.Effect<SegmentationSumAnswer, SourceError>
  /** `/events`: several events per bucket in one request, one segment each. */
  readonly events: (query: LiveEventsQuery) => Effect.Effect<SegmentationAnswer, SourceError>
  /** `/events/properties`: an event per bucket by a property's values. */
  readonly eventProperties: (
    query: LiveEventPropertiesQuery,
  ) => Effect.Effect<SegmentationAnswer, SourceError>
  /** `/funnels`: a saved funnel over the range. */
  readonly funnel: (query: LiveFunnelQuery) => Effect.Effect<LiveFunnelAnswer, SourceError>
  /** `/retention`. */
  readonly retention: (query: LiveRetentionQuery) => Effect.Effect<RetentionAnswer, SourceError>
  /** `/retention/addiction`. */
  readonly frequency: (query: LiveFrequencyQuery) => Effect.Effect<FrequencyAnswer, SourceError>
  /** `/insights`: a saved report (the number after `report-` in its URL). */
  readonly insights: (bookmarkId: number) => Effect.Effect<InsightsAnswer, SourceError>
}

const SERIES_UNITS = ["minute", "hour", "day", "week", "month"] as const
const SUM_UNITS = ["hour", "day"] as const
const PERIOD_UNITS = ["day", "week", "month"] as const
const COUNT_TYPES = ["general", "unique", "average"] as const

const str = (n: number | undefined) => (n === undefined ? undefined : String(n))

/** Options refused before a query is spent on them, as Mixpanel would refuse them. */
const refused = (error: InvalidReportOptions) =>
  new BadRequestError({ source: SOURCE, body: error.message })

const checks = (...steps: ReadonlyArray<Effect.Effect<void, InvalidReportOptions>>) =>
  Effect.mapError(Effect.all(steps, { discard: true }), refused)

const optional = <A>(
  value: A | undefined,
  check: (value: A) => Effect.Effect<void, InvalidReportOptions>,
) => (value === undefined ? Effect.void : check(value))

const named = (option: string, value: string) =>
  value.length > 0
    ? Effect.void
    : Effect.fail(
        new BadRequestError({ source: SOURCE, body: `Invalid option "${option}": it is empty` }),
      )

/** The query API's report endpoints, asked through `query` (the query scheduler's). */
export const makeLive = (query: QueryGet): Live => {
  const ask = <A>(
    path: string,
    params: Params,
    normalize: (body: unknown) => Result.Result<A, string>,
  ): Effect.Effect<A, SourceError> =>
    Effect.flatMap(query({ path, params, span: "MixpanelSource.live" }), (body) => {
      const answer = normalize(body)
      return Result.isSuccess(answer)
        ? Effect.succeed(answer.success)
        : Effect.fail(unexpectedAnswer(path, answer.failure))
    })

  const range = (q: LiveRange) => ({ from_date: q.from, to_date: q.to })

  const series = (
    path: string,
    params: Params,
    q: LiveRange & { readonly unit?: BucketUnit },
    extra: { readonly segments?: ReadonlyArray<string>; readonly order?: "total" | "numeric" },
  ) =>
    ask(path, params, (body) =>
      normalizeSeries(body, { from: q.from, to: q.to, unit: q.unit ?? "day", ...extra }),
    )

  const sum = (path: string) => (q: LiveSumQuery) =>
    Effect.gen(function* () {
      yield* named("event", q.event)
      yield* named("on", q.on)
      yield* checks(
        checkRange(q),
        optional(q.unit, (u) => checkOneOf("unit", u, SUM_UNITS)),
      )
      return yield* ask(
        path,
        { event: q.event, ...range(q), on: q.on, unit: q.unit, where: q.where },
        (body) => normalizeSum(body, { from: q.from, to: q.to, unit: q.unit ?? "day" }),
      )
    })

  return {
    segmentation: (q) =>
      Effect.gen(function* () {
        yield* named("event", q.event)
        yield* checks(
          checkRange(q),
          optional(q.unit, (u) => checkOneOf("unit", u, SERIES_UNITS)),
          optional(q.type, (t) => checkOneOf("type", t, COUNT_TYPES)),
          optional(q.limit, (n) => checkWholeNumber("limit", n, 1)),
        )
        return yield* series(
          "/api/query/segmentation",
          {
            event: q.event,
            ...range(q),
            unit: q.unit,
            type: q.type,
            on: q.on,
            where: q.where,
            limit: str(q.limit),
          },
          q,
          // without a breakdown the one series is the event's, listed even when empty
          q.on === undefined ? { segments: [q.event] } : {},
        )
      }),
    segmentationNumeric: (q) =>
      Effect.gen(function* () {
        yield* named("event", q.event)
        yield* named("on", q.on)
        yield* checks(
          checkRange(q),
          optional(q.unit, (u) => checkOneOf("unit", u, SUM_UNITS)),
          optional(q.type, (t) => checkOneOf("type", t, COUNT_TYPES)),
          optional(q.limit, (n) => checkWholeNumber("limit", n, 1)),
        )
        return yield* series(
          "/api/query/segmentation/numeric",
          {
            event: q.event,
            ...range(q),
            on: q.on,
            unit: q.unit,
            type: q.type,
            where: q.where,
            limit: str(q.limit),
          },
          q,
          { order: "numeric" },
        )
      }),
    segmentationSum: sum("/api/query/segmentation/sum"),
    segmentationAverage: sum("/api/query/segmentation/average"),
    events: (q) =>
      Effect.gen(function* () {
        if (q.events.length === 0) {
          return yield* new BadRequestError({ source: SOURCE, body: "no event names given" })
        }
        for (const event of q.events) yield* named("events", event)
        yield* checks(
          checkRange(q),
          optional(q.unit, (u) => checkOneOf("unit", u, SERIES_UNITS)),
          optional(q.type, (t) => checkOneOf("type", t, COUNT_TYPES)),
        )
        return yield* series(
          "/api/query/events",
          {
            event: JSON.stringify(q.events),
            ...range(q),
            unit: q.unit ?? "day",
            type: q.type ?? "general",
          },
          q,
          { segments: q.events },
        )
      }),
    eventProperties: (q) =>
      Effect.gen(function* () {
        yield* named("event", q.event)
        yield* named("name", q.name)
        yield* checks(
          checkRange(q),
          optional(q.unit, (u) => checkOneOf("unit", u, SERIES_UNITS)),
          optional(q.type, (t) => checkOneOf("type", t, COUNT_TYPES)),
          optional(q.limit, (n) => checkWholeNumber("limit", n, 1)),
        )
        return yield* series(
          "/api/query/events/properties",
          {
            event: q.event,
            name: q.name,
            values: q.values === undefined ? undefined : JSON.stringify(q.values),
            ...range(q),
            unit: q.unit ?? "day",
            type: q.type ?? "general",
            limit: str(q.limit),
          },
          q,
          // the values asked for are listed even when nobody sent them
          q.values === undefined ? {} : { segments: q.values },
        )
      }),
    funnel: (q) =>
      Effect.gen(function* () {
        yield* checks(
          checkRange(q),
          checkWholeNumber("funnelId", q.funnelId, 0),
          optional(q.unit, (u) => checkOneOf("unit", u, PERIOD_UNITS)),
          optional(q.interval, (n) => checkWholeNumber("interval", n, 1)),
          optional(q.length, (n) => checkWholeNumber("length", n, 1)),
          optional(q.lengthUnit, (u) =>
            checkOneOf("lengthUnit", u, ["day", "hour", "minute", "second"]),
          ),
          optional(q.limit, (n) => checkWholeNumber("limit", n, 1)),
        )
        return yield* ask(
          "/api/query/funnels",
          {
            funnel_id: String(q.funnelId),
            ...range(q),
            unit: q.unit,
            interval: str(q.interval),
            length: str(q.length),
            length_unit: q.lengthUnit,
            on: q.on,
            where: q.where,
            limit: str(q.limit),
          },
          (body) =>
            normalizeFunnel(body, {
              from: q.from,
              to: q.to,
              ...(q.unit === undefined ? {} : { unit: q.unit }),
            }),
        )
      }),
    retention: (q) =>
      Effect.gen(function* () {
        const type = q.type ?? "birth"
        yield* checks(
          checkRange(q),
          checkOneOf("type", type, ["birth", "compounded"]),
          optional(q.unit, (u) => checkOneOf("unit", u, PERIOD_UNITS)),
          optional(q.intervals, (n) => checkWholeNumber("intervals", n, 0)),
        )
        if (type === "birth" && (q.born === undefined || q.born === "")) {
          return yield* new BadRequestError({
            source: SOURCE,
            body: "birth retention needs the event users are born with (born)",
          })
        }
        return yield* ask(
          "/api/query/retention",
          {
            ...range(q),
            retention_type: q.type,
            born_event: q.born,
            event: q.returning,
            born_where: q.bornWhere,
            where: q.where,
            unit: q.unit,
            interval_count: str(q.intervals),
            unbounded_retention: q.unbounded === true ? "true" : undefined,
          },
          (body) =>
            normalizeRetention(body, {
              from: q.from,
              to: q.to,
              ...(q.unit === undefined ? {} : { unit: q.unit }),
              ...(q.intervals === undefined ? {} : { intervals: q.intervals }),
            }),
        )
      }),
    frequency: (q) =>
      Effect.gen(function* () {
        yield* named("event", q.event)
        yield* checks(
          checkRange(q),
          checkOneOf("unit", q.unit, PERIOD_UNITS),
          checkOneOf("subUnit", q.subUnit, ["hour", "day"]),
        )
        return yield* ask(
          "/api/query/retention/addiction",
          { ...range(q), event: q.event, unit: q.unit, addiction_unit: q.subUnit, where: q.where },
          (body) => normalizeFrequency(body, q),
        )
      }),
    insights: (bookmarkId) =>
      Effect.gen(function* () {
        yield* checks(checkWholeNumber("bookmarkId", bookmarkId, 0))
        return yield* ask(
          "/api/query/insights",
          { bookmark_id: String(bookmarkId) },
          normalizeInsights,
        )
      }),
  }
}
