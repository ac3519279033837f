import { ChecksumAccumulator } from "./checksum.js"
import type { Dataset } from "./dataset.js"
import { dayEvents, daySlots, type SimEvent } from "./day-events.js"
import { simDerivedInsertId, simUsableInsertId } from "./derived-id.js"
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

/** The `$insert_id` member as served (with its leading comma), empty when the line has none. */
const insertIdMember = (ev: SimEvent): string =>
  ev.insertId !== null
    ? `,"$insert_id":"${ev.insertId}"`
    : ev.oddInsertId !== undefined
      ? `,"$insert_id":${ev.oddInsertId}`
      : ""

/**
 * The `properties` object of a line as JSON text, exactly as served, with the given
 * `mp_processing_time_ms` (each copy has its own).
 */
export const servedPropertiesJson = (
  ds: Dataset,
  ev: SimEvent,
  timeInMs: boolean,
  processingMs: number,
): string => {
  const own = ev.propsJson.length > 0 ? `,${ev.propsJson}` : ""
  return `{"time":${servedTime(ds, ev, timeInMs)},"distinct_id":${jsonDid(ev.user.distinctId)}${insertIdMember(ev)},"mp_processing_time_ms":${processingMs},${ev.user.eventPropsJson}${own}}`
}

/** One JSONL line (without the newline), exactly as Mixpanel's export writes it. */
export const formatLine = (ds: Dataset, ev: SimEvent, timeInMs: boolean): string =>
  `{"event":${jsonName(ev.name)},"properties":${servedPropertiesJson(ds, ev, timeInMs, ev.processingMs)}}`

/** The properties a client parses from the line, without the volatile ones. */
export const stableProperties = (ev: SimEvent): Record<string, unknown> => ({
  ...ev.user.eventProps,
  ...ev.props,
})

const needles = new Map<string, string>()
/** `"key":` as a member of an object's JSON text starts. */
const memberNeedle = (key: string): string => {
  let n = needles.get(key)
  if (n === undefined) {
    if (needles.size > 10_000) needles.clear()
    n = `${JSON.stringify(key)}:`
    needles.set(key, n)
  }
  return n
}

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
        return (
          ev.insertId ?? (ev.oddInsertId === undefined ? undefined : JSON.parse(ev.oddInsertId))
        )
      case "mp_processing_time_ms":
        return ev.processingMs
    }
    // the event's own properties are parsed only when their text has the key
    if (ev.propsJson.includes(memberNeedle(key)) && Object.hasOwn(ev.props, key))
      return ev.props[key]
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

/** Batches of events (each valid until the next is asked for) of a query, in serving order. */
function* queryBatches(ds: Dataset, q: EventQuery): Generator<SimEvent[], void, undefined> {
  const from = Math.max(q.fromDay, ds.startDay)
  const to = Math.min(q.toDay, ds.endDay - 1)
  if (q.events === undefined && q.where === undefined && q.limit === undefined) {
    for (let d = from; d <= to; d++) yield* daySlots(ds, d)
    return
  }
  let left = q.limit ?? Number.POSITIVE_INFINITY
  if (left <= 0) return
  const scope = new EventScope(ds)
  const kept: SimEvent[] = []
  for (let d = from; d <= to; d++) {
    for (const slot of daySlots(ds, d)) {
      kept.length = 0
      for (const ev of slot) {
        if (q.events !== undefined && !q.events.has(ev.name)) continue
        if (q.where !== undefined) {
          scope.ev = ev
          if (!q.where(scope)) continue
        }
        kept.push(ev)
        if (--left <= 0) break
      }
      if (kept.length > 0) yield kept
      if (left <= 0) return
    }
  }
}

/** `{"event":<name>,"properties":{"time":` by event name. */
const lineHeads = new Map<string, Buffer>()
const lineHead = (name: string): Buffer => {
  let b = lineHeads.get(name)
  if (b === undefined) {
    b = Buffer.from(`{"event":${JSON.stringify(name)},"properties":{"time":`)
    lineHeads.set(name, b)
  }
  return b
}
const INSERT_ID = Buffer.from(',"$insert_id":"')
/** An odd insert id's key; its JSON text follows. */
const ODD_INSERT_ID = Buffer.from(',"$insert_id":')
/** The insert id's closing quote, then the processing time's key. */
const PROCESSING = Buffer.from('","mp_processing_time_ms":')
const PROCESSING_QUOTED = 0
const PROCESSING_PLAIN = 1
const LINE_END = Buffer.from("}}\n")

/**
 * Appends JSONL lines to fixed-size buffers without building intermediate strings. Small copies
 * go through `TypedArray.set`, which costs far less per call than `Buffer.copy`.
 */
class LineWriter {
  buf: Buffer
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

  bytes(b: Uint8Array, from = 0): void {
    this.buf.set(from === 0 ? b : b.subarray(from), this.pos)
    this.pos += b.length - from
  }

