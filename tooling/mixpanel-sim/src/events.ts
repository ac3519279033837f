import { deriveInsertId } from "@mixpanel-data/core"
import { ChecksumAccumulator } from "./checksum.js"
import type { Dataset } from "./dataset.js"
import { dayEvents, type SimEvent } from "./day-events.js"
import { DateTimeValue, type Predicate, type WhereScope } from "./where.js"

/** A filtered range of events, in project-calendar days. */
export interface EventQuery {
  /** Epoch days, inclusive. */
  readonly fromDay: number
  readonly toDay: number
  readonly events?: ReadonlySet<string>
  readonly where?: Predicate
  readonly limit?: number
}

const nameJson = new Map<string, string>()
const jsonName = (name: string): string => {
  let j = nameJson.get(name)
  if (j === undefined) {
    j = JSON.stringify(name)
    nameJson.set(name, j)
  }
  return j
}

const didJson = new Map<string, string>()
const jsonDid = (did: string): string => {
  let j = didJson.get(did)
  if (j === undefined) {
    if (didJson.size > 1_000_000) didJson.clear()
    j = JSON.stringify(did)
    didJson.set(did, j)
  }
  return j
}

/** The `time` value as served: seconds or milliseconds, local wall clock for legacy projects. */
export const servedTime = (ds: Dataset, ev: SimEvent, timeInMs: boolean): number => {
  const local = ds.calendar.utc ? ev.timeMs : ev.timeMs + ds.calendar.offsetMs(ev.timeMs)
  return timeInMs ? local : Math.floor(local / 1000)
}

/** One JSONL line (without the newline), exactly as Mixpanel's export writes it. */
export const formatLine = (ds: Dataset, ev: SimEvent, timeInMs: boolean): string => {
  const iid = ev.insertId === null ? "" : `,"$insert_id":"${ev.insertId}"`
  const own = ev.propsJson.length > 0 ? `,${ev.propsJson}` : ""
  return `{"event":${jsonName(ev.name)},"properties":{"time":${servedTime(ds, ev, timeInMs)},"distinct_id":${jsonDid(ev.user.distinctId)}${iid},"mp_processing_time_ms":${ev.processingMs},${ev.user.eventPropsJson}${own}}}`
}

/** The properties a client parses from the line, without the volatile ones. */
export const stableProperties = (ev: SimEvent): Record<string, unknown> => ({
  ...ev.user.eventProps,
  ...ev.props,
})

/** A reusable scope for evaluating `where` against events. */
export class EventScope implements WhereScope {
  ev: SimEvent | undefined
  constructor(private readonly ds: Dataset) {}

  property(key: string): unknown {
    const ev = this.ev!
    switch (key) {
      case "time":
        return servedTime(this.ds, ev, false)
      case "$time":
        return new DateTimeValue(ev.timeMs)
      case "distinct_id":
        return ev.user.distinctId
      case "$insert_id":
        return ev.insertId ?? undefined
      case "mp_processing_time_ms":
        return ev.processingMs
    }
    if (Object.hasOwn(ev.props, key)) return ev.props[key]
    if (Object.hasOwn(ev.user.eventProps, key)) return ev.user.eventProps[key]
    return undefined
  }

  behavior(): unknown {
    return undefined
  }
}

/** Every delivered copy in the query's range that passes its filters, in serving order. */
export function* queryEvents(ds: Dataset, q: EventQuery): Generator<SimEvent, void, undefined> {
  const scope = new EventScope(ds)
  let left = q.limit ?? Number.POSITIVE_INFINITY
  if (left <= 0) return
  const from = Math.max(q.fromDay, ds.startDay)
  const to = Math.min(q.toDay, ds.endDay - 1)
  for (let d = from; d <= to; d++) {
    for (const ev of dayEvents(ds, d)) {
      if (q.events !== undefined && !q.events.has(ev.name)) continue
      if (q.where !== undefined) {
        scope.ev = ev
        if (!q.where(scope)) continue
      }
      yield ev
      if (--left <= 0) return
    }
  }
}

const nameBytes = new Map<string, Buffer>()
const INSERT_ID = Buffer.from(',"$insert_id":"')
const PROCESSING = Buffer.from(',"mp_processing_time_ms":')
const didBytes = new Map<string, Buffer>()

