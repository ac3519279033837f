import {
  companyNames,
  currencies,
  type Product,
  pages,
  products,
  referrers,
  searchQueries,
  utmSources,
} from "./catalog.js"
import type { Dataset } from "./dataset.js"
import { Rng } from "./rng.js"
import type { SimUser } from "./users.js"

/** One delivered copy of an event (a redelivered duplicate is a second object). */
export class SimEvent {
  private parsed: Readonly<Record<string, unknown>> | undefined
  /** The latest `mp_processing_time_ms` among this event's copies (its own when it has none). */
  lastProcessingMs: number
  constructor(
    readonly name: string,
    readonly user: SimUser,
    /** True UTC epoch milliseconds. */
    readonly timeMs: number,
    /** The plain string `$insert_id`; null for events delivered without one or with an odd one. */
    readonly insertId: string | null,
    readonly processingMs: number,
    /** Event-specific properties as JSON members without braces (may be empty). */
    readonly propsJson: string,
    /** True for the second delivery of an event. */
    readonly duplicate: boolean,
    /** Position in the served stream (copies arrive a little after the original). */
    readonly streamKey: number,
    /**
     * With edge cases: the JSON text of an odd `$insert_id` value served in place of a plain
     * one (`null`, `""`, `42`, `{"id":"a1"}`, `"12345"`, ...); undefined when the line has a
     * plain id or none.
     */
    readonly oddInsertId?: string,
  ) {
    this.lastProcessingMs = processingMs
  }

  /** Event-specific properties (the user's common ones live on `user.eventProps`). */
  get props(): Readonly<Record<string, unknown>> {
    if (this.parsed === undefined)
      this.parsed = JSON.parse(`{${this.propsJson}}`) as Record<string, unknown>
    return this.parsed
  }

  /** A redelivered copy: the same line but for a later processing time and stream position. */
  copy(processingMs: number, streamKey: number): SimEvent {
    const c = new SimEvent(
      this.name,
      this.user,
      this.timeMs,
      this.insertId,
      processingMs,
      this.propsJson,
      true,
      streamKey,
      this.oddInsertId,
    )
    this.lastProcessingMs = Math.max(this.lastProcessingMs, processingMs)
    return c
  }
}

const SLOT_MS = 900_000
const DAY_MS = 86_400_000
const TAG_PLAN = 0x504c414e
const TAG_SESSION = 0x53455353
const TAG_EDGE = 0x45444745
const TAG_PROBE = 0x50524f42

/** Activity by local hour of day. */
const diurnal = [
  0.15, 0.08, 0.05, 0.04, 0.05, 0.1, 0.3, 0.6, 0.9, 1.0, 1.0, 1.0, 1.1, 1.0, 0.95, 0.95, 0.9, 0.9,
  1.0, 1.2, 1.3, 1.2, 0.8, 0.4,
]
/** Activity by UTC weekday (0 = Sunday). */
const weekly = [0.7, 1.0, 1.05, 1.05, 1.0, 0.95, 0.75]

interface DayPlan {
  readonly start: number
  readonly slots: number
  /** Session owners, bucketed by slot: users of slot s are `owners[offsets[s]..offsets[s+1])`. */
  readonly owners: Int32Array
  readonly offsets: Int32Array
}

