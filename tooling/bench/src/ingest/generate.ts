import { closeSync, openSync, writeSync } from "node:fs"
import type { EventRecord } from "@mixpanel-data/core"

/** Small, fast, seeded PRNG (mulberry32): the same seed yields the same events. */
export const prng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = <A>(random: () => number, items: ReadonlyArray<A>): A =>
  items[Math.floor(random() * items.length)] as A

const eventNames = ["Page View", "Sign Up", "Purchase", "Add To Cart", "Search", "Login", "Share"]
const oses = ["Mac OS X", "Windows", "iOS", "Android", "Linux"]
const browsers = ["Chrome", "Safari", "Firefox", "Edge", "Mobile Safari"]
const cities = ["San Francisco", "New York", "London", "Berlin", "São Paulo", "東京", "Zürich"]
const countries = ["US", "GB", "DE", "BR", "JP", "CH", "FR"]
const currencies = ["USD", "EUR", "GBP", "JPY", "BRL"]
const paths = ["/", "/pricing", "/docs/getting-started", "/blog/ünïcödé-post", "/checkout"]
const campaigns = ["spring_sale", "newsletter", "retargeting", null]

/** Mixpanel-shaped properties (about 15 of them) without the per-event keys. */
const baseProperties = (random: () => number): Record<string, unknown> => ({
  $os: pick(random, oses),
  $browser: pick(random, browsers),
  $browser_version: Math.floor(random() * 40) + 80,
  $city: pick(random, cities),
  $region: "Région " + Math.floor(random() * 20),
  mp_country_code: pick(random, countries),
  $current_url: `https://example.com${pick(random, paths)}?ref=${Math.floor(random() * 1000)}`,
  $screen_width: pick(random, [1280, 1440, 1920, 390]),
  mp_lib: "web",
  utm_campaign: pick(random, campaigns),
  amount: Math.round(random() * 100000) / 100,
  currency: pick(random, currencies),
  cart: { items: Math.floor(random() * 5), coupon: random() < 0.2 ? "WELCOME10" : null },
  tags: ["alpha", pick(random, ["beta", "gamma", "delta"])],
  note: random() < 0.1 ? "emoji 🚀 and ümlauts" : "plain",
})

const START = Date.UTC(2024, 0, 1)
const SPAN_MS = 30 * 24 * 3600 * 1000

/**
 * `count` Mixpanel-shaped event records from `seed`. Properties come from a pool of varied
 * objects, so generating costs little next to ingesting; each event has its own name, time,
 * user and `$insert_id`, and its properties carry `time`, `distinct_id` and `$insert_id` as
 * Mixpanel's export does.
 */
export function* generateEvents(count: number, seed = 42): Generator<EventRecord> {
  const random = prng(seed)
  const pool = Array.from({ length: 2048 }, () => baseProperties(random))
  for (let i = 0; i < count; i++) {
    const ms = START + Math.floor(random() * SPAN_MS)
    const distinctId = `user-${Math.floor(random() * 50000)}`
    const insertId = `${i.toString(36)}-${Math.floor(random() * 1e9).toString(36)}`
    const eventName = pick(random, eventNames)
    const properties = {
      time: Math.floor(ms / 1000),
      distinct_id: distinctId,
      $insert_id: insertId,
      ...(pool[i & 2047] as Record<string, unknown>),
    }
    const time = new Date(Math.floor(ms / 1000) * 1000)
    yield { eventName, time, distinctId, insertId, properties }
  }
}

export interface ExportFileOptions {
  /** Lines to write, duplicates included. */
  readonly lines: number
  /** The first instant (UTC epoch ms); times spread evenly over `days` days from there. */
  readonly startMs: number
  readonly days: number
  readonly seed?: number
}

export interface ExportFileStats {
  readonly lines: number
  readonly bytes: number
  /** Lines that repeat an earlier line's key with a later `mp_processing_time_ms`. */
  readonly duplicates: number
  /** Lines without `$insert_id` (a correct reader derives one). */
  readonly withoutInsertId: number
}

const DAY_MS = 86_400_000
const DUPLICATE_SHARE = 0.01
const WITHOUT_INSERT_ID_SHARE = 0.02
/** A duplicate arrives this many lines after its original, at most. */
const DUPLICATE_LAG = 2_000
const exportEventNames = [...eventNames, "Añadir al carrito", "Checkout Started", "チェックアウト"]

