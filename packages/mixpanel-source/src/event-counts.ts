import type { UpstreamEventCounts } from "@mixpanel-data/core"
import { Effect } from "effect"
import type { Discovery } from "./discovery.js"
import type { Live } from "./live.js"

/** Event names asked at once from `/events` (one query each batch). */
export const EVENTS_PER_QUERY = 50

/**
 * Mixpanel's own count of each event on each day, for comparing a table with: `/events` for
 * up to `EVENTS_PER_QUERY` names a query; with `where` (which `/events` does not take),
 * `/segmentation` once per event. Every query goes through the query scheduler.
 */
export const makeEventCounts = (live: Live, discovery: Discovery): UpstreamEventCounts => ({
  // Mixpanel's default is its top 255: ask for every name it has
  eventNames: discovery.eventNames({ type: "general", limit: 10_000 }),
  counts: ({ events, from, to, where }) =>
    Effect.gen(function* () {
      const answers =
        where === undefined
          ? yield* Effect.forEach(
              Array.from({ length: Math.ceil(events.length / EVENTS_PER_QUERY) }, (_, i) =>
                events.slice(i * EVENTS_PER_QUERY, (i + 1) * EVENTS_PER_QUERY),
              ),
              (batch) => live.events({ events: batch, from, to, unit: "day", type: "general" }),
              { concurrency: "unbounded" },
            )
          : yield* Effect.forEach(
              events,
              (event) => live.segmentation({ event, from, to, unit: "day", where }),
              { concurrency: "unbounded" },
            )
      const counts: Record<string, Readonly<Record<string, number>>> = {}
      for (const answer of answers) Object.assign(counts, answer.data.values)
      return counts
    }),
})
