import { companyNames, industries, personNames } from "./catalog.js"
import type { Dataset } from "./dataset.js"
import { Rng } from "./rng.js"
import { distinctIdOf } from "./users.js"

export interface SimProfile {
  readonly distinctId: string
  readonly properties: Readonly<Record<string, unknown>>
}

const DAY_MS = 86_400_000
const TAG_PROFILE = 0x50524f46
const TAG_GROUP = 0x47525550

/** Mixpanel's profile date format: ISO without a zone. */
export const isoNoZone = (ms: number): string => new Date(ms).toISOString().slice(0, 19)

/** The profile user `index` has (whether or not the dataset serves it: see `hasProfile`). */
export const userProfile = (ds: Dataset, index: number): SimProfile => {
  const user = ds.user(index)
  const r = new Rng(ds.seed, TAG_PROFILE, index)
  const name = r.pick(personNames)
  const endMs = ds.endDay * DAY_MS
  const lastSeen = Math.max(
    user.signupMs + r.int(3_600_000),
    endMs - 1 - Math.floor(r.next() * (1 - user.engagement) * ds.days * DAY_MS),
  )
  const properties: Record<string, unknown> = {
    $created: isoNoZone(user.signupMs),
    $last_seen: isoNoZone(Math.min(lastSeen, endMs - 1)),
    $email: `user${index}@example.${r.pick(["com", "org", "io", "co.jp"])}`,
    $name: name,
    plan: user.plan,
    $city: user.place.city,
    $region: user.place.region,
    mp_country_code: user.place.country,
    $os: user.platform.os,
    engagement_score: Math.round(user.engagement * 100),
    lifetime_value: user.buyer ? Math.round(r.next() * 200_000) / 100 : 0,
    sessions_count: r.int(500),
    tags: r.chance(0.3)
      ? []
      : [
          r.pick(["beta", "vip", "early-adopter", "🚀 launch"]),
          r.pick(["newsletter", "mobile", "web"]),
        ],
    preferences: {
      newsletter: r.chance(0.4),
      theme: r.pick(["dark", "light", "system"]),
      language: r.pick(["en", "ja", "he", "pt-BR"]),
    },
  }
  if (r.chance(0.5)) properties.$phone = `+1-555-${String(r.int(10_000)).padStart(4, "0")}`
  if (user.companyIndex >= 0) properties.company_id = `c-${user.companyIndex}`
  return { distinctId: user.distinctId, properties }
}

/** Whether the project stores a profile for user `index` (the first `profiles` users). */
export const hasProfile = (ds: Dataset, index: number): boolean => index < ds.profiles

/** Group key of the one data group the project has: companies. */
export const GROUP_KEY = "company_id"
export const DATA_GROUP_ID = "1"

export const groupProfile = (ds: Dataset, index: number): SimProfile => {
  const r = new Rng(ds.seed, TAG_GROUP, index)
  const created = (ds.startDay - 1 - r.int(700)) * DAY_MS + r.int(DAY_MS)
  return {
    distinctId: `c-${index}`,
    properties: {
      $name: `${r.pick(companyNames)} #${index}`,
      $created: isoNoZone(created),
      industry: r.pick(industries),
      employees: r.range(2, 20_000),
      arr: Math.round(r.next() * 5_000_000) / 100,
      plan: r.pick(["pro", "enterprise"]),
      domains: [`c${index}.example.com`],
    },
  }
}

export interface CohortDef {
  readonly id: number
  readonly name: string
  readonly description: string
  /** Membership rule over profile properties, in the where language. */
  readonly rule: string
}

export const cohorts: ReadonlyArray<CohortDef> = [
  { id: 101, name: "Pro plan", description: "plan is pro", rule: 'properties["plan"] == "pro"' },
  {
    id: 102,
    name: "Highly engaged 🔥",
    description: "engagement score at least 70",
    rule: 'properties["engagement_score"] >= 70',
  },
  {
    id: 103,
    name: "Brazil and Japan",
    description: "country BR or JP",
    rule: 'properties["mp_country_code"] == "BR" or properties["mp_country_code"] == "JP"',
  },
  {
    id: 104,
    name: "Enterprise newsletter readers",
    description: "enterprise plan, newsletter on",
    rule: 'properties["plan"] == "enterprise" and properties["preferences"]["newsletter"] == true',
  },
]

/** A saved funnel: its steps (event names, in order) and its conversion window. */
export interface FunnelDefinition {
  readonly funnel_id: number
  readonly name: string
  readonly steps: ReadonlyArray<string>
  /** The saved window, in `length_unit`s from the user's entry. */
  readonly length: number
  readonly length_unit: "day" | "hour" | "minute" | "second"
}

/** The project's saved funnels, over events the dataset generates. */
export const funnelDefinitions: ReadonlyArray<FunnelDefinition> = [
  {
    funnel_id: 7001,
    name: "Sign Up → Purchase",
    steps: ["Sign Up", "Add to Cart", "Purchase"],
    length: 14,
    length_unit: "day",
  },
  {
    funnel_id: 7002,
    name: "Browse to cart",
    steps: ["View Item", "Add to Cart"],
    length: 1,
    length_unit: "hour",
  },
  {
    funnel_id: 7003,
    name: "Checkout 🛒",
    steps: ["Add to Cart", "Checkout Started", "Purchase"],
    length: 1,
    length_unit: "day",
  },
]

/** `/funnels/list`'s answer. */
export const funnels: ReadonlyArray<{ readonly funnel_id: number; readonly name: string }> =
  funnelDefinitions.map(({ funnel_id, name }) => ({ funnel_id, name }))

/** Distinct id of user `index` without building its profile. */
export const profileDistinctId = (ds: Dataset, index: number): string =>
  distinctIdOf(ds.seed, index)
