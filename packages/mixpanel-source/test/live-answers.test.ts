import { answerRows } from "@mixpanel-data/core"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import {
  bucketKey,
  normalizeFrequency,
  normalizeFunnel,
  normalizeInsights,
  normalizeRetention,
  normalizeSeries,
  normalizeSum,
} from "../src/index.js"

const ok = <A>(result: Result.Result<A, string>): A => {
  if (Result.isFailure(result)) throw new Error(`expected an answer, got: ${result.failure}`)
  return result.success
}

const failure = <A>(result: Result.Result<A, string>): string => {
  if (Result.isSuccess(result)) throw new Error("expected a failure")
  return result.failure
}

const zeros = (length: number) => new Array<number>(length).fill(0)

describe("bucket keys from Mixpanel's", () => {
  it("reads days, times with T or a space, and buckets them as the local reports write them", () => {
    expect(bucketKey("2024-01-03", "day")).toBe("2024-01-03")
    expect(bucketKey("2024-01-03 10:00:00", "hour")).toBe("2024-01-03 10:00:00")
    expect(bucketKey("2024-01-03T10:45:12", "hour")).toBe("2024-01-03 10:00:00")
    expect(bucketKey("2024-01-03 10:45", "minute")).toBe("2024-01-03 10:45:00")
    // 2024-01-03 is a Wednesday: its week is keyed by Monday the 1st
    expect(bucketKey("2024-01-03", "week")).toBe("2024-01-01")
    expect(bucketKey("2024-01-07", "week")).toBe("2024-01-01")
    expect(bucketKey("2024-02-29", "month")).toBe("2024-02-01")
  })
})

