import type { SourceError } from "@mixpanel-data/core"
import { Effect } from "effect"
import type { Params } from "./api.js"
import type { QueryGet } from "./query-get.js"

export type EventCountType = "general" | "unique" | "average"

export interface TopEvent {
  readonly event: string
  readonly amount: number
  readonly percent_change?: number
  readonly [key: string]: unknown
}

export interface Cohort {
  readonly id: number
  readonly name: string
  readonly count?: number
  readonly [key: string]: unknown
}

export interface Funnel {
  readonly funnel_id: number
  readonly name: string
  readonly [key: string]: unknown
}

export interface Discovery {
  /** Top event names of the last 31 days. */
  readonly eventNames: (options?: {
    readonly type?: EventCountType
    readonly limit?: number
  }) => Effect.Effect<ReadonlyArray<string>, SourceError>
  /** Top property names of an event with their counts. */
  readonly topProperties: (
    event: string,
    limit?: number,
  ) => Effect.Effect<Readonly<Record<string, { readonly count: number }>>, SourceError>
  readonly propertyValues: (
    event: string,
    name: string,
    limit?: number,
  ) => Effect.Effect<ReadonlyArray<unknown>, SourceError>
  readonly topEvents: (options?: {
    readonly type?: EventCountType
    readonly limit?: number
  }) => Effect.Effect<ReadonlyArray<TopEvent>, SourceError>
  readonly cohorts: () => Effect.Effect<ReadonlyArray<Cohort>, SourceError>
  readonly funnels: () => Effect.Effect<ReadonlyArray<Funnel>, SourceError>
}

const str = (n: number | undefined) => (n === undefined ? undefined : String(n))

/** The query API's listing endpoints, asked through `query` (the query scheduler's). */
export const makeDiscovery = (query: QueryGet): Discovery => {
  const get = (method: "GET" | "POST", path: string, params: Params) =>
    query({ method, path, params, span: "MixpanelSource.discovery" })

  const array = (value: unknown): Array<unknown> => (Array.isArray(value) ? value : [])

  return {
    eventNames: (options) =>
      get("GET", "/api/query/events/names", {
        type: options?.type ?? "general",
        limit: str(options?.limit),
      }).pipe(Effect.map((v) => array(v).map(String))),
    topProperties: (event, limit) =>
      get("GET", "/api/query/events/properties/top", { event, limit: str(limit) }).pipe(
        Effect.map((v) =>
          typeof v === "object" && v !== null && !Array.isArray(v)
            ? (v as Record<string, { count: number }>)
            : {},
        ),
      ),
    propertyValues: (event, name, limit) =>
      get("GET", "/api/query/events/properties/values", {
        event,
        name,
        limit: str(limit),
      }).pipe(Effect.map(array)),
    topEvents: (options) =>
      get("GET", "/api/query/events/top", {
        type: options?.type ?? "general",
        limit: str(options?.limit),
      }).pipe(
        Effect.map((v) => {
          const events =
            typeof v === "object" && v !== null && "events" in v
              ? (v as { events: unknown }).events
              : v
          return array(events) as Array<TopEvent>
        }),
      ),
    cohorts: () =>
      get("POST", "/api/query/cohorts/list", {}).pipe(Effect.map((v) => array(v) as Array<Cohort>)),
    funnels: () =>
      get("GET", "/api/query/funnels/list", {}).pipe(Effect.map((v) => array(v) as Array<Funnel>)),
  }
}
