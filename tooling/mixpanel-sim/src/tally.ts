/**
 * Counting for segmentation, `/events`, `/events/properties` and insights: per segment and
 * bucket, events and distinct users (by user, as Mixpanel counts uniques by distinct id).
 */
import type { Buckets } from "./buckets.js"
import type { Dataset } from "./dataset.js"
import type { SimEvent } from "./day-events.js"
import { eventNames, scanEvents } from "./day-table.js"
import type { Predicate } from "./where.js"

export type CountType = "general" | "unique" | "average"

/** One segment's counts. */
export interface Tally {
  /** Events per bucket. */
  readonly events: Float64Array
  /** Distinct users per bucket. */
  readonly users: Array<Set<number> | undefined>
  totalEvents: number
  /** Distinct users over the whole range (never a sum of buckets). */
  readonly allUsers: Set<number>
}

export interface TallyRequest {
  readonly buckets: Buckets
  /** Event names counted; all when absent. */
  readonly names?: ReadonlySet<string> | undefined
  readonly where?: Predicate | undefined
  /**
   * The segment of an event (`on`); by event name when absent. An event whose segment is
   * undefined is not counted.
   */
  readonly segment?: ((ev: SimEvent) => string | undefined) | undefined
}

const newTally = (n: number): Tally => ({
  events: new Float64Array(n),
  users: new Array<Set<number> | undefined>(n),
  totalEvents: 0,
  allUsers: new Set(),
})

/** Counts one event of `user` in bucket `b` of segment `key` (of `n` buckets). */
export const countEvent = (
  out: Map<string, Tally>,
  n: number,
  key: string,
  b: number,
  user: number,
): void => {
  let s = out.get(key)
  if (s === undefined) {
    s = newTally(n)
    out.set(key, s)
  }
  s.events[b]!++
  s.totalEvents++
  let u = s.users[b]
  if (u === undefined) {
    u = new Set()
    s.users[b] = u
  }
  u.add(user)
  s.allUsers.add(user)
}

/** Counts the original events of a range per segment and bucket. */
export const tally = (ds: Dataset, q: TallyRequest): Map<string, Tally> => {
  const out = new Map<string, Tally>()
  const n = q.buckets.keys.length
  const names = eventNames(ds)
  const segment = q.segment
  scanEvents(
    ds,
    {
      fromDay: q.buckets.fromDay,
      toDay: q.buckets.toDay,
      names: q.names,
      where: q.where,
      withEvents: segment !== undefined,
    },
    (t, k, ev) => {
      const b = q.buckets.index(t.localMs[k]!)
      if (b < 0) return
      const key = segment === undefined ? names[t.name[k]!]! : segment(ev!)
      if (key !== undefined) countEvent(out, n, key, b, t.user[k]!)
    },
  )
  return out
}

/** A bucket's value of a type; undefined for a bucket without events. */
export const measure = (s: Tally, b: number, type: CountType): number | undefined => {
  const events = s.events[b]!
  if (events === 0) return undefined
  const users = s.users[b]?.size ?? 0
  return type === "general" ? events : type === "unique" ? users : events / users
}

/**
 * A segment's values by bucket key: buckets without events left out (a missing date means 0),
 * or 0 there with `zeros`.
 */
export const valuesOf = (
  s: Tally | undefined,
  keys: ReadonlyArray<string>,
  type: CountType,
  zeros: boolean,
): Record<string, number> => {
  const out: Record<string, number> = {}
  keys.forEach((key, b) => {
    const v = s === undefined ? undefined : measure(s, b, type)
    if (v !== undefined) out[key] = v
    else if (zeros) out[key] = 0
  })
  return out
}

/**
 * The top `limit` segments: by distinct users over the range for `unique`, by events otherwise;
 * ties by name.
 */
export const topSegments = (
  tallies: ReadonlyMap<string, Tally>,
  type: CountType,
  limit: number,
): string[] => {
  const rank = (s: Tally): number => (type === "unique" ? s.allUsers.size : s.totalEvents)
  return [...tallies.entries()]
    .sort((a, b) => rank(b[1]) - rank(a[1]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, limit)
    .map(([k]) => k)
}
