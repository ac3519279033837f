import { describe, expect, it } from "vitest"
import { answerRows } from "../../src/reports/answer-rows.js"
import { bucketKeyOf, rangeBucketKeys } from "../../src/reports/buckets.js"
import { reportResult } from "../../src/reports/run.js"

describe("bucket keys", () => {
  it("lists every bucket of a range: days, Monday weeks, months, wall-clock hours and minutes", () => {
    expect(rangeBucketKeys("2024-01-30", "2024-02-01", "day")).toEqual([
      "2024-01-30",
      "2024-01-31",
      "2024-02-01",
    ])
    // 2024-01-31 is a Wednesday; 2024-02-05 a Monday
    expect(rangeBucketKeys("2024-01-31", "2024-02-05", "week")).toEqual([
      "2024-01-29",
      "2024-02-05",
    ])
    expect(rangeBucketKeys("2024-01-31", "2024-03-01", "month")).toEqual([
      "2024-01-01",
      "2024-02-01",
      "2024-03-01",
    ])
    const hours = rangeBucketKeys("2024-03-10", "2024-03-10", "hour")
    expect(hours).toHaveLength(24)
    expect([hours[0], hours[23]]).toEqual(["2024-03-10 00:00:00", "2024-03-10 23:00:00"])
    const minutes = rangeBucketKeys("2024-01-01", "2024-01-01", "minute")
    expect(minutes).toHaveLength(1440)
    expect(minutes[61]).toBe("2024-01-01 01:01:00")
    expect(rangeBucketKeys("2024-01-02", "2024-01-01", "day")).toEqual([])
    expect(rangeBucketKeys("2024-02-30", "2024-03-01", "day")).toEqual([])
  })

  it("keys a wall-clock time as the reports' SQL keys it", () => {
    const t = Date.UTC(2024, 0, 7, 13, 45, 10) // a Sunday
    expect(bucketKeyOf(t, "minute")).toBe("2024-01-07 13:45:00")
    expect(bucketKeyOf(t, "hour")).toBe("2024-01-07 13:00:00")
    expect(bucketKeyOf(t, "day")).toBe("2024-01-07")
    expect(bucketKeyOf(t, "week")).toBe("2024-01-01")
    expect(bucketKeyOf(t, "month")).toBe("2024-01-01")
  })
})

describe("rows from answers", () => {
  it("segmentation: per segment, per bucket in series order, missing values 0", () => {
    const answer = {
      data: { series: ["2024-01-01", "2024-01-02"], values: { A: { "2024-01-01": 2 }, B: {} } },
      legend_size: 2,
    }
    expect(answerRows("segmentation", answer)).toEqual([
      { bucket: "2024-01-01", segment: "A", value: 2 },
      { bucket: "2024-01-02", segment: "A", value: 0 },
      { bucket: "2024-01-01", segment: "B", value: 0 },
      { bucket: "2024-01-02", segment: "B", value: 0 },
    ])
    expect(reportResult("segmentation", answerRows("segmentation", answer)).rows[0]).toEqual([
      "2024-01-01",
      "A",
      2,
    ])
  })

  it("retention, frequency and active: by date, then interval or count", () => {
    expect(
      answerRows("retention", {
        "2024-01-02": { counts: [1], first: 1 },
        "2024-01-01": { counts: [3, 2], first: 4 },
      }),
    ).toEqual([
      { date: "2024-01-01", first: 4, interval: 0, count: 3 },
      { date: "2024-01-01", first: 4, interval: 1, count: 2 },
      { date: "2024-01-02", first: 1, interval: 0, count: 1 },
    ])
    expect(answerRows("frequency", { data: { "2024-01-01": [5, 1] } })).toEqual([
      { date: "2024-01-01", at_least: 1, users: 5 },
      { date: "2024-01-01", at_least: 2, users: 1 },
    ])
    expect(
      answerRows("active", {
        data: {
          series: ["2024-01-01", "2024-01-02"],
          values: { "active users": { "2024-01-01": 7 } },
        },
        legend_size: 1,
      }),
    ).toEqual([
      { date: "2024-01-01", users: 7 },
      { date: "2024-01-02", users: 0 },
    ])
  })

  it("funnel: per date in meta.dates order, per step", () => {
    const step = (count: number, event: string, ratio: number) => ({
      count,
      avg_time: null,
      avg_time_from_start: null,
      step_conv_ratio: ratio,
      overall_conv_ratio: ratio,
      goal: event,
      event,
    })
    const bucket = (a: number, b: number) => ({
      steps: [step(a, "A", 1), step(b, "B", a === 0 ? 0 : b / a)],
      analysis: { completion: b, starting_amount: a, steps: 2, worst: 1 },
    })
    const rows = answerRows("funnel", {
      meta: { dates: ["2024-01-01", "2024-01-02"] },
      data: { "2024-01-02": bucket(4, 1), "2024-01-01": bucket(2, 2) },
    })
    expect(rows.map((r) => [r.date, r.step, r.event, r.count])).toEqual([
      ["2024-01-01", 0, "A", 2],
      ["2024-01-01", 1, "B", 2],
      ["2024-01-02", 0, "A", 4],
      ["2024-01-02", 1, "B", 1],
    ])
  })
})
