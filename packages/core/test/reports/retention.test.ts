import { describe, expect, it } from "vitest"
import { InvalidReportOptions } from "../../src/reports/errors.js"
import { retentionReport } from "../../src/reports/retention.js"
import type { RetentionOptions } from "../../src/reports/types.js"
import { answerOf, eventAt as at, errorOf, useReportStore } from "./report-store.js"

const run = useReportStore()

const retention = async (
  records: Parameters<typeof run>[0],
  options: RetentionOptions,
  zone?: string,
) => answerOf(await run(records, retentionReport(options), zone))

/** Born S, returning R: the data most cases share. */
const birthData = [
  // u1, born on the 1st at 10:00: returns at 2 h and 23 h (interval 0), 25 h (1), 72 h (3)
  at("S", "u1", "2024-01-01T10:00:00Z"),
  at("R", "u1", "2024-01-01T12:00:00Z"),
  at("R", "u1", "2024-01-02T09:00:00Z"),
  at("R", "u1", "2024-01-02T11:00:00Z"),
  at("R", "u1", "2024-01-04T10:00:00Z"),
  // a return before being born does not count
  at("R", "u2", "2024-01-01T09:00:00Z"),
  at("S", "u2", "2024-01-01T15:00:00Z"),
  // u3, born at its first S on the 2nd: a return exactly 24 h later is in interval 1
  at("S", "u3", "2024-01-02T08:00:00Z"),
  at("S", "u3", "2024-01-02T09:00:00Z"),
  at("R", "u3", "2024-01-03T08:00:00Z"),
  // an S before `from` is not looked at: u4 is born on the 2nd
  at("S", "u4", "2023-12-31T10:00:00Z"),
  at("S", "u4", "2024-01-02T10:00:00Z"),
  at("R", "u4", "2024-01-02T10:30:00Z"),
  // never born in the range
  at("R", "u5", "2024-01-01T10:00:00Z"),
  at("S", "u6", "2024-01-03T10:00:00Z"),
]

