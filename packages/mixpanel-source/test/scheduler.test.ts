import { assert, describe, it } from "@effect/vitest"
import {
  AuthenticationError,
  Progress,
  type ProgressEvent,
  RateLimitedError,
  ServerError,
} from "@mixpanel-data/core"
import { Clock, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { makeScheduler, type RetryPolicy, Transient } from "../src/index.js"

const HOUR = 3_600_000

const collectProgress = () => {
  const events: Array<ProgressEvent> = []
  return {
    events,
    reporter: { report: (e: ProgressEvent) => Effect.sync(() => void events.push(e)) },
  }
}

const maxInWindow = (stamps: ReadonlyArray<number>, window: number) => {
  const sorted = [...stamps].sort((a, b) => a - b)
  let best = 0
  let lo = 0
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= window) lo++
    best = Math.max(best, hi - lo + 1)
  }
  return best
}

/** A 429 that asks the whole family to wait `retryAfterMs`. */
const throttled429 = (retryAfterMs: number) =>
  new Transient({
    error: new RateLimitedError({ source: "mixpanel", status: 429, body: "slow down" }),
    reason: "429",
    retryAfterMs,
    throttled: true,
  })

/** The query family: no per-second limit, 5 at once, no margins. */
const queryScheduler = (retry: RetryPolicy) =>
  makeScheduler({
    family: "query",
    limits: { perHour: 1000, concurrent: 5 },
    retry,
    marginMs: 0,
    secondMarginMs: 0,
  })