/** Which users have a session in which quarter hour of the day. */
const planDay = (ds: Dataset, day: number): DayPlan => {
  const { start, end } = ds.calendar.dayBounds(day)
  const slots = Math.round((end - start) / SLOT_MS)
  const weekday = (((day + 4) % 7) + 7) % 7
  const dayFactor = weekly[weekday]! * ds.activityScale
  const cumulative = new Map<number, Float64Array>()
  const weightsFor = (utcOffset: number): Float64Array => {
    let c = cumulative.get(utcOffset)
    if (!c) {
      c = new Float64Array(slots)
      let total = 0
      for (let s = 0; s < slots; s++) {
        const t = start + s * SLOT_MS
        const repeated =
          ds.calendar.isRepeatedWallClock(t) || ds.calendar.isRepeatedWallClock(t + SLOT_MS - 1)
        const hour = Math.floor((((t / 3_600_000 + utcOffset) % 24) + 24) % 24)
        total += repeated && !ds.edgeCases ? 0 : diurnal[hour]!
        c[s] = total
      }
      cumulative.set(utcOffset, c)
    }
    return c
  }
  const pairsSlot: number[] = []
  const pairsUser: number[] = []
  const counts = new Int32Array(slots + 1)
  for (let i = 0; i < ds.eventUsers; i++) {
    const user = ds.user(i)
    if (user.signupDay > day) continue
    const r = new Rng(ds.seed, TAG_PLAN, day, i)
    const signingUp = user.signupDay === day
    if (!signingUp && !r.chance(Math.min(0.97, user.engagement * dayFactor))) continue
    const sessions =
      1 +
      (r.chance(0.7) ? 1 : 0) +
      (r.chance(0.4 + user.engagement * 0.4) ? 1 : 0) +
      (r.chance(0.25) ? 1 : 0)
    const c = weightsFor(user.place.utcOffset)
    const total = c[slots - 1]!
    const chosen: number[] = []
    for (let tries = 0; chosen.length < sessions && tries < sessions * 6; tries++) {
      const x = r.next() * total
      let lo = 0
      let hi = slots - 1
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (c[mid]! > x) hi = mid
        else lo = mid + 1
      }
      if (!chosen.includes(lo)) chosen.push(lo)
    }
    for (const s of chosen) {
      pairsSlot.push(s)
      pairsUser.push(i)
      counts[s + 1]!++
    }
  }
  const offsets = new Int32Array(slots + 1)
  for (let s = 0; s < slots; s++) offsets[s + 1] = offsets[s]! + counts[s + 1]!
  const fill = offsets.slice(0, slots)
  const owners = new Int32Array(pairsUser.length)
  for (let k = 0; k < pairsUser.length; k++) owners[fill[pairsSlot[k]!]!++] = pairsUser[k]!
  return { start, slots, owners, offsets }
}

const round2 = (x: number): number => Math.round(x * 100) / 100

const priceIn = (usd: number, currency: string): number => {
  const rate = currencies.find(([c]) => c === currency)?.[1] ?? 1
  return currency === "JPY" || currency === "INR" ? Math.round(usd * rate) : round2(usd * rate)
}

const jsonCache = new Map<unknown, string>()
/** JSON of a value from a finite pool, cached. */
const J = (v: unknown): string => {
  let j = jsonCache.get(v)
  if (j === undefined) {
    j = JSON.stringify(v)
    jsonCache.set(v, j)
  }
  return j
}

const itemJsonCache = new Map<string, string>()
const itemJson = (p: Product, currency: string): string => {
  const key = `${p.id}|${currency}`
  let j = itemJsonCache.get(key)
  if (j === undefined) {
    j = JSON.stringify({
      id: p.id,
      name: p.name,
      category: p.category,
      price: priceIn(p.price, currency),
    })
    itemJsonCache.set(key, j)
  }
  return j
}

const productById = new Map(products.map((p) => [p.id, p]))
const URL_BASE = "https://shop.example.com"
const signupMethods = ["email", "google", "apple"]
const screens = ["Home", "Search", "Product", "Cart", "Profile", "設定"]
const channels = ["whatsapp", "email", "link", "line"]
const messages = [
  "Love this 😍",
  "¡Genial! 👍",
  "これ好き",
  "תראה את זה",
  "Check this out → 🔥",
  "مرحبا",
]
const payments = ["card", "paypal", "apple_pay"]

/** Odd `$insert_id` values (JSON texts) that leave an event without a usable id. */
const derivedOddInsertIds = [
  "null",
  '""',
  "true",
  "false",
  "{}",
  "[]",
  '{"id":"a1","v":2}',
  '["x",1]',
]
/** Odd `$insert_id` values that are usable ids: numbers, and strings that look like something else. */
const usableOddInsertIds = [
  "0",
  "42",
  "-7",
  "12.5",
  "2.50",
  "1e3",
  "1234567890123",
  '"12345"',
  '"true"',
  '"null"',
  '"[1,2]"',
  '"{x}"',
  '"1e5"',
  '"-0"',
  '" "',
]
const oddInsertIds = [...derivedOddInsertIds, ...usableOddInsertIds]
const usableOdd = new Set(usableOddInsertIds)
/** Members whose text matters: integers beyond 2^53 (and 2^64), numbers written oddly, escapes. */
const oddMembers = [
  '"ref_number":9007199254740993',
  '"ref_number":-9007199254740993',
  '"ref_number":9223372036854775807',
  '"ref_number":18446744073709551615',
  '"ref_number":123456789012345678901234567890',
  '"ratio":1.0',
  '"ratio":2.50',
  '"ratio":1e21',
  '"ratio":-0',
  '"ratio":5e-324',
  '"ratio":1.7976931348623157e308',
  '"note":"caf\\u00e9 \\ud83d\\ude00 \\t \\u0001 \\"q\\" \\\\ \\/"',
  '"nested_order":{"z":[{"b":1,"a":2}],"a":{"y":null,"x":"9007199254740993"}}',
]

