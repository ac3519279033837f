import { describe, expect, it } from "vitest"
import { InvalidReportOptions } from "../../src/reports/errors.js"
import { funnelReport } from "../../src/reports/funnel.js"
import type { FunnelOptions } from "../../src/reports/types.js"
import { answerOf, eventAt as at, errorOf, useReportStore } from "./report-store.js"

const run = useReportStore()

const funnel = async (records: Parameters<typeof run>[0], options: FunnelOptions, zone?: string) =>
  answerOf(await run(records, funnelReport(options), zone))

/** Users reaching each step, per date. */
const countsOf = (answer: Awaited<ReturnType<typeof funnel>>["answer"]) =>
  Object.fromEntries(
    answer.meta.dates.map((date) => [date, answer.data[date]?.steps.map((s) => s.count)]),
  )

describe("funnel report", () => {
  it("counts users through steps in order, with ratios, mean times and the analysis", async () => {
    const { answer, rows } = await funnel(
      [
        // converts fully: 60 s to B, 120 s more to C
        at("A", "u1", "2024-01-01T10:00:00Z"),
        at("B", "u1", "2024-01-01T10:01:00Z"),
        at("C", "u1", "2024-01-01T10:03:00Z"),
        // C before B: stops at B (2400 s after A)
        at("A", "u2", "2024-01-02T09:00:00Z"),
        at("C", "u2", "2024-01-02T09:30:00Z"),
        at("B", "u2", "2024-01-02T09:40:00Z"),
        // B before A: entered, goes no further
        at("B", "u3", "2024-01-03T08:00:00Z"),
        at("A", "u3", "2024-01-03T09:00:00Z"),
        // never does step 1
        at("B", "u4", "2024-01-03T09:00:00Z"),
        at("C", "u4", "2024-01-03T09:01:00Z"),
      ],
      { from: "2024-01-01", to: "2024-01-07", steps: ["A", "B", "C"] },
    )
    expect(answer).toEqual({
      meta: { dates: ["2024-01-01"] },
      data: {
        "2024-01-01": {
          steps: [
            {
              count: 3,
              avg_time: null,
              avg_time_from_start: null,
              step_conv_ratio: 1,
              overall_conv_ratio: 1,
              goal: "A",
              event: "A",
            },
            {
              count: 2,
              avg_time: 1230,
              avg_time_from_start: 1230,
              step_conv_ratio: 2 / 3,
              overall_conv_ratio: 2 / 3,
              goal: "B",
              event: "B",
            },
            {
              count: 1,
              avg_time: 120,
              avg_time_from_start: 180,
              step_conv_ratio: 1 / 2,
              overall_conv_ratio: 1 / 3,
              goal: "C",
              event: "C",
            },
          ],
          analysis: { completion: 1, starting_amount: 3, steps: 3, worst: 2 },
        },
      },
    })
    expect(rows.map((r) => [r.date, r.step, r.event, r.count, r.avg_time])).toEqual([
      ["2024-01-01", 0, "A", 3, null],
      ["2024-01-01", 1, "B", 2, 1230],
      ["2024-01-01", 2, "C", 1, 120],
    ])
  })

  it("reads completions past `to`, but enters users only inside the range", async () => {
    const { answer } = await funnel(
      [
        at("A", "late", "2024-01-07T23:00:00Z"),
        at("B", "late", "2024-01-09T12:00:00Z"),
        at("A", "after", "2024-01-08T00:00:00Z"),
        at("B", "after", "2024-01-08T00:01:00Z"),
        at("A", "before", "2023-12-31T23:59:59Z"),
        at("B", "before", "2024-01-01T00:01:00Z"),
      ],
      { from: "2024-01-01", to: "2024-01-07", steps: ["A", "B"] },
    )
    expect(countsOf(answer)).toEqual({ "2024-01-01": [1, 1] })
    expect(answer.data["2024-01-01"]?.steps[1]?.avg_time).toBe(37 * 3600)
  })

  it("keeps a step less than the window after entry: one at entry + window is out", async () => {
    const records = [
      at("A", "inside", "2024-01-01T10:00:00Z"),
      at("B", "inside", "2024-01-01T10:59:59Z"),
      at("A", "edge", "2024-01-01T10:00:00Z"),
      at("B", "edge", "2024-01-01T11:00:00Z"),
    ]
    const options = { from: "2024-01-01", to: "2024-01-01", steps: ["A", "B"] }
    expect(countsOf((await funnel(records, { ...options, windowSeconds: 3600 })).answer)).toEqual({
      "2024-01-01": [2, 1],
    })
    expect(countsOf((await funnel(records, { ...options, windowSeconds: 3601 })).answer)).toEqual({
      "2024-01-01": [2, 2],
    })
  })

  it("counts the window from the first STEP1: a later STEP1 does not reset it", async () => {
    const { answer } = await funnel(
      [
        at("A", "u1", "2024-01-01T10:00:00Z"),
        at("A", "u1", "2024-01-20T10:00:00Z"),
        // 31 days after the first A, 12 after the second
        at("B", "u1", "2024-02-01T10:00:00Z"),
        at("A", "u2", "2024-01-01T10:00:00Z"),
        at("A", "u2", "2024-01-02T10:00:00Z"),
        at("B", "u2", "2024-01-30T10:00:00Z"),
      ],
      { from: "2024-01-01", to: "2024-01-31", steps: ["A", "B"] },
    )
    expect(countsOf(answer)).toEqual({ "2024-01-01": [2, 1] })
    expect(answer.data["2024-01-01"]?.steps[1]?.avg_time).toBe(29 * 86_400)
  })

  it("needs two events for a step repeated (A → A); events at one instant count in either order", async () => {
    const { answer } = await funnel(
      [
        at("A", "once", "2024-01-01T10:00:00Z"),
        at("A", "twice", "2024-01-01T10:00:00Z"),
        at("A", "twice", "2024-01-01T10:05:00Z"),
        // two A events at one instant (two insert ids): two events
        at("A", "same", "2024-01-01T11:00:00Z", "x1"),
        at("A", "same", "2024-01-01T11:00:00Z", "x2"),
      ],
      { from: "2024-01-01", to: "2024-01-01", steps: ["A", "A"] },
    )
    expect(countsOf(answer)).toEqual({ "2024-01-01": [3, 2] })
    expect(answer.data["2024-01-01"]?.steps[1]?.avg_time).toBe(150)

    const loop = await funnel(
      [
        // A → B → A: the last A is another event than the first
        at("A", "u1", "2024-01-01T10:00:00Z"),
        at("B", "u1", "2024-01-01T10:01:00Z"),
        at("A", "u1", "2024-01-01T10:02:00Z"),
        at("A", "u2", "2024-01-01T10:00:00Z"),
        at("B", "u2", "2024-01-01T10:01:00Z"),
        // B and A at one instant: B counts after A
        at("A", "u3", "2024-01-01T10:00:00Z"),
        at("B", "u3", "2024-01-01T10:00:00Z"),
        at("A", "u3", "2024-01-01T10:00:30Z"),
      ],
      { from: "2024-01-01", to: "2024-01-01", steps: ["A", "B", "A"] },
    )
    expect(countsOf(loop.answer)).toEqual({ "2024-01-01": [3, 3, 2] })
    expect(loop.answer.data["2024-01-01"]?.steps[2]?.avg_time_from_start).toBe(75)
  })

  it("takes the earliest event for each step, so every user who can convert does", async () => {
    const { answer } = await funnel(
      [
        at("A", "u1", "2024-01-01T10:00:00Z"),
        at("B", "u1", "2024-01-01T10:10:00Z"),
        at("B", "u1", "2024-01-01T10:20:00Z"),
        at("C", "u1", "2024-01-01T10:15:00Z"),
      ],
      { from: "2024-01-01", to: "2024-01-01", steps: ["A", "B", "C"] },
    )
    expect(countsOf(answer)).toEqual({ "2024-01-01": [1, 1, 1] })
    expect(answer.data["2024-01-01"]?.steps.map((s) => s.avg_time)).toEqual([null, 600, 300])
  })

  it("with a unit, enters a user once per bucket, at the first STEP1 in it", async () => {
    const records = [
      at("A", "u1", "2024-01-01T10:00:00Z"),
      at("A", "u1", "2024-01-01T11:00:00Z"),
      at("B", "u1", "2024-01-01T12:00:00Z"),
      at("A", "u1", "2024-01-02T10:00:00Z"),
      at("A", "u2", "2024-01-02T10:00:00Z"),
      at("B", "u2", "2024-01-09T10:00:00Z"),
    ]
    const days = await funnel(records, {
      from: "2024-01-01",
      to: "2024-01-03",
      steps: ["A", "B"],
      unit: "day",
    })
    // u1's entry on the 2nd finds no B after it; an empty day is listed with zeros
    expect(countsOf(days.answer)).toEqual({
      "2024-01-01": [1, 1],
      "2024-01-02": [2, 1],
      "2024-01-03": [0, 0],
    })
    expect(days.answer.data["2024-01-01"]?.steps[1]?.avg_time).toBe(7200)
    expect(days.answer.data["2024-01-03"]?.steps[1]).toMatchObject({
      count: 0,
      avg_time: null,
      step_conv_ratio: 0,
      overall_conv_ratio: 0,
    })
    expect(days.rows).toHaveLength(6)

    // weeks start on Monday: 2024-01-01 is one; Wednesday the 3rd is in its week
    const weeks = await funnel([...records, at("A", "u3", "2024-01-08T10:00:00Z")], {
      from: "2024-01-03",
      to: "2024-01-08",
      steps: ["A", "B"],
      unit: "week",
    })
    expect(countsOf(weeks.answer)).toEqual({ "2024-01-01": [0, 0], "2024-01-08": [1, 0] })

    const months = await funnel(records, {
      from: "2024-01-01",
      to: "2024-02-29",
      steps: ["A", "B"],
      unit: "month",
    })
    expect(countsOf(months.answer)).toEqual({ "2024-01-01": [2, 2], "2024-02-01": [0, 0] })
  })

  it("buckets entries and bounds the range in the project zone", async () => {
    const { answer } = await funnel(
      [
        // 2024-01-01 21:00 in Los Angeles
        at("A", "u1", "2024-01-02T05:00:00Z"),
        at("B", "u1", "2024-01-02T06:00:00Z"),
        // 2024-01-02 23:30 there: inside a range ending on the 2nd
        at("A", "u2", "2024-01-03T07:30:00Z"),
        // 2024-01-03 00:30 there: outside
        at("A", "u3", "2024-01-03T08:30:00Z"),
      ],
      { from: "2024-01-01", to: "2024-01-02", steps: ["A", "B"], unit: "day" },
      "America/Los_Angeles",
    )
    expect(countsOf(answer)).toEqual({ "2024-01-01": [1, 1], "2024-01-02": [1, 0] })
  })

  it("refuses options it cannot answer", async () => {
    const records = [at("A", "u1", "2024-01-01T10:00:00Z")]
    const base = { from: "2024-01-01", to: "2024-01-02", steps: ["A", "B"] }
    for (const [options, option] of [
      [{ ...base, steps: ["A"] }, "steps"],
      [{ ...base, steps: ["A", ""] }, "steps"],
      [{ ...base, from: "2024-01-03" }, "from"],
      [{ ...base, to: "2024-02-30" }, "to"],
      [{ ...base, windowSeconds: 0 }, "windowSeconds"],
      [{ ...base, windowSeconds: 1.5 }, "windowSeconds"],
      [{ ...base, unit: "hour" }, "unit"],
    ] as const) {
      const error = errorOf(await run(records, funnelReport(options as FunnelOptions)))
      expect(error).toBeInstanceOf(InvalidReportOptions)
      expect((error as InvalidReportOptions).option).toBe(option)
    }
  })
})