/** Appends JSONL lines to fixed-size buffers without building intermediate strings. */
class LineWriter {
  buf = Buffer.allocUnsafe(0)
  pos = 0
  constructor(private readonly size: number) {
    this.buf = Buffer.allocUnsafe(size)
  }

  /** Makes room for at least `n` more bytes; returns a full chunk when one had to be cut. */
  ensure(n: number): Buffer | undefined {
    if (this.pos + n <= this.buf.length) return undefined
    const full = this.pos > 0 ? this.buf.subarray(0, this.pos) : undefined
    this.buf = Buffer.allocUnsafe(Math.max(this.size, n))
    this.pos = 0
    return full
  }

  bytes(b: Buffer): void {
    b.copy(this.buf, this.pos)
    this.pos += b.length
  }

  /** Short ASCII strings: a plain loop beats the native call's overhead. */
  ascii(s: string): void {
    const buf = this.buf
    let pos = this.pos
    for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i)
    this.pos = pos
  }

  /** A non-negative integer in decimal. */
  integer(n: number): void {
    const buf = this.buf
    if (n < 10) {
      buf[this.pos++] = 48 + n
      return
    }
    let digits = 0
    for (let x = n; x >= 1; x = Math.floor(x / 10)) digits++
    let pos = this.pos + digits
    this.pos = pos
    for (let x = n; x >= 1; x = Math.floor(x / 10)) buf[--pos] = 48 + (x % 10)
  }

  utf8(s: string): void {
    this.pos += this.buf.write(s, this.pos, "utf8")
  }
}

/** JSONL body chunks (about `chunkBytes` each), written straight into buffers. */
export function* exportChunks(
  ds: Dataset,
  q: EventQuery,
  timeInMs: boolean,
  chunkBytes = 131_072,
): Generator<Buffer, void, undefined> {
  const w = new LineWriter(chunkBytes)
  for (const ev of queryEvents(ds, q)) {
    let name = nameBytes.get(ev.name)
    if (name === undefined) {
      name = Buffer.from(`{"event":${JSON.stringify(ev.name)},"properties":{"time":`)
      nameBytes.set(ev.name, name)
    }
    const did = ev.user.distinctId
    let didPart = didBytes.get(did)
    if (didPart === undefined) {
      if (didBytes.size > 1_000_000) didBytes.clear()
      didPart = Buffer.from(`,"distinct_id":${JSON.stringify(did)}`)
      didBytes.set(did, didPart)
    }
    const user = ev.user.linePart
    // Upper bound of the line's size: fixed parts, numbers, and 3 bytes per props character.
    const max = name.length + didPart.length + user.length + ev.propsJson.length * 3 + 120
    const full = w.ensure(max)
    if (full !== undefined) yield full
    w.bytes(name)
    w.integer(servedTime(ds, ev, timeInMs))
    w.bytes(didPart)
    if (ev.insertId !== null) {
      w.bytes(INSERT_ID)
      w.ascii(ev.insertId)
      w.ascii('"')
    }
    w.bytes(PROCESSING)
    w.integer(ev.processingMs)
    w.bytes(user)
    if (ev.propsJson.length > 0) {
      w.ascii(",")
      w.utf8(ev.propsJson)
    }
    w.ascii("}}\n")
  }
  if (w.pos > 0) yield w.buf.subarray(0, w.pos)
}

/** The id a correct client keys an event on: its `$insert_id`, or the derived one. */
export const truthInsertId = (ev: SimEvent, timeMs: number): string =>
  ev.insertId ?? deriveInsertId(ev.name, ev.user.distinctId, timeMs, stableProperties(ev))

export interface Truth {
  readonly count: number
  readonly checksum: string
}

/**
 * The deduplicated set a correct client must end with. The generator never gives one user two
 * events in the same second, so originals are unique by Mixpanel's 4-tuple and the redelivered
 * copies are exactly the duplicates.
 */
export const eventTruth = (ds: Dataset, q: EventQuery, timeInMs: boolean): Truth => {
  const acc = new ChecksumAccumulator()
  for (const ev of queryEvents(ds, { ...q, limit: Number.POSITIVE_INFINITY })) {
    if (ev.duplicate) continue
    const timeMs = timeInMs ? ev.timeMs : Math.floor(ev.timeMs / 1000) * 1000
    acc.addEvent(ev.name, ev.user.distinctId, timeMs, truthInsertId(ev, timeMs))
  }
  return { count: acc.count, checksum: acc.digest() }
}