const withMember = (json: string, member: string): string =>
  json === "" ? member : `${json},${member}`

/** Generates the events of one session (in time order) into `out`. */
const session = (
  ds: Dataset,
  day: number,
  user: SimUser,
  slot: number,
  slotStart: number,
  firstOfDay: boolean,
  out: SimEvent[],
): void => {
  const r = new Rng(ds.seed, TAG_SESSION, day, user.index, slot)
  const slotEnd = slotStart + SLOT_MS
  const web = user.platform.lib === "web"
  const signingUp = firstOfDay && user.signupDay === day
  const cur = user.currency
  let t = slotStart + r.int(300_000)
  const length = Math.min(30, 2 + Math.floor(r.exp(4.6)))
  let cart: string[] = []
  let checkout = false
  const e = ds.edgeCases ? new Rng(ds.seed, TAG_EDGE, day, user.index, slot) : undefined
  const emit = (name: string, json: string): void => {
    const insertId = r.chance(0.01) ? null : r.hex(16)
    const late = r.chance(0.02)
    const processingMs = late
      ? t + (1 + r.int(5)) * DAY_MS + r.int(DAY_MS)
      : t + 500 + Math.floor(r.exp(20_000))
    if (e === undefined) {
      const ev = new SimEvent(name, user, t, insertId, processingMs, json, false, t)
      out.push(ev)
      if (r.chance(0.01))
        out.push(
          ev.copy(
            processingMs + 1000 + r.int(3_600_000),
            Math.min(t + 1000 + r.int(600_000), slotEnd - 1),
          ),
        )
      return
    }
    // edge cases: the same draws from `r` as above, every extra one from `e`
    let plain = insertId
    let odd: string | undefined
    if (insertId !== null) {
      const x = e.next()
      if (x < 0.04) {
        odd = e.pick(oddInsertIds)
        plain = null
      } else if (x < 0.07) plain = null
    }
    const own = e.chance(0.03) ? withMember(json, e.pick(oddMembers)) : json
    const ev = new SimEvent(name, user, t, plain, processingMs, own, false, t, odd)
    out.push(ev)
    const usable = ev.insertId !== null || (odd !== undefined && usableOdd.has(odd))
    const copies =
      (r.chance(0.01) ? 1 : 0) +
      (e.chance(usable ? 0.02 : 0.35) ? 1 + (e.chance(usable ? 0.05 : 0.3) ? 1 : 0) : 0)
    for (let k = 0; k < copies; k++)
      out.push(
        ev.copy(
          processingMs + 1000 + e.int(3_600_000),
          Math.min(t + 1000 + e.int(600_000), slotEnd - 1),
        ),
      )
    if (e.chance(0.03)) {
      // a second event of the same user in the same second (half of them in the same ms): a
      // double tap, told apart by its own id or, without a usable one, by its properties
      const twinMs = e.chance(0.5) ? t : t + e.int(1000 - (t % 1000))
      const twinOdd = e.chance(0.2) ? e.pick(derivedOddInsertIds) : undefined
      const twin = new SimEvent(
        name,
        user,
        twinMs,
        twinOdd === undefined && e.chance(0.85) ? e.hex(16) : null,
        processingMs + e.int(1000),
        withMember(own, '"tap":2'),
        false,
        twinMs,
        twinOdd,
      )
      out.push(twin)
      if (twin.insertId === null && e.chance(0.3))
        out.push(
          twin.copy(
            twin.processingMs + 1000 + e.int(3_600_000),
            Math.min(twinMs + 1000 + e.int(600_000), slotEnd - 1),
          ),
        )
    }
  }
  for (let n = 0; n < length; n++) {
    if (n === 0) {
      if (web) {
        const [path, title] = r.pick(pages)
        const utm = r.pick(utmSources)
        let json = `"$current_url":${J(URL_BASE + path)},"page_title":${J(title)},"$referrer":${J(r.pick(referrers))}`
        if (utm !== null) {
          json += `,"utm":{"source":${J(utm)},"medium":${utm === "newsletter" ? '"email"' : '"cpc"'},"campaign":${r.chance(0.5) ? '"spring_sale"' : "null"}}`
        }
        emit("Page View", json)
      } else {
        emit(
          "App Open",
          `"first_open":${signingUp},"$app_build_number":${r.range(100, 999)},"battery":{"level":${round2(r.next())},"charging":${r.chance(0.3)}}`,
        )
      }
    } else if (n === 1 && signingUp) {
      const referral = r.chance(0.2) ? `"${r.hex(3).toUpperCase()}"` : "null"
      const consents = r.chance(0.5) ? '["terms","marketing"]' : '["terms"]'
      emit(
        "Sign Up",
        `"method":${J(r.pick(signupMethods))},"plan":${J(user.plan)},"referral_code":${referral},"consents":${consents}`,
      )
    } else {
      const x = r.next()
      if (checkout && user.buyer && x < 0.7) {
        let amount = 0
        let items = ""
        for (const id of cart) {
          const qty = 1 + (r.chance(0.2) ? 1 : 0)
          const price = priceIn(productById.get(id)!.price, cur)
          amount += qty * price
          items += `${items === "" ? "" : ","}{"id":${J(id)},"qty":${qty},"price":${price}}`
        }
        amount = cur === "JPY" || cur === "INR" ? Math.round(amount) : round2(amount)
        const coupon = r.chance(0.15) ? '"WELCOME10"' : "null"
        emit(
          "Purchase",
          `"amount":${amount},"currency":${J(cur)},"order_id":"o-${r.hex(6)}","items":[${items}],"coupon":${coupon},"payment":{"method":${J(r.pick(payments))},"3ds":${r.chance(0.5)}}`,
        )
        cart = []
        checkout = false
      } else if (cart.length > 0 && !checkout && x < 0.35) {
        checkout = true
        let value = 0
        for (const id of cart) value += priceIn(productById.get(id)!.price, cur)
        let json = `"cart_value":${round2(value)},"currency":${J(cur)},"items_count":${cart.length}`
        if (web) json += `,"$current_url":"${URL_BASE}/checkout"`
        emit("Checkout Started", json)
      } else if (x < 0.55) {
        const p = r.pick(products)
        let json = `"item":${itemJson(p, cur)},"position":${r.range(1, 24)}`
        if (web) json += `,"$current_url":"${URL_BASE}/products/${p.id}"`
        emit("View Item", json)
        if (r.chance(user.buyer ? 0.45 : 0.25) && n + 1 < length) {
          t += 2000 + Math.floor(r.exp(15_000))
          if (t >= slotEnd - 1000) break
          cart = [...cart, p.id].slice(-5)
          emit(
            "Add to Cart",
            `"item_id":${J(p.id)},"item_name":${J(p.name)},"category":${J(p.category)},"price":${priceIn(p.price, cur)},"quantity":1,"cart_size":${cart.length},"cart_items":${JSON.stringify(cart)}`,
          )
          n++
        }
      } else if (x < 0.68) {
        const category = r.chance(0.3) ? J(r.pick(products).category) : "null"
        const priceMax = r.chance(0.3) ? String(r.pick([50, 100, 500])) : "null"
        emit(
          "Search",
          `"query":${J(r.pick(searchQueries))},"results_count":${r.int(120)},"filters":{"category":${category},"price_max":${priceMax}}`,
        )
      } else if (x < 0.985) {
        if (web) {
          const [path, title] = r.pick(pages)
          emit(
            "Page View",
            `"$current_url":${J(URL_BASE + path)},"page_title":${J(title)},"$referrer":"$direct"`,
          )
        } else {
          emit("Screen View", `"screen":${J(r.pick(screens))}`)
        }
      } else {
        emit(
          "Share",
          `"channel":${J(r.pick(channels))},"message":${J(r.pick(messages))},"recipients":[],"meta":{"nested":{"depth":2,"tags":["a","b"],"company":${J(r.pick(companyNames))}}}`,
        )
      }
    }
    t += 2000 + Math.floor(r.exp(25_000))
    if (t >= slotEnd - 1000) break
  }
}

