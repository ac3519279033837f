import {
  currencyOfCountry,
  type Place,
  type Platform,
  places,
  plans,
  platforms,
} from "./catalog.js"
import { Rng } from "./rng.js"

/** One synthetic user: stable attributes shared by its events and its profile. */
export interface SimUser {
  readonly index: number
  readonly distinctId: string
  readonly place: Place
  readonly platform: Platform
  readonly browser: string | null
  /** Probability of being active on a weekday, before scaling. */
  readonly engagement: number
  /** Whether this user ever completes a purchase. */
  readonly buyer: boolean
  /** Epoch day of sign-up. */
  readonly signupDay: number
  /** UTC instant of sign-up (for `$created`). */
  readonly signupMs: number
  readonly plan: string
  readonly companyIndex: number
  readonly currency: string
  /** Properties every event of this user carries, in serving order. */
  readonly eventProps: Readonly<Record<string, unknown>>
  /** `eventProps` as JSON without the braces, spliced into every line. */
  readonly eventPropsJson: string
  /** `,"distinct_id":<id>` as every line has it, UTF-8. */
  readonly distinctIdPart: Buffer
  /** `,` and the user's common properties, UTF-8, as every line has them. */
  readonly linePart: Buffer
}

const DAY_MS = 86_400_000
const TAG_USER = 0x55534552

/** Stable distinct id of user `index`: mostly `u-<n>`, some device-style UUIDs. */
export const distinctIdOf = (seed: number, index: number): string => {
  if (index % 8 !== 7) return `u-${index}`
  const r = new Rng(seed, TAG_USER, index, 99)
  const h = r.hex(16)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

const placeWeights = places.map((p) => [p, p.weight] as const)
const platformWeights = platforms.map((p) => [p, p.weight] as const)

export const makeUser = (
  seed: number,
  index: number,
  startDay: number,
  days: number,
  companies: number,
): SimUser => {
  const r = new Rng(seed, TAG_USER, index)
  const place = r.weighted(placeWeights)
  const platform = r.weighted(platformWeights)
  const browser = platform.browsers.length > 0 ? r.pick(platform.browsers) : null
  // Skewed engagement: many casual users, a few heavy ones.
  const engagement = 0.05 + 0.9 * r.next() ** 1.6
  const buyer = r.chance(0.35)
  const existing = r.chance(0.6)
  const signupDay = existing ? startDay - 1 - r.int(365) : startDay + r.int(Math.max(1, days))
  const signupMs = signupDay * DAY_MS + r.int(DAY_MS)
  const plan = r.weighted(plans)
  const companyIndex = r.chance(0.4) ? r.int(companies) : -1
  const eventProps: Record<string, unknown> = {
    $os: platform.os,
  }
  if (browser !== null) {
    eventProps.$browser = browser
    eventProps.$browser_version = r.range(100, 125)
  } else {
    eventProps.$model = r.pick(platform.devices)
    eventProps.$app_version_string = `${r.range(3, 5)}.${r.range(0, 12)}.${r.range(0, 9)}`
    eventProps.$device_id = r.hex(8)
  }
  eventProps.$city = place.city
  eventProps.$region = place.region
  eventProps.mp_country_code = place.country
  eventProps.mp_lib = platform.lib
  eventProps.$screen_width =
    platform.lib === "web" ? r.pick([1280, 1440, 1920, 2560]) : r.pick([390, 412, 820])
  if (companyIndex >= 0) eventProps.company_id = `c-${companyIndex}`
  const json = JSON.stringify(eventProps)
  const distinctId = distinctIdOf(seed, index)
  return {
    index,
    distinctId,
    place,
    platform,
    browser,
    engagement,
    buyer,
    signupDay,
    signupMs,
    plan,
    companyIndex,
    currency: currencyOfCountry[place.country] ?? "USD",
    eventProps,
    eventPropsJson: json.slice(1, -1),
    distinctIdPart: Buffer.from(`,"distinct_id":${JSON.stringify(distinctId)}`),
    linePart: Buffer.from(`,${json.slice(1, -1)}`),
  }
}