describe("retention report", () => {
  it("birth: cohorts by first BORN in the range, intervals rolling from each born time", async () => {
    const { answer, rows } = await retention(birthData, {
      from: "2024-01-01",
      to: "2024-01-02",
      born: "S",
      returning: "R",
      intervals: 3,
    })
    expect(answer).toEqual({
      "2024-01-01": { counts: [1, 1, 0, 1], first: 2 },
      "2024-01-02": { counts: [1, 1, 0, 0], first: 2 },
    })
    expect(rows.slice(0, 4)).toEqual([
      { date: "2024-01-01", first: 2, interval: 0, count: 1 },
      { date: "2024-01-01", first: 2, interval: 1, count: 1 },
      { date: "2024-01-01", first: 2, interval: 2, count: 0 },
      { date: "2024-01-01", first: 2, interval: 3, count: 1 },
    ])
    expect(rows).toHaveLength(8)
  })

  it("has intervals + 1 counts, ten after the 0th by default", async () => {
    const { answer } = await retention(birthData, {
      from: "2024-01-01",
      to: "2024-01-01",
      born: "S",
      returning: "R",
    })
    expect(answer["2024-01-01"]?.counts).toEqual([1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    const zero = await retention(birthData, {
      from: "2024-01-01",
      to: "2024-01-01",
      born: "S",
      returning: "R",
      intervals: 0,
    })
    expect(zero.answer).toEqual({ "2024-01-01": { counts: [1], first: 2 } })
  })

  it("never counts the born event itself; any other event at or after it returns", async () => {
    const records = [
      at("S", "alone", "2024-01-01T10:00:00Z"),
      at("S", "again", "2024-01-01T10:00:00Z"),
      at("S", "again", "2024-01-01T11:00:00Z"),
      // another S at the born instant (another insert id) is another event
      at("S", "twin", "2024-01-01T10:00:00Z", "t1"),
      at("S", "twin", "2024-01-01T10:00:00Z", "t2"),
      // with any event returning: X at the born instant returns
      at("S", "other", "2024-01-01T10:00:00Z"),
      at("X", "other", "2024-01-01T10:00:00Z"),
    ]
    const options = { from: "2024-01-01", to: "2024-01-01", born: "S", intervals: 1 }
    expect((await retention(records, { ...options, returning: "S" })).answer).toEqual({
      "2024-01-01": { counts: [2, 0], first: 4 },
    })
    expect((await retention(records, options)).answer).toEqual({
      "2024-01-01": { counts: [3, 0], first: 4 },
    })
  })

  it("unbounded: retained in interval i or any later one", async () => {
    const { answer } = await retention(
      [...birthData, at("S", "u7", "2024-01-01T10:00:00Z"), at("R", "u7", "2024-01-02T12:00:00Z")],
      {
        from: "2024-01-01",
        to: "2024-01-01",
        born: "S",
        returning: "R",
        intervals: 4,
        unbounded: true,
      },
    )
    // u1 last returns in interval 3, u7 in interval 1
    expect(answer).toEqual({ "2024-01-01": { counts: [2, 2, 1, 1, 0], first: 3 } })
  })

  it("compounded: everyone who did RETURN in a bucket, born at their first RETURN there", async () => {
    const { answer } = await retention(
      [
        at("R", "u1", "2024-01-01T10:00:00Z"),
        at("R", "u1", "2024-01-01T18:00:00Z"),
        at("R", "u1", "2024-01-02T11:00:00Z"),
        at("R", "u2", "2024-01-02T09:00:00Z"),
        at("R", "u2", "2024-01-03T10:00:00Z"),
        // not the returning event
        at("S", "u3", "2024-01-01T10:00:00Z"),
      ],
      { from: "2024-01-01", to: "2024-01-02", returning: "R", type: "compounded", intervals: 2 },
    )
    expect(answer).toEqual({
      // u1 from 10:00: 8 h (0), 25 h (1)
      "2024-01-01": { counts: [1, 1, 0], first: 1 },
      // u1 from 11:00: nothing after; u2 from 09:00: 25 h (1)
      "2024-01-02": { counts: [0, 1, 0], first: 2 },
    })
  })

  it("compounded without RETURN: any event makes the cohort and returns", async () => {
    const { answer } = await retention(
      [
        at("S", "u1", "2024-01-01T10:00:00Z"),
        at("R", "u1", "2024-01-01T11:00:00Z"),
        at("X", "u2", "2024-01-01T12:00:00Z"),
      ],
      { from: "2024-01-01", to: "2024-01-01", type: "compounded", intervals: 1 },
    )
    expect(answer).toEqual({ "2024-01-01": { counts: [1, 0], first: 2 } })
  })

  it("weeks of 7 days from each born time, cohorts keyed by their Monday", async () => {
    const { answer } = await retention(
      [
        // a Wednesday
        at("S", "u1", "2024-01-03T10:00:00Z"),
        at("R", "u1", "2024-01-10T09:59:59Z"),
        at("R", "u1", "2024-01-24T10:00:00Z"),
        at("S", "u2", "2024-01-08T10:00:00Z"),
        at("R", "u2", "2024-01-15T10:00:00Z"),
      ],
      {
        from: "2024-01-03",
        to: "2024-01-09",
        born: "S",
        returning: "R",
        unit: "week",
        intervals: 3,
      },
    )
    expect(answer).toEqual({
      "2024-01-01": { counts: [1, 0, 0, 1], first: 1 },
      "2024-01-08": { counts: [0, 1, 0, 0], first: 1 },
    })
  })

  it("months of 30 days from each born time, cohorts keyed by the month's first day", async () => {
    const { answer } = await retention(
      [
        at("S", "u1", "2024-01-15T10:00:00Z"),
        at("R", "u1", "2024-02-14T09:59:59Z"),
        at("S", "u2", "2024-01-31T10:00:00Z"),
        // 30 days later, though still in the next calendar month
        at("R", "u2", "2024-03-01T10:00:00Z"),
      ],
      {
        from: "2024-01-01",
        to: "2024-02-29",
        born: "S",
        returning: "R",
        unit: "month",
        intervals: 2,
      },
    )
    expect(answer).toEqual({
      "2024-01-01": { counts: [1, 1, 0], first: 2 },
      "2024-02-01": { counts: [0, 0, 0], first: 0 },
    })
  })

  it("a day is 24 hours across a DST change; cohorts and the range are in the project zone", async () => {
    const { answer } = await retention(
      [
        // 2024-11-02 23:30 PDT; returns 23.5 h later, 2024-11-03 22:00 PST, the next calendar day
        at("S", "u1", "2024-11-03T06:30:00Z"),
        at("R", "u1", "2024-11-04T06:00:00Z"),
        // 2024-11-03 00:30 PDT on the 25-hour day; returns 24.5 h later, 2024-11-04 00:00 PST
        at("S", "u2", "2024-11-03T07:30:00Z"),
        at("R", "u2", "2024-11-04T08:00:00Z"),
        // 2024-11-01 20:00 PDT (the 2nd in UTC)
        at("S", "u3", "2024-11-02T03:00:00Z"),
        // 2024-11-03 23:30 PST: the last day of the range there (the 4th in UTC)
        at("S", "u4", "2024-11-04T07:30:00Z"),
        // 2024-11-04 00:30 PST: past the range
        at("S", "u5", "2024-11-04T08:30:00Z"),
      ],
      { from: "2024-11-01", to: "2024-11-03", born: "S", returning: "R", intervals: 1 },
      "America/Los_Angeles",
    )
    expect(answer).toEqual({
      "2024-11-01": { counts: [0, 0], first: 1 },
      "2024-11-02": { counts: [1, 0], first: 1 },
      "2024-11-03": { counts: [0, 1], first: 2 },
    })
  })

  it("refuses options it cannot answer", async () => {
    const records = [at("S", "u1", "2024-01-01T10:00:00Z")]
    const base = { from: "2024-01-01", to: "2024-01-02", born: "S" }
    for (const [options, option] of [
      [{ ...base, from: "2024-01-03" }, "from"],
      [{ ...base, from: "20240101" }, "from"],
      [{ ...base, intervals: -1 }, "intervals"],
      [{ ...base, intervals: 1.5 }, "intervals"],
      [{ from: "2024-01-01", to: "2024-01-02" }, "born"],
      [{ ...base, born: "" }, "born"],
      [{ ...base, returning: "" }, "returning"],
      [{ ...base, unit: "hour" }, "unit"],
      [{ ...base, type: "first" }, "type"],
    ] as const) {
      const error = errorOf(await run(records, retentionReport(options as RetentionOptions)))
      expect(error).toBeInstanceOf(InvalidReportOptions)
      expect((error as InvalidReportOptions).option).toBe(option)
    }
  })
})