describe("segmentation answers", () => {
  const request = { from: "2011-08-05", to: "2011-08-09", unit: "day" as const }

  it("sorts an unsorted series, fills the range's missing days with 0, counts the legend", () => {
    // the official example's order: 08-08, 08-09, 08-06, 08-07
    const body = {
      data: {
        series: ["2011-08-08", "2011-08-09", "2011-08-06", "2011-08-07"],
        values: {
          "Signed up": { "2011-08-08": 3, "2011-08-09": 1, "2011-08-06": 2 },
          Other: { "2011-08-07": 9 },
        },
      },
      legend_size: 2,
    }
    const answer = ok(normalizeSeries(body, request))
    expect(answer.data.series).toEqual([
      "2011-08-05",
      "2011-08-06",
      "2011-08-07",
      "2011-08-08",
      "2011-08-09",
    ])
    expect(answer.data.values).toEqual({
      Other: {
        "2011-08-05": 0,
        "2011-08-06": 0,
        "2011-08-07": 9,
        "2011-08-08": 0,
        "2011-08-09": 0,
      },
      "Signed up": {
        "2011-08-05": 0,
        "2011-08-06": 2,
        "2011-08-07": 0,
        "2011-08-08": 3,
        "2011-08-09": 1,
      },
    })
    // ranked by total over the range, as the local report ranks general counts
    expect(Object.keys(answer.data.values)).toEqual(["Other", "Signed up"])
    expect(answer.legend_size).toBe(2)
    expect(answerRows("segmentation", answer).slice(0, 2)).toEqual([
      { bucket: "2011-08-05", segment: "Other", value: 0 },
      { bucket: "2011-08-06", segment: "Other", value: 0 },
    ])
  })

  it("lists the segments asked for even when Mixpanel leaves them out, and reads a missing series", () => {
    const answer = ok(
      normalizeSeries(
        { data: { values: { A: { "2011-08-06": 1 } } }, legend_size: 1 },
        { ...request, to: "2011-08-06", segments: ["A", "B"] },
      ),
    )
    expect(answer).toEqual({
      data: {
        series: ["2011-08-05", "2011-08-06"],
        values: {
          A: { "2011-08-05": 0, "2011-08-06": 1 },
          B: { "2011-08-05": 0, "2011-08-06": 0 },
        },
      },
      legend_size: 2,
    })
  })

  it("keys hours, weeks and months as the local reports do", () => {
    const hours = ok(
      normalizeSeries(
        { data: { series: ["2024-01-01 05:00:00"], values: { E: { "2024-01-01 05:00:00": 4 } } } },
        { from: "2024-01-01", to: "2024-01-01", unit: "hour" },
      ),
    )
    expect(hours.data.series).toHaveLength(24)
    expect(hours.data.series[0]).toBe("2024-01-01 00:00:00")
    expect(hours.data.values.E?.["2024-01-01 05:00:00"]).toBe(4)
    const weeks = ok(
      normalizeSeries(
        { data: { series: ["2024-01-08"], values: { E: { "2024-01-08": 2 } } } },
        { from: "2024-01-03", to: "2024-01-10", unit: "week" },
      ),
    )
    expect(weeks.data.values).toEqual({ E: { "2024-01-01": 0, "2024-01-08": 2 } })
    const months = ok(
      normalizeSeries(
        { data: { series: [], values: { E: { "2024-02-01": 5 } } } },
        { from: "2024-01-31", to: "2024-02-01", unit: "month" },
      ),
    )
    expect(months.data.values).toEqual({ E: { "2024-01-01": 0, "2024-02-01": 5 } })
  })

  it("orders numeric buckets by their lower bound", () => {
    const body = {
      data: {
        series: ["2011-08-06", "2011-08-07"],
        values: {
          "2,100 - 2,200": { "2011-08-07": 2 },
          "2,000 - 2,100": { "2011-08-06": 1, "2011-08-07": 5 },
          "900 - 1,000": { "2011-08-06": 7 },
        },
      },
      legend_size: 3,
    }
    const answer = ok(
      normalizeSeries(body, {
        from: "2011-08-06",
        to: "2011-08-07",
        unit: "day",
        order: "numeric",
      }),
    )
    expect(Object.keys(answer.data.values)).toEqual([
      "900 - 1,000",
      "2,000 - 2,100",
      "2,100 - 2,200",
    ])
    expect(answer.data.values["2,100 - 2,200"]).toEqual({ "2011-08-06": 0, "2011-08-07": 2 })
  })

  it("fails naming what is wrong: not an object, a value not a number, a key not a date", () => {
    expect(failure(normalizeSeries([], request))).toMatch(/not an object/)
    expect(failure(normalizeSeries({ values: {} }, request))).toMatch(/^data is not an object/)
    expect(
      failure(normalizeSeries({ data: { values: { A: { "2011-08-06": "3" } } } }, request)),
    ).toMatch(/data\.values\["A"\]\["2011-08-06"\] is not a number/)
    expect(
      failure(normalizeSeries({ data: { values: { A: { yesterday: 3 } } } }, request)),
    ).toMatch(/"yesterday" is not a date/)
    // two days in one weekly bucket: not bucketed by the unit asked
    expect(
      failure(
        normalizeSeries(
          { data: { values: { A: { "2024-01-01": 1, "2024-01-02": 1 } } } },
          { from: "2024-01-01", to: "2024-01-07", unit: "week" },
        ),
      ),
    ).toMatch(/both in bucket 2024-01-01/)
  })
})

describe("sum and average answers", () => {
  it("lists every bucket, sorted, zero-filled, keeping status and computed_at", () => {
    const body = {
      status: "ok",
      computed_at: "2019-10-07T23:02:11.666218+00:00",
      results: { "2019-10-07": 4, "2019-10-05": 7.5 },
    }
    expect(ok(normalizeSum(body, { from: "2019-10-05", to: "2019-10-07", unit: "day" }))).toEqual({
      status: "ok",
      computed_at: "2019-10-07T23:02:11.666218+00:00",
      results: { "2019-10-05": 7.5, "2019-10-06": 0, "2019-10-07": 4 },
    })
    expect(
      failure(
        normalizeSum({ status: "ok" }, { from: "2019-10-05", to: "2019-10-07", unit: "day" }),
      ),
    ).toMatch(/results is not an object/)
  })
})

