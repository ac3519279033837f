import {
  companyNames,
  currencies,
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
export interface SimEvent {
  readonly name: string
  readonly user: SimUser
  /** True UTC epoch milliseconds. */
  readonly timeMs: number
  /** Null for events delivered without `$insert_id`. */
  readonly insertId: string | null
  readonly processingMs: number
  /** Event-specific properties (the user's common ones live on `user.eventProps`). */
  readonly props: Readonly<Record<string, unknown>>
  /** True for the second delivery of an event. */
  readonly duplicate: boolean
  /** Position in the served stream (copies arrive a little after the original). */
  readonly streamKey: number
}

const SLOT_MS = 900_000
const DAY_MS = 86_400_000
const TAG_PLAN = 0x504c414e
const TAG_SESSION = 0x53455353

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
        total += repeated ? 0 : diurnal[hour]!
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
  let t = slotStart + r.int(300_000)
  const length = Math.min(30, 2 + Math.floor(r.exp(4.6)))
  let cart: string[] = []
  let checkout = false
  const emit = (name: string, props: Record<string, unknown>): void => {
    const insertId = r.chance(0.01) ? null : r.hex(16)
    const late = r.chance(0.02)
    const processingMs = late
      ? t + (1 + r.int(5)) * DAY_MS + r.int(DAY_MS)
      : t + 500 + Math.floor(r.exp(20_000))
    const ev: SimEvent = {
      name,
      user,
      timeMs: t,
      insertId,
      processingMs,
      props,
      duplicate: false,
      streamKey: t,
    }
    out.push(ev)
    if (r.chance(0.01)) {
      out.push({
        ...ev,
        processingMs: processingMs + 1000 + r.int(3_600_000),
        duplicate: true,
        streamKey: Math.min(t + 1000 + r.int(600_000), slotEnd - 1),
      })
    }
  }
  const url = (path: string): string => `https://shop.example.com${path}`
  for (let n = 0; n < length; n++) {
    if (n === 0) {
      if (web) {
        const [path, title] = r.pick(pages)
        const utm = r.pick(utmSources)
        const props: Record<string, unknown> = {
          $current_url: url(path),
          page_title: title,
          $referrer: r.pick(referrers),
        }
        if (utm !== null)
          props.utm = {
            source: utm,
            medium: utm === "newsletter" ? "email" : "cpc",
            campaign: r.chance(0.5) ? "spring_sale" : null,
          }
        emit("Page View", props)
      } else {
        emit("App Open", {
          first_open: signingUp,
          $app_build_number: r.range(100, 999),
          battery: { level: round2(r.next()), charging: r.chance(0.3) },
        })
      }
    } else if (n === 1 && signingUp) {
      emit("Sign Up", {
        method: r.pick(["email", "google", "apple"]),
        plan: user.plan,
        referral_code: r.chance(0.2) ? r.hex(3).toUpperCase() : null,
        consents: r.chance(0.5) ? ["terms", "marketing"] : ["terms"],
      })
    } else {
      const x = r.next()
      if (checkout && user.buyer && x < 0.7) {
        const items = cart.map((id) => {
          const p = products.find((q) => q.id === id)!
          return { id, qty: 1 + (r.chance(0.2) ? 1 : 0), price: priceIn(p.price, user.currency) }
        })
        let amount = 0
        for (const it of items) amount += it.qty * it.price
        emit("Purchase", {
          amount:
            user.currency === "JPY" || user.currency === "INR"
              ? Math.round(amount)
              : round2(amount),
          currency: user.currency,
          order_id: `o-${r.hex(6)}`,
          items,
          coupon: r.chance(0.15) ? "WELCOME10" : null,
          payment: { method: r.pick(["card", "paypal", "apple_pay"]), "3ds": r.chance(0.5) },
        })
        cart = []
        checkout = false
      } else if (cart.length > 0 && !checkout && x < 0.35) {
        checkout = true
        let value = 0
        for (const id of cart)
          value += priceIn(products.find((q) => q.id === id)!.price, user.currency)
        const props: Record<string, unknown> = {
          cart_value: round2(value),
          currency: user.currency,
          items_count: cart.length,
        }
        if (web) props.$current_url = url("/checkout")
        emit("Checkout Started", props)
      } else if (x < 0.55) {
        const p = r.pick(products)
        const props: Record<string, unknown> = {
          item: {
            id: p.id,
            name: p.name,
            category: p.category,
            price: priceIn(p.price, user.currency),
          },
          position: r.range(1, 24),
        }
        if (web) props.$current_url = url(`/products/${p.id}`)
        emit("View Item", props)
        if (r.chance(user.buyer ? 0.45 : 0.25) && n + 1 < length) {
          t += 2000 + Math.floor(r.exp(15_000))
          if (t >= slotEnd - 1000) break
          cart = [...cart, p.id].slice(-5)
          emit("Add to Cart", {
            item_id: p.id,
            item_name: p.name,
            category: p.category,
            price: priceIn(p.price, user.currency),
            quantity: 1,
            cart_size: cart.length,
            cart_items: cart,
          })
          n++
        }
      } else if (x < 0.68) {
        emit("Search", {
          query: r.pick(searchQueries),
          results_count: r.int(120),
          filters: {
            category: r.chance(0.3) ? r.pick(products).category : null,
            price_max: r.chance(0.3) ? r.pick([50, 100, 500]) : null,
          },
        })
      } else if (x < 0.985) {
        if (web) {
          const [path, title] = r.pick(pages)
          emit("Page View", { $current_url: url(path), page_title: title, $referrer: "$direct" })
        } else {
          emit("Screen View", {
            screen: r.pick(["Home", "Search", "Product", "Cart", "Profile", "設定"]),
          })
        }
      } else {
        emit("Share", {
          channel: r.pick(["whatsapp", "email", "link", "line"]),
          message: r.pick([
            "Love this 😍",
            "¡Genial! 👍",
            "これ好き",
            "תראה את זה",
            "Check this out → 🔥",
            "مرحبا",
          ]),
          recipients: [],
          meta: { nested: { depth: 2, tags: ["a", "b"], company: r.pick(companyNames) } },
        })
      }
    }
    t += 2000 + Math.floor(r.exp(25_000))
    if (t >= slotEnd - 1000) break
  }
}

/**
 * The events of one calendar day (of the project's calendar), in serving order, generated slot by
 * slot so memory stays bounded by a quarter hour's worth of events.
 */
export function* dayEvents(ds: Dataset, day: number): Generator<SimEvent, void, undefined> {
  if (day < ds.startDay || day >= ds.endDay) return
  const plan = planDay(ds, day)
  const seen = new Set<number>()
  const buffer: SimEvent[] = []
  for (let s = 0; s < plan.slots; s++) {
    const a = plan.offsets[s]!
    const b = plan.offsets[s + 1]!
    if (a === b) continue
    buffer.length = 0
    const slotStart = plan.start + s * SLOT_MS
    for (let k = a; k < b; k++) {
      const u = plan.owners[k]!
      const first = !seen.has(u)
      if (first) seen.add(u)
      session(ds, day, ds.user(u), s, slotStart, first, buffer)
    }
    buffer.sort((x, y) => x.streamKey - y.streamKey)
    yield* buffer
  }
}

/** Epoch days of the calendar days `from..to` (inclusive). */
export const daysBetween = (fromDay: number, toDay: number): number[] => {
  const out: number[] = []
  for (let d = fromDay; d <= toDay; d++) out.push(d)
  return out
}