describe("scheduler in virtual time", () => {
  it.effect("spends the hourly budget, then waits for the window instead of hammering", () =>
    Effect.gen(function* () {
      const progress = collectProgress()
      const scheduler = makeScheduler({
        family: "export",
        limits: { perHour: 60, perSecond: 3, concurrent: 100 },
        retry: { maxRetries: 3, baseDelayMs: 1000, maxDelayMs: 60_000 },
        marginMs: 1000,
        secondMarginMs: 100,
      })
      const starts: Array<number> = []
      const task = scheduler.run(
        "day",
        Effect.gen(function* () {
          starts.push(yield* Clock.currentTimeMillis)
          yield* Effect.sleep(500)
        }),
      )
      const fiber = yield* Effect.forkChild(
        Effect.all(
          Array.from({ length: 150 }, () => task),
          { concurrency: "unbounded" },
        ).pipe(Effect.provideService(Progress, progress.reporter)),
      )
      yield* TestClock.adjust(HOUR / 2)
      assert.strictEqual(starts.length, 60)
      yield* TestClock.adjust(HOUR)
      assert.strictEqual(starts.length, 120)
      yield* TestClock.adjust(HOUR)
      yield* Fiber.join(fiber)
      assert.strictEqual(starts.length, 150)
      assert.isAtMost(maxInWindow(starts, HOUR), 60)
      assert.isAtMost(maxInWindow(starts, 1000), 3)
      // The third batch starts as soon as the first batch's window (plus margin) passes.
      const sorted = [...starts].sort((a, b) => a - b)
      assert.strictEqual(sorted[60]! - sorted[0]!, HOUR + 1000)
      const waiting = progress.events.filter((e) => e._tag === "Waiting")
      assert.isAtLeast(waiting.length, 2)
      assert.strictEqual(
        waiting[0]?._tag === "Waiting" ? waiting[0].until : undefined,
        sorted[0]! + HOUR + 1000,
      )
      assert.strictEqual(scheduler.started(), 150)
    }),
  )

  it.effect("caps concurrency", () =>
    Effect.gen(function* () {
      const scheduler = queryScheduler({ maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 })
      let running = 0
      let peak = 0
      const task = scheduler.run(
        "page",
        Effect.gen(function* () {
          running++
          peak = Math.max(peak, running)
          yield* Effect.sleep(1000)
          running--
        }),
      )
      const fiber = yield* Effect.forkChild(
        Effect.all(
          Array.from({ length: 23 }, () => task),
          { concurrency: "unbounded" },
        ),
      )
      yield* TestClock.adjust(10_000)
      yield* Fiber.join(fiber)
      assert.strictEqual(peak, 5)
    }),
  )

  it.effect("retries transient failures with backoff, honouring Retry-After, and reports it", () =>
    Effect.gen(function* () {
      const progress = collectProgress()
      const scheduler = makeScheduler({
        family: "export",
        limits: { perHour: 60, perSecond: 3, concurrent: 100 },
        retry: { maxRetries: 4, baseDelayMs: 1000, maxDelayMs: 60_000 },
        marginMs: 0,
        secondMarginMs: 0,
      })
      const attempts: Array<number> = []
      const flaky = Effect.gen(function* () {
        attempts.push(yield* Clock.currentTimeMillis)
        if (attempts.length === 1) {
          return yield* Effect.fail(throttled429(30_000))
        }
        if (attempts.length === 2) {
          return yield* Effect.fail(
            new Transient({
              error: new ServerError({ source: "mixpanel", status: 502, body: "bad gateway" }),
              reason: "502",
            }),
          )
        }
        return "ok"
      })
      const fiber = yield* Effect.forkChild(
        scheduler.run("day", flaky).pipe(Effect.provideService(Progress, progress.reporter)),
      )
      yield* TestClock.adjust(120_000)
      assert.strictEqual(yield* Fiber.join(fiber), "ok")
      assert.strictEqual(attempts.length, 3)
      assert.strictEqual(attempts[1]! - attempts[0]!, 30_000)
      // Second backoff: base * 2, jittered into [1000, 2000].
      const second = attempts[2]! - attempts[1]!
      assert.isTrue(second >= 1000 && second <= 2000, `backoff ${second}`)
      assert.deepStrictEqual(
        progress.events.filter((e) => e._tag === "Retrying").map((e) => e._tag),
        ["Retrying", "Retrying"],
      )
    }),
  )

  it.effect("gives up after the retries with the last error, and never retries fatal ones", () =>
    Effect.gen(function* () {
      const scheduler = makeScheduler({
        family: "export",
        limits: { perHour: 60, perSecond: 3, concurrent: 100 },
        retry: { maxRetries: 2, baseDelayMs: 10, maxDelayMs: 10 },
        marginMs: 0,
        secondMarginMs: 0,
      })
      let calls = 0
      const always429 = scheduler.run(
        "day",
        Effect.suspend(() => {
          calls++
          return Effect.fail(
            new Transient({
              error: new RateLimitedError({ source: "mixpanel", status: 429, body: "busy" }),
              reason: "429",
            }),
          )
        }),
      )
      const fiber = yield* Effect.forkChild(Effect.flip(always429))
      yield* TestClock.adjust(10_000)
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "RateLimitedError")
      assert.strictEqual(calls, 3)

      let authCalls = 0
      const auth = yield* Effect.flip(
        scheduler.run(
          "day",
          Effect.suspend(() => {
            authCalls++
            return Effect.fail(
              new AuthenticationError({ source: "mixpanel", status: 401, body: "no" }),
            )
          }),
        ),
      )
      assert.strictEqual(auth._tag, "AuthenticationError")
      assert.strictEqual(authCalls, 1)
    }),
  )

  it.effect("a throttled answer holds the whole family back for its Retry-After", () =>
    Effect.gen(function* () {
      const progress = collectProgress()
      const scheduler = queryScheduler({ maxRetries: 2, baseDelayMs: 1000, maxDelayMs: 60_000 })
      const starts: Array<[string, number]> = []
      let throttled = false
      const first = scheduler.run(
        "first",
        Effect.gen(function* () {
          starts.push(["first", yield* Clock.currentTimeMillis])
          if (throttled) return
          throttled = true
          return yield* Effect.fail(throttled429(45_000))
        }),
      )
      const other = Effect.gen(function* () {
        starts.push(["other", yield* Clock.currentTimeMillis])
      })
      const fiber = yield* Effect.forkChild(
        Effect.all([first, Effect.andThen(Effect.sleep(1), scheduler.run("other", other))], {
          concurrency: "unbounded",
        }).pipe(Effect.provideService(Progress, progress.reporter)),
      )
      yield* TestClock.adjust(100_000)
      yield* Fiber.join(fiber)
      // the other request, due at 1 ms, waits out the pause too
      assert.deepStrictEqual(
        [...starts].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])),
        [
          ["first", 0],
          ["first", 45_000],
          ["other", 45_000],
        ],
      )
      const fatal = yield* Effect.flip(
        scheduler.run(
          "fatal",
          Effect.fail(new AuthenticationError({ source: "mixpanel", status: 401, body: "no" })),
        ),
      ).pipe(Effect.provideService(Progress, progress.reporter))
      assert.strictEqual(fatal._tag, "AuthenticationError")
      assert.deepStrictEqual(
        progress.events.flatMap((e) => (e._tag === "Retrying" ? [[e.what, e.attempt]] : [])),
        [["first", 1]],
      )
    }),
  )
})