describe("funnel answers", () => {
  const step = (count: number, event: string, extra: Record<string, unknown> = {}) => ({
    count,
    avg_time: 10,
    avg_time_from_start: 10,
    goal: event,
    event,
    ...extra,
  })

  it("sorts dates, reads steps into core's fields, computes missing ratios, keeps Mixpanel's others", () => {
    const body = {
      meta: { dates: ["2016-09-19", "2016-09-12"] },
      data: {
        "2016-09-19": {
          steps: [step(10, "App Open"), step(4, "$custom_event:1", { step_label: "Played" })],
          analysis: { completion: 4, starting_amount: 10, steps: 2, worst: 1 },
        },
        "2016-09-12": {
          steps: [
            { ...step(8, "App Open"), step_conv_ratio: 1, overall_conv_ratio: 1 },
            { ...step(2, "$custom_event:1"), step_conv_ratio: 0.25, overall_conv_ratio: 0.25 },
          ],
        },
      },
    }
    const answer = ok(normalizeFunnel(body, { from: "2016-09-12", to: "2016-09-25" }))
    expect(answer.meta.dates).toEqual(["2016-09-12", "2016-09-19"])
    expect(Object.keys(answer.data)).toEqual(["2016-09-12", "2016-09-19"])
    const late = answer.data["2016-09-19"]!
    expect(late.steps[0]).toEqual({
      count: 10,
      avg_time: null, // no time before the first step
      avg_time_from_start: null,
      step_conv_ratio: 1,
      overall_conv_ratio: 1,
      goal: "App Open",
      event: "App Open",
    })
    expect(late.steps[1]).toEqual({
      count: 4,
      avg_time: 10,
      avg_time_from_start: 10,
      step_conv_ratio: 0.4,
      overall_conv_ratio: 0.4,
      goal: "$custom_event:1",
      event: "$custom_event:1",
      step_label: "Played",
    })
    // analysis computed where missing
    expect(answer.data["2016-09-12"]!.analysis).toEqual({
      completion: 2,
      starting_amount: 8,
      steps: 2,
      worst: 1,
    })
    expect(answerRows("funnel", answer).map((r) => [r.date, r.step, r.count])).toEqual([
      ["2016-09-12", 0, 8],
      ["2016-09-12", 1, 2],
      ["2016-09-19", 0, 10],
      ["2016-09-19", 1, 4],
    ])
  })

  it("with a unit, lists every bucket of the range, nobody entering where Mixpanel has none", () => {
    const body = {
      meta: { dates: ["2024-01-02"] },
      data: { "2024-01-02": { steps: [step(3, "A"), step(1, "B")] } },
    }
    const answer = ok(normalizeFunnel(body, { from: "2024-01-01", to: "2024-01-03", unit: "day" }))
    expect(answer.meta.dates).toEqual(["2024-01-01", "2024-01-02", "2024-01-03"])
    expect(answer.data["2024-01-03"]).toEqual({
      steps: [
        {
          count: 0,
          avg_time: null,
          avg_time_from_start: null,
          step_conv_ratio: 1,
          overall_conv_ratio: 1,
          goal: "A",
          event: "A",
        },
        {
          count: 0,
          avg_time: null,
          avg_time_from_start: null,
          step_conv_ratio: 0,
          overall_conv_ratio: 0,
          goal: "B",
          event: "B",
        },
      ],
      analysis: { completion: 0, starting_amount: 0, steps: 2, worst: 1 },
    })
  })

  it("reads a breakdown: $overall as the date's bucket, every segment kept", () => {
    const body = {
      meta: { dates: ["2024-01-01"] },
      data: {
        "2024-01-01": {
          iOS: [step(2, "A"), step(1, "B")],
          $overall: [step(5, "A"), step(2, "B")],
          Android: [step(3, "A"), step(1, "B")],
        },
      },
    }
    const answer = ok(normalizeFunnel(body, { from: "2024-01-01", to: "2024-01-01" }))
    expect(answer.data["2024-01-01"]!.steps.map((s) => s.count)).toEqual([5, 2])
    expect(Object.keys(answer.segments?.["2024-01-01"] ?? {})).toEqual([
      "$overall",
      "Android",
      "iOS",
    ])
  })

  it("fails on a step without a count or a name", () => {
    const range = { from: "2024-01-01", to: "2024-01-01" }
    expect(
      failure(normalizeFunnel({ data: { "2024-01-01": { steps: [{ event: "A" }] } } }, range)),
    ).toMatch(/steps\[0\]\.count is not a number/)
    expect(
      failure(normalizeFunnel({ data: { "2024-01-01": { steps: [{ count: 1 }] } } }, range)),
    ).toMatch(/goal is not text/)
  })
})