/**
 * The end of a line after `mp_processing_time_ms`'s value: most of `baseProperties` (nested
 * objects, an array, unicode) and two integers beyond 2^53, written as text as Mixpanel's
 * export carries them (JSON.parse loses their last digits; a JSON column must not).
 */
const exportFragment = (random: () => number): Buffer => {
  const { $current_url, $browser_version, $screen_width, mp_lib, ...base } = baseProperties(random)
  const members = JSON.stringify(base).slice(1, -1)
  const digits = () =>
    Math.floor(random() * 1e9)
      .toString()
      .padStart(9, "0")
  const big = (length: number) =>
    `${1 + Math.floor(random() * 8)}${digits()}${digits()}`.slice(0, length)
  return Buffer.from(`,${members},"account_id":${big(17)},"$braze_id":${big(19)}}}\n`)
}

const hex = (random: () => number) =>
  Math.floor(random() * 0x100000000)
    .toString(16)
    .padStart(8, "0")

/**
 * Writes a Mixpanel export file (`{"event":…,"properties":{"time":<ms>,…}}`, one a line, about
 * 450 bytes each) of exactly `lines` lines, fast: the properties after the per-line keys come
 * from a pool of rendered fragments, and lines are encoded into one buffer written
 * synchronously. About 1% of the lines are redelivered duplicates (same event, time, user and
 * `$insert_id`, a later `mp_processing_time_ms`, a little further down the file) and about 2%
 * have no `$insert_id`. Times rise through the span with up to a minute of jitter, always
 * inside it.
 */
export const writeExportFile = (path: string, options: ExportFileOptions): ExportFileStats => {
  const random = prng(options.seed ?? 7)
  const pool = Array.from({ length: 4096 }, () => exportFragment(random))
  const names = exportEventNames.map((n) => JSON.stringify(n))
  const span = options.days * DAY_MS
  const users = Math.max(1000, Math.floor(options.lines / 20))
  // Duplicates waiting for their line, by due line: the head up to `mp_processing_time_ms`, its
  // later value, the fragment, and whether it has an `$insert_id`.
  const pending: Array<readonly [number, string, number, Buffer, boolean]> = []
  const fd = openSync(path, "w")
  const buffer = Buffer.allocUnsafe(1 << 22)
  let used = 0
  let bytes = 0
  let duplicates = 0
  let withoutInsertId = 0
  let original = 0
  const put = (head: string, processed: number, tail: Buffer) => {
    if (used + head.length * 3 + 20 + tail.length > buffer.length) {
      writeSync(fd, buffer, 0, used)
      bytes += used
      used = 0
    }
    used += buffer.write(head, used, "utf8")
    used += buffer.write(String(processed), used, "latin1")
    used += tail.copy(buffer, used)
  }
  try {
    for (let n = 0; n < options.lines; n++) {
      if (pending.length > 0 && pending[0]![0] <= n) {
        const [, head, processed, tail, withId] = pending.shift()!
        put(head, processed, tail)
        duplicates++
        if (!withId) withoutInsertId++
        continue
      }
      const base = options.startMs + Math.floor((n / options.lines) * span)
      const jitter = Math.floor((random() - 0.5) * 120_000)
      const time = Math.min(options.startMs + span - 1, Math.max(options.startMs, base + jitter))
      const processed = time + 500 + Math.floor(random() * 40_000)
      const withId = random() >= WITHOUT_INSERT_ID_SHARE
      if (!withId) withoutInsertId++
      const insertId = withId ? `"$insert_id":"${(original++).toString(36)}-${hex(random)}",` : ""
      const head = `{"event":${names[Math.floor(random() * names.length)]},"properties":{"time":${time},"distinct_id":"u${Math.floor(random() * users)}",${insertId}"mp_processing_time_ms":`
      const tail = pool[Math.floor(random() * pool.length)]!
      put(head, processed, tail)
      if (random() < DUPLICATE_SHARE) {
        const due = n + 1 + Math.floor(random() * DUPLICATE_LAG)
        const later = processed + 1000 + Math.floor(random() * 3_600_000)
        // Due lines stay in order: a new one goes after every one due no later.
        let at = pending.length
        while (at > 0 && pending[at - 1]![0] > due) at--
        pending.splice(at, 0, [due, head, later, tail, withId])
      }
    }
    writeSync(fd, buffer, 0, used)
    bytes += used
  } finally {
    closeSync(fd)
  }
  return { lines: options.lines, bytes, duplicates, withoutInsertId }
}