  /** Short ASCII strings: a plain loop beats the native call's overhead. */
  ascii(s: string): void {
    const buf = this.buf
    let pos = this.pos
    for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i)
    this.pos = pos
  }

  utf8(s: string): void {
    this.pos += this.buf.write(s, this.pos, "utf8")
  }

  /** A non-negative integer below 2^53 in decimal, in small-integer arithmetic. */
  integer(n: number): void {
    if (n < 100_000_000) {
      this.small(n, 0)
      return
    }
    const high = Math.floor(n / 100_000_000)
    this.small(high, 0)
    this.small(n - high * 100_000_000, 8)
  }

  /** `n` < 10^8, left-padded with zeros to `width` digits. */
  private small(n: number, width: number): void {
    let digits = 1
    for (let x = n; x >= 10; x = (x / 10) | 0) digits++
    if (digits < width) digits = width
    const buf = this.buf
    let pos = this.pos + digits
    this.pos = pos
    for (let i = 0; i < digits; i++) {
      const q = (n / 10) | 0
      buf[--pos] = 48 + n - q * 10
      n = q
    }
  }
}

/** JSONL body chunks (about `chunkBytes` each, whole lines), written straight into buffers. */
export function* exportChunks(
  ds: Dataset,
  q: EventQuery,
  timeInMs: boolean,
  chunkBytes = 65_536,
): Generator<Buffer, void, undefined> {
  const w = new LineWriter(chunkBytes)
  const utc = ds.calendar.utc
  for (const batch of queryBatches(ds, q)) {
    for (let i = 0; i < batch.length; i++) {
      const ev = batch[i]!
      const head = lineHead(ev.name)
      const user = ev.user
      const props = ev.propsJson
      // Upper bound of the line's size: fixed parts, numbers, and 3 bytes per props character.
      const max =
        head.length +
        user.distinctIdPart.length +
        user.linePart.length +
        props.length * 3 +
        (ev.oddInsertId?.length ?? 0) * 3 +
        120
      const full = w.ensure(max)
      if (full !== undefined) yield full
      w.bytes(head)
      w.integer(utc && timeInMs ? ev.timeMs : servedTime(ds, ev, timeInMs))
      w.bytes(user.distinctIdPart)
      if (ev.insertId !== null) {
        w.bytes(INSERT_ID)
        w.ascii(ev.insertId)
        w.bytes(PROCESSING, PROCESSING_QUOTED)
      } else {
        if (ev.oddInsertId !== undefined) {
          w.bytes(ODD_INSERT_ID)
          w.utf8(ev.oddInsertId)
        }
        w.bytes(PROCESSING, PROCESSING_PLAIN)
      }
      w.integer(ev.processingMs)
      w.bytes(user.linePart)
      if (props.length > 0) {
        w.buf[w.pos++] = 44
        w.utf8(props)
      }
      w.bytes(LINE_END)
    }
  }
  if (w.pos > 0) yield w.buf.subarray(0, w.pos)
}

/** The id a correct client keys an event on: its usable `$insert_id`, or the derived one. */
export const truthInsertId = (ev: SimEvent, timeMs: number): string =>
  ev.insertId ??
  (ev.oddInsertId === undefined ? undefined : simUsableInsertId(JSON.parse(ev.oddInsertId))) ??
  simDerivedInsertId(ev.name, ev.user.distinctId, timeMs, stableProperties(ev))

/**
 * The instant a client reads from the served `time` (true UTC epoch ms, whole seconds without
 * `time_in_ms`): in a legacy zone the wall clock back to UTC, the second pass of a repeated
 * hour read as the first.
 */
export const readTimeMs = (ds: Dataset, ev: SimEvent, timeInMs: boolean): number => {
  const served = servedTime(ds, ev, timeInMs)
  return ds.calendar.wallClockToUtc(timeInMs ? served : served * 1000)
}

export interface Truth {
  readonly count: number
  readonly checksum: string
}

/**
 * The deduplicated set a correct client must end with. A user's events in one second differ
 * in their ids or their properties, and two that read as one instant (a repeated hour) too, so
 * originals are unique by Mixpanel's 4-tuple and the redelivered copies are exactly the
 * duplicates. With `withProperties` each term also covers the event's properties as served,
 * those of its copy processed last (the one a client keeps).
 */
export const eventTruth = (
  ds: Dataset,
  q: EventQuery,
  timeInMs: boolean,
  withProperties = false,
): Truth => {
  const acc = new ChecksumAccumulator()
  for (const ev of queryEvents(ds, { ...q, limit: Number.POSITIVE_INFINITY })) {
    if (ev.duplicate) continue
    const timeMs = readTimeMs(ds, ev, timeInMs)
    acc.addEvent(
      ev.name,
      ev.user.distinctId,
      timeMs,
      truthInsertId(ev, timeMs),
      withProperties ? servedPropertiesJson(ds, ev, timeInMs, ev.lastProcessingMs) : undefined,
    )
  }
  return { count: acc.count, checksum: acc.digest() }
}
