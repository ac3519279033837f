/**
 * What the query endpoints read: each day's original events (redelivered copies left out, as
 * Mixpanel's reports count deduplicated events) as compact columns, cached per (dataset, day).
 * The events themselves (for `where` and `on`, which read properties) are kept while their
 * total stays under a budget; past it a day's are generated again when asked for. A day's
 * entries are rebuilt once it gets late events (`Dataset.late`).
 */
import { localMsOf } from "./buckets.js"
import type { Dataset } from "./dataset.js"
import { dayEvents, daySlots, type SimEvent } from "./day-events.js"
import { EventScope } from "./events.js"
import type { Predicate } from "./where.js"

/** One day's original events, in serving order: row `k` of every column is the same event. */
export interface DayTable {
  readonly day: number
  readonly size: number
  /** Index into `eventNames(ds)`. */
  readonly name: Int32Array
  readonly user: Int32Array
  readonly timeMs: Float64Array
  /** Local wall-clock time in the project zone (`timeMs` for UTC projects). */
  readonly localMs: Float64Array
}

interface Entry {
  readonly version: number
  readonly table: DayTable
}

interface Cache {
  readonly names: string[]
  readonly nameIndex: Map<string, number>
  readonly tables: Map<number, Entry>
  /** Days' events in least recently used order (a Map keeps insertion order). */
  readonly events: Map<number, { readonly version: number; readonly events: SimEvent[] }>
  held: number
}

/**
 * Events held in memory per dataset, at most (about 400 bytes each): a month of 5,000 a day.
 * Only requests with `where` or `on` keep them.
 */
const EVENT_BUDGET = 200_000

const caches = new WeakMap<Dataset, Cache>()

const cacheOf = (ds: Dataset): Cache => {
  let c = caches.get(ds)
  if (c === undefined) {
    c = { names: [], nameIndex: new Map(), tables: new Map(), events: new Map(), held: 0 }
    caches.set(ds, c)
  }
  return c
}

/** Every event name the tables have met, by the index their `name` column holds. */
export const eventNames = (ds: Dataset): ReadonlyArray<string> => cacheOf(ds).names

const nameId = (c: Cache, name: string): number => {
  let i = c.nameIndex.get(name)
  if (i === undefined) {
    i = c.names.length
    c.names.push(name)
    c.nameIndex.set(name, i)
  }
  return i
}

const originals = (ds: Dataset, day: number): SimEvent[] => {
  const out: SimEvent[] = []
  for (const ev of dayEvents(ds, day)) if (!ev.duplicate) out.push(ev)
  return out
}

const keepEvents = (c: Cache, day: number, version: number, events: SimEvent[]): void => {
  const old = c.events.get(day)
  if (old !== undefined) {
    c.events.delete(day)
    c.held -= old.events.length
  }
  if (events.length > EVENT_BUDGET) return
  for (const [d, e] of c.events) {
    if (c.held + events.length <= EVENT_BUDGET) break
    c.events.delete(d)
    c.held -= e.events.length
  }
  c.events.set(day, { version, events })
  c.held += events.length
}

/** A day's original events, in the order of its table's rows. */
export const dayOriginals = (ds: Dataset, day: number): ReadonlyArray<SimEvent> => {
  const c = cacheOf(ds)
  const version = ds.late.version(day)
  const held = c.events.get(day)
  if (held !== undefined && held.version === version) {
    c.events.delete(day)
    c.events.set(day, held)
    return held.events
  }
  const events = originals(ds, day)
  keepEvents(c, day, version, events)
  return events
}

/** Columns under construction, grown by doubling. */
class Columns {
  size = 0
  name = new Int32Array(1024)
  user = new Int32Array(1024)
  timeMs = new Float64Array(1024)
  localMs = new Float64Array(1024)

  push(ds: Dataset, c: Cache, ev: SimEvent): void {
    if (this.size === this.name.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2)
        b.set(a)
        return b
      }
      this.name = grow(this.name)
      this.user = grow(this.user)
      this.timeMs = grow(this.timeMs)
      this.localMs = grow(this.localMs)
    }
    const k = this.size++
    this.name[k] = nameId(c, ev.name)
    this.user[k] = ev.user.index
    this.timeMs[k] = ev.timeMs
    this.localMs[k] = localMsOf(ds.calendar, ev.timeMs)
  }

  table(day: number): DayTable {
    const n = this.size
    return {
      day,
      size: n,
      name: this.name.slice(0, n),
      user: this.user.slice(0, n),
      timeMs: this.timeMs.slice(0, n),
      localMs: this.localMs.slice(0, n),
    }
  }
}

