import { describe, expect, it } from "vitest"
import { activeReport } from "../../src/reports/active.js"
import { InvalidReportOptions } from "../../src/reports/errors.js"
import { frequencyReport } from "../../src/reports/frequency.js"
import type { ActiveOptions, FrequencyOptions } from "../../src/reports/types.js"
import { valueOf as answerOf, eventAt as at, errorOf, useReportStore } from "./report-store.js"

const run = useReportStore()

const zerosAfter = (head: ReadonlyArray<number>, length: number) => [
  ...head,
  ...new Array<number>(length - head.length).fill(0),
]

describe("active users report", () => {
  const records = [
    at("A", "u1", "2024-01-01T09:00:00Z"), // Monday
    at("B", "u1", "2024-01-01T10:00:00Z"),
    at("A", "u2", "2024-01-01T23:59:59Z"),
    at("C", "u1", "2024-01-03T12:00:00Z"),
    at("A", "u3", "2024-01-08T00:00:00Z"), // next Monday
    at("A", "u4", "2024-02-01T00:00:00Z"), // past the range
  ]
  const active = async (options: ActiveOptions, zone?: string) =>
    answerOf(await run(records, activeReport(options), zone))

  it("counts distinct users with any event per day, every day listed", async () => {
    const { answer, rows } = await active({ from: "2024-01-01", to: "2024-01-03" })
    expect(answer).toEqual({
      data: {
        series: ["2024-01-01", "2024-01-02", "2024-01-03"],
        values: { "active users": { "2024-01-01": 2, "2024-01-02": 0, "2024-01-03": 1 } },
      },
      legend_size: 1,
    })
    expect(rows).toEqual([
      { date: "2024-01-01", users: 2 },
      { date: "2024-01-02", users: 0 },
      { date: "2024-01-03", users: 1 },
    ])
  })

  it("counts weekly and monthly users once per bucket", async () => {
    const weeks = await active({ from: "2024-01-01", to: "2024-01-31", unit: "week" })
    expect(weeks.rows).toEqual([
      { date: "2024-01-01", users: 2 },
      { date: "2024-01-08", users: 1 },
      { date: "2024-01-15", users: 0 },
      { date: "2024-01-22", users: 0 },
      { date: "2024-01-29", users: 0 },
    ])
    const months = await active({ from: "2024-01-01", to: "2024-01-31", unit: "month" })
    expect(months.rows).toEqual([{ date: "2024-01-01", users: 3 }])
  })

  it("reads days in the table's zone", async () => {
    // 2024-01-01T23:59:59Z is 01-02 in Tokyo; 2024-01-01T09:00Z and 10:00Z are 18:00/19:00
    const { rows } = await active({ from: "2024-01-01", to: "2024-01-02" }, "Asia/Tokyo")
    expect(rows).toEqual([
      { date: "2024-01-01", users: 1 },
      { date: "2024-01-02", users: 1 },
    ])
  })

  it("refuses units it does not bucket by", async () => {
    const error = errorOf(
      await run(
        records,
        activeReport({ from: "2024-01-01", to: "2024-01-03", unit: "hour" as never }),
      ),
    )
    expect(error).toBeInstanceOf(InvalidReportOptions)
    expect((error as InvalidReportOptions).option).toBe("unit")
  })
})

