import type { Family } from "./limits.js"
import { hash32, hashString } from "./rng.js"

export type FaultKind =
  | "429"
  | "429-retry-after"
  | "500"
  | "502"
  | "503"
  | "reset-mid-body"
  | "terminated-early"
  | "cut-line"
  | "cut-gzip"
  | "slow-trickle"
  | "401"
  | "402"
  | "400-unable-to-authenticate"
  | "403"

/** The faults a correct client survives by retrying: the set ends exact all the same. */
export const transientFaultKinds: ReadonlyArray<FaultKind> = [
  "429",
  "429-retry-after",
  "500",
  "502",
  "503",
  "reset-mid-body",
  "terminated-early",
  "cut-line",
  "cut-gzip",
  "slow-trickle",
]

export const faultKinds: ReadonlyArray<FaultKind> = [
  ...transientFaultKinds,
  "401",
  "402",
  "400-unable-to-authenticate",
  "403",
]

export interface FaultSpec {
  readonly kind: FaultKind
  /** `429-retry-after`: the header's value in seconds (default 1). */
  readonly retryAfterSeconds?: number
  /** `429-retry-after`: the header as an HTTP date that many seconds ahead (whole seconds). */
  readonly retryAfterAsDate?: boolean
  /** Body faults: about how many body bytes go out before the fault (default 16384). */
  readonly afterBytes?: number
  /** `slow-trickle`: bytes sent slowly (default 4096), in pieces of `pieceBytes` every `tickMs`. */
  readonly trickleBytes?: number
  readonly pieceBytes?: number
  readonly tickMs?: number
}

export type Fault = FaultKind | FaultSpec

export interface FaultMatch {
  /** Path prefix, e.g. `/api/2.0/export` or `/api/query/engage`. */
  readonly path?: string
  readonly family?: Family
  /** Export requests whose date range includes this day (`YYYY-MM-DD`). */
  readonly day?: string
  /** Fire on the nth (1-based) request this rule matches. */
  readonly nth?: number
  /** Fire on every kth request this rule matches. */
  readonly every?: number
  /** Fire at most this many times. */
  readonly times?: number
}

export interface FaultRule {
  readonly match?: FaultMatch
  readonly fault: Fault
}

/**
 * Scripted rules are checked in order and the first that fires wins; every rule counts the
 * requests it matches whether or not an earlier rule fired. When no rule fires, the random part
 * draws from a hash of (seed, request identity, attempt number), so it is deterministic per
 * request whatever the order concurrent requests arrive in, and a retry draws again.
 */
export interface FaultPlan {
  readonly script?: ReadonlyArray<FaultRule>
  readonly random?: {
    readonly seed: number
    /** Probability per request, 0..1. */
    readonly rate: number
    readonly kinds: ReadonlyArray<Fault>
    /** Only requests under this path prefix. */
    readonly path?: string
    /** At most this many injected faults per request identity (default 3), so retries end. */
    readonly maxPerRequest?: number
  }
}

export interface FaultRequest {
  readonly path: string
  readonly family: Family
  /** Days (`YYYY-MM-DD`) an export request covers; empty for other requests. */
  readonly days: ReadonlyArray<string>
  /** Identity of the request for random draws (method, path and sorted parameters). */
  readonly identity: string
}

export const faultSpec = (fault: Fault): FaultSpec =>
  typeof fault === "string" ? { kind: fault } : fault

export const validateFaultPlan = (plan: FaultPlan): void => {
  const check = (f: Fault): void => {
    if (!faultKinds.includes(faultSpec(f).kind))
      throw new Error(`unknown fault kind: ${JSON.stringify(f)}`)
  }
  for (const rule of plan.script ?? []) check(rule.fault)
  if (plan.random) {
    const { rate, kinds } = plan.random
    if (!(rate >= 0 && rate <= 1)) throw new Error(`fault rate must be within 0..1: ${rate}`)
    if (kinds.length === 0 && rate > 0) throw new Error("random faults need at least one kind")
    kinds.forEach(check)
  }
}

/** Chooses the fault, if any, for each request under a plan. */
export class FaultInjector {
  private seen: number[] = []
  private fired: number[] = []
  private attempts = new Map<string, number>()
  private injected = new Map<string, number>()

  constructor(private plan: FaultPlan = {}) {
    validateFaultPlan(plan)
  }

  setPlan(plan: FaultPlan): void {
    validateFaultPlan(plan)
    this.plan = plan
    this.seen = []
    this.fired = []
    this.attempts.clear()
    this.injected.clear()
  }

  choose(req: FaultRequest): FaultSpec | undefined {
    let chosen: FaultSpec | undefined
    const script = this.plan.script ?? []
    for (let i = 0; i < script.length; i++) {
      const rule = script[i]!
      const m = rule.match ?? {}
      if (m.path !== undefined && !req.path.startsWith(m.path)) continue
      if (m.family !== undefined && m.family !== req.family) continue
      if (m.day !== undefined && !req.days.includes(m.day)) continue
      const n = (this.seen[i] ?? 0) + 1
      this.seen[i] = n
      if (chosen !== undefined) continue
      if (m.nth !== undefined && n !== m.nth) continue
      if (m.every !== undefined && n % m.every !== 0) continue
      if (m.times !== undefined && (this.fired[i] ?? 0) >= m.times) continue
      this.fired[i] = (this.fired[i] ?? 0) + 1
      chosen = faultSpec(rule.fault)
    }
    if (chosen !== undefined) return chosen
    const random = this.plan.random
    if (!random || random.rate <= 0) return undefined
    if (random.path !== undefined && !req.path.startsWith(random.path)) return undefined
    const attempt = this.attempts.get(req.identity) ?? 0
    this.attempts.set(req.identity, attempt + 1)
    const injected = this.injected.get(req.identity) ?? 0
    if (injected >= (random.maxPerRequest ?? 3)) return undefined
    const h = hash32(random.seed, hashString(req.identity), attempt)
    if (h / 4294967296 >= random.rate) return undefined
    this.injected.set(req.identity, injected + 1)
    return faultSpec(random.kinds[hash32(h, 7) % random.kinds.length]!)
  }
}

/** Named plans for the command line. */
export const faultPresets: Readonly<Record<string, FaultPlan>> = {
  none: {},
  flaky: {
    random: {
      seed: 1,
      rate: 0.1,
      kinds: ["503", "429-retry-after", "reset-mid-body", "terminated-early"],
    },
  },
  chaos: {
    random: {
      seed: 1,
      rate: 0.3,
      kinds: [...transientFaultKinds],
    },
  },
}
