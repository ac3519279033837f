import { rm } from "node:fs/promises"
import { startSimulator } from "@mixpanel-data/mixpanel-sim"
import { makeMixpanelSource } from "@mixpanel-data/mixpanel-source"
import { Clock, Duration, Effect, Redacted, Stream } from "effect"
import type { BenchOptions, BenchResult } from "./registry.js"

/**
 * p4: a 365-day export backfill against the simulator under Mixpanel's export limits (60 per
 * hour, 3 per second, 100 at once), on a clock running `SPEED` times faster on both sides.
 * The figure is the elapsed simulated time over the least those limits allow for the same
 * number of requests; the dataset is tiny because the point is scheduling.
 */
const SPEED = 720
const DAYS = 365
const LIMITS = { perHour: 60, perSecond: 3, concurrent: 100 }

/** Effect's Clock running `speed` times faster than real time (the simulator's clock too). */
export const acceleratedClock = (speed: number): Clock.Clock => {
  const epoch = Date.now()
  const t0 = performance.now()
  const now = () => epoch + (performance.now() - t0) * speed
  const mono = () => BigInt(Math.floor((performance.now() - t0) * speed * 1e6))
  return {
    currentTimeMillisUnsafe: () => Math.floor(now()),
    currentTimeMillis: Effect.sync(() => Math.floor(now())),
    currentTimeNanosUnsafe: () => BigInt(Math.floor(now() * 1e6)),
    currentTimeNanos: Effect.sync(() => BigInt(Math.floor(now() * 1e6))),
    monotonicTimeNanosUnsafe: mono,
    monotonicTimeNanos: Effect.sync(mono),
    sleep: (duration) =>
      Effect.callback<void>((resume) => {
        const handle = setTimeout(() => resume(Effect.void), Duration.toMillis(duration) / speed)
        return Effect.sync(() => clearTimeout(handle))
      }),
  }
}

/** Start times of the fastest schedule the limits allow; the last one bounds any client. */
export const minimumScheduleMs = (
  requests: number,
  limits: { readonly perHour: number; readonly perSecond: number },
): number => {
  const starts: Array<number> = []
  for (let i = 0; i < requests; i++) {
    const bySecond = i >= limits.perSecond ? starts[i - limits.perSecond]! + 1000 : 0
    const byHour = i >= limits.perHour ? starts[i - limits.perHour]! + 3_600_000 : 0
    starts.push(Math.max(bySecond, byHour))
  }
  return starts[starts.length - 1] ?? 0
}

export interface P4Result {
  readonly metrics: Record<string, number>
  readonly rows: ReadonlyArray<Record<string, string | number>>
}

export const runP4Backfill = async (): Promise<P4Result> => {
  const auth = { username: "bench", secret: "bench-secret", projectId: 4004 }
  const sim = await startSimulator({
    port: 0,
    seed: 4,
    startDate: "2023-01-01",
    days: DAYS,
    users: 2,
    auth,
    clockSpeed: SPEED,
  })
  try {
    const clock = acceleratedClock(SPEED)
    const program = Effect.scoped(
      Effect.gen(function* () {
        const source = yield* makeMixpanelSource({
          credentials: {
            _tag: "ServiceAccount",
            ...auth,
            secret: Redacted.make(auth.secret),
            projectId: String(auth.projectId),
          },
          region: "us",
          baseUrl: sim.url,
          // Simulated ms. Window stamps move to when each answer arrives, so no latency margin.
          limits: { export: LIMITS, marginMs: 2_000, secondMarginMs: 200 },
          retry: { baseDelayMs: 2000, maxDelayMs: 120_000 },
          workers: LIMITS.concurrent,
        })
        const started = yield* Clock.currentTimeMillis
        let rows = 0
        let days = 0
        yield* source.events({ from: "2023-01-01", to: "2023-12-31" }).pipe(
          Stream.runForEach((part) =>
            Effect.promise(async () => {
              if (part._tag === "JsonlPart") {
                rows += part.rows ?? 0
                days++
                await rm(part.path, { force: true })
              }
            }),
          ),
        )
        const elapsed = (yield* Clock.currentTimeMillis) - started
        return { elapsed, rows, days, attempts: source.schedulers.export.started() }
      }),
    ).pipe(Effect.provideService(Clock.Clock, clock))
    const realStart = performance.now()
    const outcome = await Effect.runPromise(program)
    const realMs = performance.now() - realStart
    const stats = sim.stats() as unknown as {
      export?: {
        requests?: number
        rateLimited?: number
        maxPerHour?: number
        maxPerSecond?: number
      }
    }
    const requests = stats.export?.requests ?? outcome.attempts
    const minimum = minimumScheduleMs(requests, LIMITS)
    const ratio = outcome.elapsed / minimum
    return {
      metrics: { p4_backfill_vs_min: Math.round(ratio * 1000) / 1000 },
      rows: [
        {
          bench: "p4 backfill 365 days",
          days: outcome.days,
          rows: outcome.rows,
          requests,
          rate_limited_429: stats.export?.rateLimited ?? 0,
          max_per_hour: stats.export?.maxPerHour ?? 0,
          max_per_second: stats.export?.maxPerSecond ?? 0,
          simulated_hours: Math.round((outcome.elapsed / 3_600_000) * 1000) / 1000,
          minimum_hours: Math.round((minimum / 3_600_000) * 1000) / 1000,
          clock_speed: SPEED,
          real_seconds: Math.round(realMs / 100) / 10,
          vs_min: Math.round(ratio * 1000) / 1000,
        },
      ],
    }
  } finally {
    await sim.close()
  }
}

export const name = "p4_backfill"

/** The registry's form: the one result row as label/value lines, the ratio as the key. */
export const run = async ({ log }: BenchOptions): Promise<BenchResult> => {
  log("p4: 365-day backfill under Mixpanel's export limits, on an accelerated clock")
  const result = await runP4Backfill()
  return {
    rows: result.rows.flatMap((row) => Object.entries(row)),
    keys: result.metrics,
  }
}