describe("retention answers", () => {
  const request = { from: "2012-01-01", to: "2012-01-04", intervals: 2 }
  const cohorts = {
    "2012-01-03": { counts: [9, 6], first: 10 },
    "2012-01-01": { counts: [2, 1, 2], first: 2 },
  }

  it("reads cohorts at the top level or inside data, the same", () => {
    const top = ok(normalizeRetention(cohorts, request))
    const wrapped = ok(normalizeRetention({ data: cohorts }, request))
    expect(wrapped).toEqual(top)
    expect(top).toEqual({
      "2012-01-01": { counts: [2, 1, 2], first: 2 },
      "2012-01-02": { counts: [0, 0, 0], first: 0 },
      "2012-01-03": { counts: [9, 6, 0], first: 10 },
      "2012-01-04": { counts: [0, 0, 0], first: 0 },
    })
    expect(Object.keys(top)).toEqual(["2012-01-01", "2012-01-02", "2012-01-03", "2012-01-04"])
    expect(answerRows("retention", top)[0]).toEqual({
      date: "2012-01-01",
      first: 2,
      interval: 0,
      count: 2,
    })
  })

  it("ignores keys that are not dates, and fails on a cohort without counts", () => {
    expect(ok(normalizeRetention({ status: "ok", ...cohorts }, request))).toEqual(
      ok(normalizeRetention(cohorts, request)),
    )
    expect(failure(normalizeRetention({ "2012-01-01": { first: 2 } }, request))).toMatch(
      /cohort "2012-01-01": counts is not a list/,
    )
  })
})

describe("frequency answers", () => {
  const request = {
    from: "2012-01-01",
    to: "2012-01-03",
    unit: "day" as const,
    subUnit: "hour" as const,
  }
  const days = {
    "2012-01-02": [495, 204, 117],
    "2012-01-01": [...[305, 107, 60], ...zeros(21)],
  }

  it("reads periods with or without data, pads each to 24 hours, lists every day", () => {
    const bare = ok(normalizeFrequency(days, request))
    expect(ok(normalizeFrequency({ data: days }, request))).toEqual(bare)
    expect(Object.keys(bare.data)).toEqual(["2012-01-01", "2012-01-02", "2012-01-03"])
    expect(bare.data["2012-01-02"]).toEqual([495, 204, 117, ...zeros(21)])
    expect(bare.data["2012-01-03"]).toEqual(zeros(24))
    expect(answerRows("frequency", bare)[1]).toEqual({
      date: "2012-01-01",
      at_least: 2,
      users: 107,
    })
  })

  it("fails on a period that is not a list", () => {
    expect(failure(normalizeFrequency({ data: { "2012-01-01": 3 } }, request))).toMatch(
      /period "2012-01-01" is not a list/,
    )
  })
})

describe("insights answers", () => {
  it("keeps Mixpanel's answer, its series keys sorted at every level", () => {
    const body = {
      computed_at: "2020-09-21T16:35:41.252314+00:00",
      date_range: {
        from_date: "2020-08-31T00:00:00-07:00",
        to_date: "2020-09-12T23:59:59.999000-07:00",
      },
      headers: ["$event"],
      series: {
        "Viewed page": {
          "2020-09-07T00:00:00-07:00": 11432,
          "2020-08-31T00:00:00-07:00": 10246,
        },
        "Logged in": { "2020-09-07T00:00:00-07:00": 4325, "2020-08-31T00:00:00-07:00": 9852 },
      },
      meta: { report: "insights" },
    }
    const answer = ok(normalizeInsights(body))
    expect(answer).toEqual(body)
    expect(Object.keys(answer.series)).toEqual(["Logged in", "Viewed page"])
    expect(Object.keys(answer.series["Logged in"] as object)).toEqual([
      "2020-08-31T00:00:00-07:00",
      "2020-09-07T00:00:00-07:00",
    ])
    expect(failure(normalizeInsights({ computed_at: "x", date_range: {} }))).toMatch(
      /date_range\.from_date is not text/,
    )
  })
})
