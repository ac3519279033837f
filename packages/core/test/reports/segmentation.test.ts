import { describe, expect, it } from "vitest"
import type { EventRecord } from "../../src/index.js"
import { InvalidReportOptions } from "../../src/reports/errors.js"
import { segmentationReport } from "../../src/reports/segmentation.js"
import type { SegmentationOptions } from "../../src/reports/types.js"
import { valueOf as answerOf, errorOf, eventAt, useReportStore } from "./report-store.js"

const run = useReportStore()

const at = (
  name: string,
  user: string,
  iso: string,
  properties: Record<string, unknown> = {},
): EventRecord => ({ ...eventAt(name, user, iso), properties })

// Buy events of 2024-01-01..03 (UTC), with the plan each was bought on.
const buys: ReadonlyArray<EventRecord> = [
  at("Buy", "u6", "2023-12-31T23:59:59Z", { plan: "pro" }), // before the range
  at("Buy", "u1", "2024-01-01T10:00:00Z", { plan: "pro" }),
  at("Buy", "u1", "2024-01-01T11:00:00Z", { plan: "pro" }),
  at("Buy", "u2", "2024-01-01T12:00:00Z", { plan: "free" }),
  at("View", "u1", "2024-01-01T12:00:00Z", { plan: "pro" }), // another event
  at("Buy", "u3", "2024-01-02T00:30:00Z", { plan: null }),
  at("Buy", "u4", "2024-01-02T01:00:00Z", {}),
  at("Buy", "u1", "2024-01-03T23:59:59Z", { plan: "pro" }),
  at("Buy", "u5", "2024-01-04T00:00:00Z", { plan: "pro" }), // after the range
]

const range = { from: "2024-01-01", to: "2024-01-03" }
const days = ["2024-01-01", "2024-01-02", "2024-01-03"]

const segmentation = async (
  records: ReadonlyArray<EventRecord>,
  options: SegmentationOptions,
  zone?: string,
) => answerOf(await run(records, segmentationReport(options), zone))

