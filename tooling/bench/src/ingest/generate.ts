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

export interface GeneratedEvent {
  readonly record: EventRecord
  /** The event as one Mixpanel export line (same content as `record`). */
  readonly line: () => string
}

const START = Date.UTC(2024, 0, 1)
const SPAN_MS = 30 * 24 * 3600 * 1000

/**
 * `count` Mixpanel-shaped events from `seed`. Properties come from a pool of varied objects, so
 * generating costs little next to ingesting; each event has its own name, time, user and
 * `$insert_id`, and its properties carry `time`, `distinct_id` and `$insert_id` as Mixpanel's
 * export does.
 */
export function* generateEvents(count: number, seed = 42): Generator<GeneratedEvent> {
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
    yield {
      record: { eventName, time, distinctId, insertId, properties },
      line: () => JSON.stringify({ event: eventName, properties }),
    }
  }
}