describe("frequency report", () => {
  const frequency = async (
    records: Parameters<typeof run>[0],
    options: FrequencyOptions,
    zone?: string,
  ) => answerOf(await run(records, frequencyReport(options), zone))

  it("day by hour: users in at least k+1 distinct hours, 24 entries per day", async () => {
    const { answer, rows } = await frequency(
      [
        // a: hours 10 (twice), 11 and 15 of day 1: 3 distinct hours
        at("E", "a", "2024-01-01T10:00:00Z"),
        at("E", "a", "2024-01-01T10:59:59Z"),
        at("E", "a", "2024-01-01T11:00:00Z"),
        at("E", "a", "2024-01-01T15:30:00Z"),
        // b: one hour of day 1
        at("E", "b", "2024-01-01T10:00:00Z"),
        at("Other", "b", "2024-01-01T12:00:00Z"),
        // c: one hour of day 2
        at("E", "c", "2024-01-02T00:00:00Z"),
      ],
      { from: "2024-01-01", to: "2024-01-03", event: "E", unit: "day", subUnit: "hour" },
    )
    expect(Object.keys(answer.data)).toEqual(["2024-01-01", "2024-01-02", "2024-01-03"])
    expect(answer.data["2024-01-01"]).toEqual(zerosAfter([2, 1, 1], 24))
    expect(answer.data["2024-01-02"]).toEqual(zerosAfter([1], 24))
    expect(answer.data["2024-01-03"]).toEqual(zerosAfter([], 24))
    expect(rows).toHaveLength(72)
    expect(rows.slice(0, 4)).toEqual([
      { date: "2024-01-01", at_least: 1, users: 2 },
      { date: "2024-01-01", at_least: 2, users: 1 },
      { date: "2024-01-01", at_least: 3, users: 1 },
      { date: "2024-01-01", at_least: 4, users: 0 },
    ])
  })

  it("week by day (7 entries) and month by day (31 entries, whatever the month)", async () => {
    const records = [
      at("E", "a", "2024-02-05T01:00:00Z"), // Monday
      at("E", "a", "2024-02-06T01:00:00Z"),
      at("E", "a", "2024-02-06T02:00:00Z"),
      at("E", "a", "2024-02-11T23:00:00Z"), // Sunday
      at("E", "b", "2024-02-05T01:00:00Z"),
      at("E", "b", "2024-02-12T01:00:00Z"), // the next Monday
    ]
    const week = await frequency(records, {
      from: "2024-02-05",
      to: "2024-02-12",
      event: "E",
      unit: "week",
      subUnit: "day",
    })
    expect(week.answer.data).toEqual({
      "2024-02-05": [2, 1, 1, 0, 0, 0, 0],
      "2024-02-12": [1, 0, 0, 0, 0, 0, 0],
    })
    const month = await frequency(records, {
      from: "2024-02-01",
      to: "2024-02-29",
      event: "E",
      unit: "month",
      subUnit: "day",
    })
    // a: 3 days, b: 2 days
    expect(month.answer.data).toEqual({ "2024-02-01": zerosAfter([2, 2, 1], 31) })
  })

  it("counts a DST day's repeated hour once, in the table's zone", async () => {
    const zone = "America/New_York" // 2024-11-03: 01:00-02:00 happens twice (EDT, then EST)
    const { answer } = await frequency(
      [
        at("E", "a", "2024-11-03T05:30:00Z"), // 01:30 EDT
        at("E", "a", "2024-11-03T06:30:00Z"), // 01:30 EST
        at("E", "b", "2024-11-03T05:30:00Z"), // 01:30 EDT
        at("E", "b", "2024-11-03T07:30:00Z"), // 02:30 EST
        at("E", "c", "2024-11-03T04:30:00Z"), // 00:30 EDT (04:30Z: 11-03 in UTC too)
        at("E", "d", "2024-11-04T04:30:00Z"), // 11-03 23:30 EST
        at("E", "e", "2024-11-04T05:30:00Z"), // 11-04 00:30 EST
      ],
      { from: "2024-11-03", to: "2024-11-03", event: "E", unit: "day", subUnit: "hour" },
      zone,
    )
    // a: 1 hour; b: 2 hours; c, d: 1 hour each; e is the next day
    expect(answer.data).toEqual({ "2024-11-03": zerosAfter([4, 1], 24) })
  })

  it("refuses bad units and sub-units, and a missing event", async () => {
    const base: FrequencyOptions = {
      from: "2024-01-01",
      to: "2024-01-02",
      event: "E",
      unit: "day",
      subUnit: "hour",
    }
    for (const [options, option] of [
      [{ ...base, unit: "hour" }, "unit"],
      [{ ...base, subUnit: "week" }, "subUnit"],
      [{ ...base, event: "" }, "event"],
      [{ ...base, to: "2023-12-31" }, "from"],
    ] as const) {
      const error = errorOf(await run([], frequencyReport(options as FrequencyOptions)))
      expect(error).toBeInstanceOf(InvalidReportOptions)
      expect((error as InvalidReportOptions).option).toBe(option)
    }
  })
})