/** Instants `[start, end)` at which the calendar's offset changes (on quarter hours). */
const zoneChanges = (ds: Dataset, start: number, end: number): number[] => {
  const out: number[] = []
  if (ds.calendar.utc) return out
  for (let q = start; q < end; q += SLOT_MS)
    if (ds.calendar.offsetMs(q) !== ds.calendar.offsetMs(q - 1)) out.push(q)
  return out
}

/** Around each change: 30 minutes before, the last ms before, the change itself, 30 after. */
const PROBE_OFFSETS = [-1_800_000, -1, 0, 1_800_000]
const PROBE_USERS = 4

/**
 * With edge cases, on a day the legacy zone's clock changes: a few users with an event at each
 * instant of `PROBE_OFFSETS` around the change (on a fall-back day 30 minutes before and after
 * show the same wall clock). Each user's ids take another form: plain, none (redelivered), odd
 * without a usable id, plain and redelivered. Events of one user differ in `dst_probe`, so two
 * that read as the same instant stay two events.
 */
const probeEvents = (ds: Dataset, day: number, start: number, end: number): SimEvent[] => {
  const out: SimEvent[] = []
  const changes = zoneChanges(ds, start, end)
  if (!ds.edgeCases || changes.length === 0) return out
  const e = new Rng(ds.seed, TAG_PROBE, day)
  const users: number[] = []
  for (let tries = 0; users.length < PROBE_USERS && tries < 200; tries++) {
    const i = e.int(ds.eventUsers)
    if (ds.user(i).signupDay <= day && !users.includes(i)) users.push(i)
  }
  for (const change of changes) {
    users.forEach((i, j) => {
      const user = ds.user(i)
      PROBE_OFFSETS.forEach((offset, k) => {
        const t = change + offset
        if (t < start || t >= end) return
        const slotEnd = start + (Math.floor((t - start) / SLOT_MS) + 1) * SLOT_MS
        const web = user.platform.lib === "web"
        const json = web
          ? `"$current_url":"${URL_BASE}/","page_title":"Home","$referrer":"$direct","dst_probe":${k}`
          : `"screen":"Home","dst_probe":${k}`
        const odd = j === 2 ? e.pick(derivedOddInsertIds) : undefined
        const ev = new SimEvent(
          web ? "Page View" : "Screen View",
          user,
          t,
          j === 0 || j === 3 ? e.hex(16) : null,
          t + 500 + e.int(20_000),
          json,
          false,
          t,
          odd,
        )
        out.push(ev)
        if (j === 1 || j === 3)
          out.push(
            ev.copy(
              ev.processingMs + 1000 + e.int(3_600_000),
              Math.min(t + 1 + e.int(600_000), slotEnd - 1),
            ),
          )
      })
    })
  }
  return out
}