/**
 * A day's table, built on first use (from `events`, the day's originals, when the caller has
 * them; else generated without keeping the events).
 */
export const dayTable = (ds: Dataset, day: number, events?: ReadonlyArray<SimEvent>): DayTable => {
  const c = cacheOf(ds)
  const version = ds.late.version(day)
  const hit = c.tables.get(day)
  if (hit !== undefined && hit.version === version) return hit.table
  const cols = new Columns()
  if (events !== undefined) for (const ev of events) cols.push(ds, c, ev)
  else
    for (const slot of daySlots(ds, day))
      for (let i = 0; i < slot.length; i++) if (!slot[i]!.duplicate) cols.push(ds, c, slot[i]!)
  const table = cols.table(day)
  c.tables.set(day, { version, table })
  return table
}

/** Which original events a scan visits. */
export interface ScanFilter {
  /** Project-calendar epoch days, inclusive (clamped to the dataset). */
  readonly fromDay: number
  readonly toDay: number
  /** Event names; every name when absent. */
  readonly names?: ReadonlySet<string> | undefined
  readonly where?: Predicate | undefined
  /** Whether the visitor needs the event itself (to read its properties). */
  readonly withEvents?: boolean
}

/**
 * Visits the original events passing a filter, day by day in serving order: row `k` of table
 * `t`, and the event itself when the filter has `where` or asks for events.
 */
export const scanEvents = (
  ds: Dataset,
  f: ScanFilter,
  visit: (t: DayTable, k: number, ev: SimEvent | undefined) => void,
): void => {
  const from = Math.max(f.fromDay, ds.startDay)
  const to = Math.min(f.toDay, ds.endDay - 1)
  const names = eventNames(ds)
  // per name index: 1 in, 2 out, 0 not yet looked at
  let allowed = new Uint8Array(64)
  const passes = (i: number): boolean => {
    if (f.names === undefined) return true
    if (i >= allowed.length) {
      const grown = new Uint8Array(Math.max(i + 1, allowed.length * 2))
      grown.set(allowed)
      allowed = grown
    }
    let a = allowed[i]!
    if (a === 0) {
      a = f.names.has(names[i]!) ? 1 : 2
      allowed[i] = a
    }
    return a === 1
  }
  const needEvents = f.where !== undefined || f.withEvents === true
  const scope = new EventScope(ds)
  for (let d = from; d <= to; d++) {
    const events = needEvents ? dayOriginals(ds, d) : undefined
    const t = dayTable(ds, d, events)
    for (let k = 0; k < t.size; k++) {
      if (!passes(t.name[k]!)) continue
      const ev = events?.[k]
      if (f.where !== undefined) {
        scope.ev = ev
        if (!f.where(scope)) continue
      }
      visit(t, k, ev)
    }
  }
}

/** The events a scan found, as columns, with an order that groups them by user. */
export interface UserRows {
  readonly size: number
  readonly user: Int32Array
  readonly timeMs: Float64Array
  readonly localMs: Float64Array
  /** Index into `eventNames(ds)`. */
  readonly name: Int32Array
  /** The events themselves when the scan asked for them. */
  readonly events: ReadonlyArray<SimEvent | undefined>
  /** Row numbers by user, then time, then serving order. */
  readonly order: Int32Array
}

/** Collects the events passing a filter, grouped by user in time order (funnels, retention). */
export const userRows = (ds: Dataset, f: ScanFilter): UserRows => {
  const user: number[] = []
  const timeMs: number[] = []
  const localMs: number[] = []
  const name: number[] = []
  const events: Array<SimEvent | undefined> = []
  scanEvents(ds, f, (t, k, ev) => {
    user.push(t.user[k]!)
    timeMs.push(t.timeMs[k]!)
    localMs.push(t.localMs[k]!)
    name.push(t.name[k]!)
    if (f.withEvents === true) events.push(ev)
  })
  const order = Int32Array.from(user.keys())
  order.sort((a, b) => user[a]! - user[b]! || timeMs[a]! - timeMs[b]! || a - b)
  return {
    size: user.length,
    user: Int32Array.from(user),
    timeMs: Float64Array.from(timeMs),
    localMs: Float64Array.from(localMs),
    name: Int32Array.from(name),
    events,
    order,
  }
}
