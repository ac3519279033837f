import type { SimClock } from "./clock.js"

/** API families Mixpanel rate-limits separately. */
export type Family = "export" | "query" | "lexicon"

export interface ExportLimits {
  readonly perHour: number
  readonly perSecond: number
  readonly concurrent: number
}

export interface QueryLimits {
  readonly perHour: number
  readonly concurrent: number
}

export interface LimitsOption {
  readonly export?: ExportLimits
  readonly query?: QueryLimits
  /** Lexicon schemas: requests per minute per organisation. */
  readonly lexicon?: { readonly perMinute: number }
}

/** Mixpanel's published limits. */
export const mixpanelLimits = {
  export: { perHour: 60, perSecond: 3, concurrent: 100 },
  query: { perHour: 60, concurrent: 5 },
  lexicon: { perMinute: 5 },
} as const

interface Window {
  readonly ms: number
  readonly max: number
}

interface FamilyRule {
  readonly windows: ReadonlyArray<Window>
  readonly concurrent: number
}

const HOUR = 3_600_000

export const familyRule = (family: Family, limits: LimitsOption | undefined): FamilyRule => {
  if (family === "export") {
    const l = limits?.export ?? mixpanelLimits.export
    return {
      windows: [
        { ms: HOUR, max: l.perHour },
        { ms: 1000, max: l.perSecond },
      ],
      concurrent: l.concurrent,
    }
  }
  if (family === "query") {
    const l = limits?.query ?? mixpanelLimits.query
    return { windows: [{ ms: HOUR, max: l.perHour }], concurrent: l.concurrent }
  }
  const l = limits?.lexicon ?? mixpanelLimits.lexicon
  return { windows: [{ ms: 60_000, max: l.perMinute }], concurrent: Number.POSITIVE_INFINITY }
}

export interface FamilyStats {
  /** Requests that reached this family (after authentication). */
  requests: number
  /** Responses by HTTP status. */
  byStatus: Record<string, number>
  /** Requests per path. */
  endpoints: Record<string, number>
  /** Highest number of admitted requests in flight at once. */
  maxConcurrent: number
  /** Highest number of admitted requests in any trailing second of simulated time. */
  maxPerSecond: number
  /** Highest number of admitted requests in any trailing hour of simulated time. */
  maxPerHour: number
  /** Highest number of admitted requests in any trailing minute of simulated time. */
  maxPerMinute: number
  /** Admitted requests that exceeded a limit (always 0 when limits are enforced). */
  limitViolations: number
  /** 429s the limiter sent. */
  rateLimited: number
  /** Every 429 sent, the limiter's and injected ones. */
  sent429: number
  /** Injected faults by kind. */
  faults: Record<string, number>
}

export const emptyFamilyStats = (): FamilyStats => ({
  requests: 0,
  byStatus: {},
  endpoints: {},
  maxConcurrent: 0,
  maxPerSecond: 0,
  maxPerHour: 0,
  maxPerMinute: 0,
  limitViolations: 0,
  rateLimited: 0,
  sent429: 0,
  faults: {},
})

export type Admission =
  | { readonly ok: true; readonly release: () => void }
  | {
      readonly ok: false
      readonly retryAfterSeconds: number | undefined
      readonly inFlight: number
      readonly concurrent: number
      readonly hourCount: number
      readonly hourMax: number
      readonly reason: "concurrent" | "window"
    }

/**
 * Sliding-window limiter of one family of one project. When `enforce` is false it admits
 * everything but still measures, counting as violations what Mixpanel's limits would refuse.
 */
export class FamilyLimiter {
  private readonly admitted: number[] = []
  private inFlight = 0
  stats: FamilyStats = emptyFamilyStats()

  constructor(
    private readonly rule: FamilyRule,
    private readonly enforce: boolean,
    private readonly clock: SimClock,
  ) {}

  private countSince(since: number): number {
    let n = 0
    for (let i = this.admitted.length - 1; i >= 0 && this.admitted[i]! > since; i--) n++
    return n
  }

  admit(): Admission {
    const now = this.clock.now()
    const keep = Math.max(HOUR, ...this.rule.windows.map((w) => w.ms))
    let drop = 0
    while (drop < this.admitted.length && this.admitted[drop]! <= now - keep) drop++
    if (drop > 0) this.admitted.splice(0, drop)
    const hourWindow = this.rule.windows[0]!
    const over =
      this.inFlight >= this.rule.concurrent
        ? ("concurrent" as const)
        : this.rule.windows.some((w) => this.countSince(now - w.ms) >= w.max)
          ? ("window" as const)
          : undefined
    if (over !== undefined && this.enforce) {
      this.stats.rateLimited++
      const hourCount = this.countSince(now - hourWindow.ms)
      let retryAfterSeconds: number | undefined
      if (over === "window" && hourCount >= hourWindow.max) {
        const oldest = this.admitted[this.admitted.length - hourCount]!
        retryAfterSeconds = Math.max(
          1,
          Math.ceil(this.clock.toRealMs(oldest + hourWindow.ms - now) / 1000),
        )
      }
      return {
        ok: false,
        retryAfterSeconds,
        inFlight: this.inFlight,
        concurrent: this.rule.concurrent,
        hourCount,
        hourMax: hourWindow.max,
        reason: over,
      }
    }
    if (over !== undefined) this.stats.limitViolations++
    this.admitted.push(now)
    this.inFlight++
    const s = this.stats
    s.maxConcurrent = Math.max(s.maxConcurrent, this.inFlight)
    s.maxPerSecond = Math.max(s.maxPerSecond, this.countSince(now - 1000))
    s.maxPerMinute = Math.max(s.maxPerMinute, this.countSince(now - 60_000))
    s.maxPerHour = Math.max(s.maxPerHour, this.countSince(now - HOUR))
    let released = false
    return {
      ok: true,
      release: () => {
        if (!released) {
          released = true
          this.inFlight--
        }
      },
    }
  }

  /** Clears counters, windows stay (a reset does not refill Mixpanel's budget). */
  resetStats(): void {
    this.stats = emptyFamilyStats()
  }
}
