import { reportProgress, type SourceError } from "@mixpanel-data/core"
import { Clock, Context, Data, Duration, Effect, Random, Schedule, Semaphore } from "effect"
import type { FamilyLimits, RetryPolicy } from "./config.js"

/**
 * A failure worth another attempt (429, 5xx, a reset, an incomplete body). `error` is what the
 * caller sees once retries run out.
 */
export class Transient extends Data.TaggedError("Transient")<{
  readonly error: SourceError
  readonly reason: string
  /** From `Retry-After`, in ms. */
  readonly retryAfterMs?: number
  /** The server said we are over its limits: hold every request back, not just this one. */
  readonly throttled?: boolean
}> {}

export interface SchedulerOptions {
  /** `export` or `query`: named in progress. */
  readonly family: string
  readonly limits: FamilyLimits
  readonly retry: RetryPolicy
  /** Added to the hour window. */
  readonly marginMs: number
  /** Added to the second window. */
  readonly secondMarginMs: number
}

export interface Scheduler {
  /**
   * Runs `attempt` within the limits, again on `Transient` failures with backoff; every
   * attempt takes a concurrency permit and a slot in the hour and second windows.
   */
  readonly run: <A, E, R>(
    what: string,
    attempt: Effect.Effect<A, E | Transient, R>,
  ) => Effect.Effect<A, E | SourceError, R>
  /** Requests started so far (attempts, retries included). */
  readonly started: () => number
  /** The concurrency cap. */
  readonly concurrency: number
}

const HOUR = 3_600_000
const SECOND = 1_000

/** When a request counts against the windows; moved later once its answer arrives. */
interface Stamp {
  t: number
}

/**
 * The window slot of the attempt running now. The HTTP layer marks it answered when the
 * response arrives: the server counted the request at some moment before that, so stamping it
 * then keeps our windows at or after the server's, whatever the latency.
 */
export const CurrentSlot = Context.Reference<
  { readonly answered: (now: number) => void } | undefined
>("@mixpanel-data/mixpanel-source/CurrentSlot", { defaultValue: () => undefined })

/** Drops stamps whose window has passed. */
const prune = (stamps: Array<Stamp>, expiredBefore: number) => {
  let write = 0
  for (const stamp of stamps) if (stamp.t > expiredBefore) stamps[write++] = stamp
  stamps.length = write
}

const oldest = (stamps: ReadonlyArray<Stamp>) => {
  let min = Number.POSITIVE_INFINITY
  for (const stamp of stamps) if (stamp.t < min) min = stamp.t
  return min
}

/**
 * One per project and API family: sliding windows per hour and per second, a concurrency cap,
 * a shared pause after the server throttles, exponential backoff with jitter. Runs on Effect's
 * Clock, so virtual or accelerated time drives it in tests and benchmarks.
 */
export const makeScheduler = (options: SchedulerOptions): Scheduler => {
  const { limits, retry, family } = options
  const concurrency = Semaphore.makeUnsafe(Math.max(1, limits.concurrent))
  const windowLock = Semaphore.makeUnsafe(1)
  const hour: Array<Stamp> = []
  const second: Array<Stamp> = []
  let pausedUntil = 0
  let lastReported = 0
  let started = 0

  const wait = (until: number, now: number, reason: string) =>
    Effect.gen(function* () {
      if (until !== lastReported && until - now >= SECOND) {
        lastReported = until
        yield* reportProgress({ _tag: "Waiting", reason, until })
      }
      yield* Effect.sleep(until - now)
    })

  const takeSlot = windowLock.withPermits(1)(
    Effect.gen(function* () {
      for (;;) {
        const now = yield* Clock.currentTimeMillis
        if (pausedUntil > now) {
          yield* wait(pausedUntil, now, `${family}: the server asked us to slow down`)
          continue
        }
        prune(hour, now - HOUR - options.marginMs)
        if (hour.length >= limits.perHour) {
          const until = oldest(hour) + HOUR + options.marginMs
          yield* wait(until, now, `${family}: ${limits.perHour} requests per hour used`)
          continue
        }
        if (limits.perSecond !== undefined) {
          prune(second, now - SECOND - options.secondMarginMs)
          if (second.length >= limits.perSecond) {
            yield* Effect.sleep(oldest(second) + SECOND + options.secondMarginMs - now)
            continue
          }
        }
        const stamp: Stamp = { t: now }
        if (limits.perSecond !== undefined) second.push(stamp)
        hour.push(stamp)
        started++
        return {
          answered: (at: number) => {
            if (at > stamp.t) stamp.t = at
          },
        }
      }
    }),
  )

  /**
   * The retries: exponential from `baseDelayMs`, capped at `maxDelayMs`, with equal jitter (a
   * delay between half and all of it), or exactly the server's `Retry-After`; a throttled
   * answer holds every request of the family back for that long. Only `Transient` failures
   * reach the delays: anything else stops the schedule first.
   */
  const backoff = Schedule.exponential(retry.baseDelayMs, 2).pipe(
    Schedule.setInputType<unknown>(),
    Schedule.while(({ input }) => input instanceof Transient),
    Schedule.upTo({ times: retry.maxRetries }),
    Schedule.modifyDelay(({ duration, input }) =>
      Effect.gen(function* () {
        const failure = input as Transient
        const exp = Math.min(retry.maxDelayMs, Duration.toMillis(duration))
        const jittered = exp / 2 + (yield* Random.next) * (exp / 2)
        const delay = failure.retryAfterMs !== undefined ? failure.retryAfterMs : jittered
        if (failure.throttled === true) {
          const now = yield* Clock.currentTimeMillis
          pausedUntil = Math.max(pausedUntil, now + delay)
        }
        return delay
      }),
    ),
  )

  const run = <A, E, R>(
    what: string,
    attempt: Effect.Effect<A, E | Transient, R>,
  ): Effect.Effect<A, E | SourceError, R> => {
    const once = concurrency.withPermits(1)(
      Effect.flatMap(takeSlot, (slot) => Effect.provideService(attempt, CurrentSlot, slot)),
    )
    const reported = backoff.pipe(
      Schedule.tap(({ attempt: n, input }) =>
        reportProgress({ _tag: "Retrying", what, attempt: n, reason: (input as Transient).reason }),
      ),
    )
    return Effect.retry(once, reported).pipe(
      Effect.catchIf(
        (e): e is Transient => e instanceof Transient,
        (failure) => Effect.fail(failure.error),
      ),
    )
  }

  return { run, started: () => started, concurrency: Math.max(1, limits.concurrent) }
}