/**
 * The events of one calendar day (of the project's calendar), in serving order, one quarter-hour
 * slot at a time so memory stays bounded by a slot's worth of events, then the day's late events
 * (`Dataset.late`) as one last batch. The array is reused: it is only valid until the next one
 * is asked for.
 */
export function* daySlots(ds: Dataset, day: number): Generator<SimEvent[], void, undefined> {
  if (day < ds.startDay || day >= ds.endDay) return
  const plan = planDay(ds, day)
  const probes = probeEvents(ds, day, plan.start, plan.start + plan.slots * SLOT_MS)
  const seen = new Uint8Array(ds.eventUsers)
  const buffer: SimEvent[] = []
  for (let s = 0; s < plan.slots; s++) {
    const a = plan.offsets[s]!
    const b = plan.offsets[s + 1]!
    const slotStart = plan.start + s * SLOT_MS
    const probed =
      probes.length === 0
        ? probes
        : probes.filter((ev) => ev.timeMs >= slotStart && ev.timeMs < slotStart + SLOT_MS)
    if (a === b && probed.length === 0) continue
    buffer.length = 0
    for (let k = a; k < b; k++) {
      const u = plan.owners[k]!
      const first = seen[u] === 0
      seen[u] = 1
      session(ds, day, ds.user(u), s, slotStart, first, buffer)
    }
    buffer.push(...probed)
    buffer.sort(byStreamKey)
    yield buffer
  }
  const late = ds.late.of(day)
  if (late.length > 0) {
    buffer.length = 0
    buffer.push(...late)
    yield buffer
  }
}

const byStreamKey = (x: SimEvent, y: SimEvent): number => x.streamKey - y.streamKey

/** The events of one calendar day (of the project's calendar), in serving order. */
export function* dayEvents(ds: Dataset, day: number): Generator<SimEvent, void, undefined> {
  for (const slot of daySlots(ds, day)) yield* slot
}

/** Epoch days of the calendar days `from..to` (inclusive). */
export const daysBetween = (fromDay: number, toDay: number): number[] => {
  const out: number[] = []
  for (let d = fromDay; d <= toDay; d++) out.push(d)
  return out
}