describe("segmentation report", () => {
  it("counts events per day, every day of the range listed, in Mixpanel's shape", async () => {
    const { answer, rows } = await segmentation(buys, { ...range, event: "Buy" })
    expect(answer).toEqual({
      data: {
        series: days,
        values: { Buy: { "2024-01-01": 3, "2024-01-02": 2, "2024-01-03": 1 } },
      },
      legend_size: 1,
    })
    expect(rows).toEqual([
      { bucket: "2024-01-01", segment: "Buy", value: 3 },
      { bucket: "2024-01-02", segment: "Buy", value: 2 },
      { bucket: "2024-01-03", segment: "Buy", value: 1 },
    ])
  })

  it("general by a property: null and absent values are segments of their own, zeros filled", async () => {
    const { answer } = await segmentation(buys, { ...range, event: "Buy", on: "plan" })
    expect(answer.data.series).toEqual(days)
    // ranked by events over the range (pro 3), ties by name
    expect(Object.keys(answer.data.values)).toEqual(["pro", "free", "null", "undefined"])
    expect(answer.data.values).toEqual({
      pro: { "2024-01-01": 2, "2024-01-02": 0, "2024-01-03": 1 },
      free: { "2024-01-01": 1, "2024-01-02": 0, "2024-01-03": 0 },
      null: { "2024-01-01": 0, "2024-01-02": 1, "2024-01-03": 0 },
      undefined: { "2024-01-01": 0, "2024-01-02": 1, "2024-01-03": 0 },
    })
    expect(answer.legend_size).toBe(4)
  })

  it("unique by a property counts distinct users, ranked by users over the range", async () => {
    const { answer } = await segmentation(buys, {
      ...range,
      event: "Buy",
      on: "plan",
      type: "unique",
    })
    // pro has one user over the range (u1 on two days): a tie with the others, so by name
    expect(Object.keys(answer.data.values)).toEqual(["free", "null", "pro", "undefined"])
    expect(answer.data.values.pro).toEqual({ "2024-01-01": 1, "2024-01-02": 0, "2024-01-03": 1 })
    expect(answer.data.values.free).toEqual({ "2024-01-01": 1, "2024-01-02": 0, "2024-01-03": 0 })
  })

  it("limit keeps the top segments by the report's own measure", async () => {
    const general = await segmentation(buys, { ...range, event: "Buy", on: "plan", limit: 2 })
    expect(Object.keys(general.answer.data.values)).toEqual(["pro", "free"])
    expect(general.answer.legend_size).toBe(2)
    expect(general.rows).toHaveLength(6)
    const unique = await segmentation(buys, {
      ...range,
      event: "Buy",
      on: "plan",
      type: "unique",
      limit: 2,
    })
    expect(Object.keys(unique.answer.data.values)).toEqual(["free", "null"])
  })

  it("average is events per user in each bucket, 0 where nobody", async () => {
    const { answer } = await segmentation(buys, { ...range, event: "Buy", type: "average" })
    // day 1: 3 events by u1, u2; day 2: 2 by u3, u4; day 3: 1 by u1
    expect(answer.data.values.Buy).toEqual({ "2024-01-01": 1.5, "2024-01-02": 1, "2024-01-03": 1 })
    const empty = await segmentation(buys, {
      from: "2024-01-05",
      to: "2024-01-05",
      event: "Buy",
      type: "average",
    })
    expect(empty.answer).toEqual({
      data: { series: ["2024-01-05"], values: { Buy: { "2024-01-05": 0 } } },
      legend_size: 1,
    })
  })

  it("segments on numbers, booleans and keys with $ and quotes, as text", async () => {
    const { answer } = await segmentation(
      [
        at("E", "a", "2024-01-01T01:00:00Z", { $os: "iOS", n: 2, ok: true, 'q"k': "x" }),
        at("E", "b", "2024-01-01T02:00:00Z", { $os: "Android", n: 2.5, ok: false, 'q"k': "x" }),
      ],
      { from: "2024-01-01", to: "2024-01-01", event: "E", on: "$os" },
    )
    expect(answer.data.values).toEqual({ Android: { "2024-01-01": 1 }, iOS: { "2024-01-01": 1 } })
    const records = [
      at("E", "a", "2024-01-01T01:00:00Z", { n: 2, ok: true, 'q"k': "x" }),
      at("E", "b", "2024-01-01T02:00:00Z", { n: 2.5, ok: false, 'q"k': "x" }),
    ]
    const day = { from: "2024-01-01", to: "2024-01-01", event: "E" }
    const n = await segmentation(records, { ...day, on: "n" })
    expect(Object.keys(n.answer.data.values).sort()).toEqual(["2", "2.5"])
    const ok = await segmentation(records, { ...day, on: "ok" })
    expect(Object.keys(ok.answer.data.values).sort()).toEqual(["false", "true"])
    const quoted = await segmentation(records, { ...day, on: 'q"k' })
    expect(quoted.answer.data.values).toEqual({ x: { "2024-01-01": 2 } })
  })

  it("where filters with a SQL expression over the table's columns", async () => {
    const pro = await segmentation(buys, {
      ...range,
      event: "Buy",
      where: "properties ->> 'plan' = 'pro'",
    })
    expect(pro.answer.data.values.Buy).toEqual({
      "2024-01-01": 2,
      "2024-01-02": 0,
      "2024-01-03": 1,
    })
    const users = await segmentation(buys, {
      ...range,
      event: "Buy",
      type: "unique",
      where: "distinct_id IN ('u2', 'u3') -- a comment at the end",
    })
    expect(users.answer.data.values.Buy).toEqual({
      "2024-01-01": 1,
      "2024-01-02": 1,
      "2024-01-03": 0,
    })
  })

  it("refuses a where that is more than one expression, or that does not bind", async () => {
    for (const where of [
      "true; DROP TABLE events",
      "true) UNION SELECT 1 WHERE (true",
      "true) GROUP BY (1",
      "true) ORDER BY (1",
      "true) LIMIT (1",
      "",
      "no_such_column = 1",
      "properties ->> 'plan' = ",
    ]) {
      const error = errorOf(await run(buys, segmentationReport({ ...range, event: "Buy", where })))
      expect(error, where).toBeInstanceOf(InvalidReportOptions)
      expect((error as InvalidReportOptions).option).toBe("where")
    }
    // the table is untouched
    const after = await segmentation(buys, { ...range, event: "Buy" })
    expect(after.answer.data.values.Buy?.["2024-01-01"]).toBe(3)
  })

  it("buckets by hour, week (from Monday) and month, listing every bucket", async () => {
    const records = [
      at("E", "a", "2024-01-29T10:15:00Z"), // Monday
      at("E", "a", "2024-01-31T10:45:00Z"), // Wednesday
      at("E", "b", "2024-02-01T11:00:00Z"), // Thursday, next month
      at("E", "b", "2024-02-05T00:00:00Z"), // the next Monday
    ]
    const weeks = await segmentation(records, {
      from: "2024-01-31",
      to: "2024-02-05",
      event: "E",
      unit: "week",
    })
    // the first week starts on the Monday before the range; only the range's days count
    expect(weeks.answer.data).toEqual({
      series: ["2024-01-29", "2024-02-05"],
      values: { E: { "2024-01-29": 2, "2024-02-05": 1 } },
    })
    const months = await segmentation(records, {
      from: "2024-01-29",
      to: "2024-02-05",
      event: "E",
      unit: "month",
      type: "unique",
    })
    expect(months.answer.data).toEqual({
      series: ["2024-01-01", "2024-02-01"],
      values: { E: { "2024-01-01": 1, "2024-02-01": 1 } },
    })
    const hours = await segmentation(records, {
      from: "2024-01-31",
      to: "2024-01-31",
      event: "E",
      unit: "hour",
    })
    expect(hours.answer.data.series).toHaveLength(24)
    expect(hours.answer.data.series[0]).toBe("2024-01-31 00:00:00")
    expect(hours.answer.data.series[23]).toBe("2024-01-31 23:00:00")
    expect(hours.answer.data.values.E?.["2024-01-31 10:00:00"]).toBe(1)
    expect(Object.values(hours.answer.data.values.E ?? {}).reduce((a, b) => a + b)).toBe(1)
  })

  it("buckets in a legacy project's zone, across a DST change", async () => {
    const zone = "America/New_York" // EST (UTC-5) until 2024-03-10 02:00, then EDT (UTC-4)
    const records = [
      at("E", "a", "2024-03-10T04:30:00Z"), // 03-09 23:30 EST
      at("E", "a", "2024-03-10T05:30:00Z"), // 03-10 00:30 EST
      at("E", "b", "2024-03-10T07:30:00Z"), // 03-10 03:30 EDT
      at("E", "b", "2024-03-11T03:30:00Z"), // 03-10 23:30 EDT
      at("E", "c", "2024-03-11T04:30:00Z"), // 03-11 00:30 EDT
    ]
    const { answer } = await segmentation(
      records,
      { from: "2024-03-09", to: "2024-03-11", event: "E" },
      zone,
    )
    expect(answer.data.values.E).toEqual({ "2024-03-09": 1, "2024-03-10": 3, "2024-03-11": 1 })
    // a one-day range is that day's 23 hours, midnight to midnight local
    const day = await segmentation(
      records,
      { from: "2024-03-10", to: "2024-03-10", event: "E", type: "unique" },
      zone,
    )
    expect(day.answer.data.values.E).toEqual({ "2024-03-10": 2 })
    const hours = await segmentation(
      records,
      { from: "2024-03-10", to: "2024-03-10", event: "E", unit: "hour" },
      zone,
    )
    const nonZero = Object.entries(hours.answer.data.values.E ?? {}).filter(([, n]) => n > 0)
    expect(nonZero).toEqual([
      ["2024-03-10 00:00:00", 1],
      ["2024-03-10 03:00:00", 1],
      ["2024-03-10 23:00:00", 1],
    ])
    // the same instants in a UTC table fall on other days
    const utc = await segmentation(records, { from: "2024-03-09", to: "2024-03-11", event: "E" })
    expect(utc.answer.data.values.E).toEqual({ "2024-03-09": 0, "2024-03-10": 3, "2024-03-11": 2 })
  })

  it("fails with typed errors on bad options and tables", async () => {
    const bad = async (options: Partial<SegmentationOptions>, option: string) => {
      const error = errorOf(
        await run(buys, segmentationReport({ ...range, event: "Buy", ...options })),
      )
      expect(error, JSON.stringify(options)).toBeInstanceOf(InvalidReportOptions)
      expect((error as InvalidReportOptions).option).toBe(option)
    }
    await bad({ from: "2024-01-04", to: "2024-01-03" }, "from")
    await bad({ from: "2024-02-30" }, "from")
    await bad({ event: "" }, "event")
    await bad({ unit: "minute" as never }, "unit")
    await bad({ type: "median" as never }, "type")
    await bad({ limit: 0 }, "limit")
    await bad({ limit: 1.5 }, "limit")
    const missing = errorOf(
      await run(buys, segmentationReport({ ...range, event: "Buy", table: "nope" })),
    )
    expect(missing).toMatchObject({ _tag: "TableNotFound", table: "nope" })
    const badName = errorOf(
      await run(buys, segmentationReport({ ...range, event: "Buy", table: "no-good" })),
    )
    expect(badName).toMatchObject({ _tag: "InvalidTableName" })
  })
})
