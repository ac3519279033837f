import type { Dataset } from "./dataset.js"
import { dayEvents } from "./day-events.js"
import { userProfile } from "./profiles.js"

/** What discovery endpoints report, measured on the dataset's last day (bounded work). */
export interface EventSample {
  readonly lastDay: Map<string, number>
  readonly dayBefore: Map<string, number>
  /** Per event: property name -> count and up to 1000 distinct values with counts. */
  readonly properties: Map<
    string,
    Map<string, { count: number; values: Map<string, number>; types: Set<string> }>
  >
}

const MAX_SAMPLE = 300_000
const MAX_VALUES = 1000

export const typeOf = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "list" : typeof v === "object" ? "object" : typeof v

const valueText = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v))

const cache = new WeakMap<Dataset, EventSample>()

export const eventSample = (ds: Dataset): EventSample => {
  const hit = cache.get(ds)
  if (hit) return hit
  const count = (
    day: number,
    into: Map<string, number>,
    props?: EventSample["properties"],
  ): void => {
    let n = 0
    for (const ev of dayEvents(ds, day)) {
      if (++n > MAX_SAMPLE) break
      into.set(ev.name, (into.get(ev.name) ?? 0) + 1)
      if (!props) continue
      let perEvent = props.get(ev.name)
      if (!perEvent) {
        perEvent = new Map()
        props.set(ev.name, perEvent)
      }
      const add = (k: string, v: unknown): void => {
        let p = perEvent.get(k)
        if (!p) {
          p = { count: 0, values: new Map(), types: new Set() }
          perEvent.set(k, p)
        }
        p.count++
        p.types.add(typeOf(v))
        const t = valueText(v)
        if (p.values.has(t) || p.values.size < MAX_VALUES)
          p.values.set(t, (p.values.get(t) ?? 0) + 1)
      }
      for (const [k, v] of Object.entries(ev.user.eventProps)) add(k, v)
      for (const [k, v] of Object.entries(ev.props)) add(k, v)
    }
  }
  const lastDay = new Map<string, number>()
  const dayBefore = new Map<string, number>()
  const properties: EventSample["properties"] = new Map()
  count(ds.endDay - 1, lastDay, properties)
  if (ds.days > 1) count(ds.endDay - 2, dayBefore)
  const sample = { lastDay, dayBefore, properties }
  cache.set(ds, sample)
  return sample
}

/** Profile property names and types from the first profiles. */
export const profileSchema = (ds: Dataset): Map<string, Set<string>> => {
  const out = new Map<string, Set<string>>()
  for (let i = 0; i < Math.min(ds.profiles, 2000); i++) {
    for (const [k, v] of Object.entries(userProfile(ds, i).properties)) {
      let s = out.get(k)
      if (!s) {
        s = new Set()
        out.set(k, s)
      }
      s.add(typeOf(v))
    }
  }
  return out
}
