import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { expect } from "vitest"
import {
  emptyProgress,
  foldProgress,
  PACE_UNITS,
  type ProgressEvent,
  type ProgressState,
  progressEtaMs,
  progressSnapshot,
  trackProgress,
} from "../src/index.js"

/** Folds events, each at its own instant. */
const fold = (events: ReadonlyArray<readonly [number, ProgressEvent]>, from = emptyProgress) =>
  events.reduce<ProgressState>((state, [at, event]) => foldProgress(state, event, at), from)

const planned = (total: number): ProgressEvent => ({ _tag: "Planned", unit: "days", total })
const dayDone = (rows = 10): ProgressEvent => ({ _tag: "UnitDone", unit: "2024-03-01", rows })

describe("progress state", () => {
  it("counts units, rows, bytes, retries and the current wait", () => {
    const state = fold([
      [0, planned(10)],
      [10, { _tag: "Received", rows: 100, bytes: 5000 }],
      [20, { _tag: "Received", rows: 60, bytes: 3000 }],
      [30, { _tag: "Retrying", what: "day", attempt: 1, reason: "503" }],
      [40, { _tag: "Stored", rows: 90 }],
      [50, dayDone()],
      [60, { _tag: "Waiting", reason: "hourly limit", until: 5_000 }],
    ])
    expect(progressSnapshot(state, 60)).toMatchObject({
      unit: "days",
      unitsTotal: 10,
      unitsDone: 1,
      rowsReceived: 100,
      bytesReceived: 5000,
      rowsStored: 90,
      retries: 1,
      waiting: { reason: "hourly limit", until: 5_000 },
    })
    expect(fold([[70, { _tag: "Received", rows: 200, bytes: 9000 }]], state).waiting).toBeNull()
    expect(fold([[70, dayDone()]], state).waiting).toBeNull()
    expect(
      fold([[70, { _tag: "Waiting", reason: "slots", until: undefined }]], state).waiting,
    ).toEqual({ reason: "slots", until: null })
  })

  it("has no estimate before the first unit, then units left × pace since planning", () => {
    const planning = fold([[1_000, planned(10)]])
    expect(progressEtaMs(planning, 5_000)).toBeNull()
    expect(progressEtaMs(emptyProgress, 5_000)).toBeNull()
    // Two days in 4 s: 2 s a day, 8 days left.
    const two = fold(
      [
        [3_000, dayDone()],
        [5_000, dayDone()],
      ],
      planning,
    )
    expect(progressEtaMs(two, 5_000)).toBe(16_000)
    // The day in progress counts down, by at most one pace.
    expect(progressEtaMs(two, 6_000)).toBe(15_000)
    expect(progressEtaMs(two, 60_000)).toBe(14_000)
  })

  it("follows the recent pace: the last few days, not the whole run", () => {
    let state = fold([[0, planned(20)]])
    // Ten slow days (10 s each), then five fast ones (1 s each).
    const slow = Array.from({ length: 10 }, (_, i) => (i + 1) * 10_000)
    const fast = Array.from({ length: PACE_UNITS }, (_, i) => 100_000 + (i + 1) * 1_000)
    state = fold(
      [...slow, ...fast].map((at) => [at, dayDone()] as const),
      state,
    )
    expect(state.unitsDone).toBe(15)
    expect(progressEtaMs(state, fast.at(-1)!)).toBe(5 * 1_000)
    expect(state.marks.length).toBeLessThanOrEqual(PACE_UNITS + 1)
  })

  it("measures days committed together as one step of the pace", () => {
    // Eight days land in one commit at 8 s, four more at 12 s.
    let state = fold([[0, planned(16)]])
    for (let i = 0; i < 8; i++) state = fold([[8_000, dayDone()]], state)
    expect(progressEtaMs(state, 8_000)).toBe(8 * 1_000)
    for (let i = 0; i < 4; i++) state = fold([[12_000, dayDone()]], state)
    // Pace over the last batch boundary that leaves at least five days: 8 s..12 s for 4 days
    // is under five, so from planning: 12 s for 12 days.
    expect(progressEtaMs(state, 12_000)).toBe(4 * 1_000)
  })

  it("adds the rate-limit wait still ahead, and is zero when every unit is done", () => {
    const state = fold([
      [0, planned(3)],
      [1_000, dayDone()],
      [1_000, { _tag: "Waiting", reason: "hourly limit", until: 61_000 }],
    ])
    expect(progressEtaMs(state, 1_000)).toBe(2 * 1_000 + 60_000)
    expect(progressEtaMs(state, 31_000)).toBe(1_000 + 30_000)
    expect(
      progressEtaMs(
        fold(
          [
            [2_000, dayDone()],
            [3_000, dayDone()],
          ],
          state,
        ),
        3_000,
      ),
    ).toBe(0)
  })

  it.effect("tracks events against the clock it is given", () =>
    Effect.gen(function* () {
      const seen: Array<number | null> = []
      const tracker = trackProgress((state, _event, now) =>
        Effect.sync(() => void seen.push(progressEtaMs(state, now))),
      )
      yield* TestClock.setTime(10_000)
      yield* tracker.report(planned(4))
      yield* TestClock.adjust(3_000)
      yield* tracker.report(dayDone())
      yield* TestClock.adjust(3_000)
      yield* tracker.report(dayDone())
      assert.deepStrictEqual(seen, [null, 9_000, 6_000])
      assert.strictEqual(tracker.current().unitsDone, 2)
    }),
  )
})
