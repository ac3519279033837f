import { describe, expect, it } from "vitest"
import { localToUtcMs, parseNaiveDateTime, toEventRecord, zoneOffsetMs } from "../src/index.js"

const LA = "America/Los_Angeles"
const local = (iso: string) => Date.parse(`${iso}Z`)
const utc = (iso: string) => new Date(Date.parse(iso)).toISOString()

describe("legacy project time zones", () => {
  it("reads offsets through Intl", () => {
    expect(zoneOffsetMs(LA, Date.parse("2024-01-15T12:00:00Z"))).toBe(-8 * 3600_000)
    expect(zoneOffsetMs(LA, Date.parse("2024-07-15T12:00:00Z"))).toBe(-7 * 3600_000)
  })

  it("converts wall-clock around the spring-forward day (2024-03-10)", () => {
    expect(new Date(localToUtcMs(LA, local("2024-03-10T01:59:59"))).toISOString()).toBe(
      utc("2024-03-10T09:59:59Z"),
    )
    // 02:30 does not exist: it moves forward by the gap, to 03:30 PDT.
    expect(new Date(localToUtcMs(LA, local("2024-03-10T02:30:00"))).toISOString()).toBe(
      utc("2024-03-10T10:30:00Z"),
    )
    expect(new Date(localToUtcMs(LA, local("2024-03-10T03:00:00"))).toISOString()).toBe(
      utc("2024-03-10T10:00:00Z"),
    )
    expect(new Date(localToUtcMs(LA, local("2024-03-10T12:00:00"))).toISOString()).toBe(
      utc("2024-03-10T19:00:00Z"),
    )
  })

  it("converts wall-clock around the fall-back day (2024-11-03)", () => {
    expect(new Date(localToUtcMs(LA, local("2024-11-03T00:30:00"))).toISOString()).toBe(
      utc("2024-11-03T07:30:00Z"),
    )
    // 01:30 happens twice: the earlier instant (PDT) wins.
    expect(new Date(localToUtcMs(LA, local("2024-11-03T01:30:00"))).toISOString()).toBe(
      utc("2024-11-03T08:30:00Z"),
    )
    expect(new Date(localToUtcMs(LA, local("2024-11-03T02:00:00"))).toISOString()).toBe(
      utc("2024-11-03T10:00:00Z"),
    )
    expect(new Date(localToUtcMs(LA, local("2024-11-03T23:59:59"))).toISOString()).toBe(
      utc("2024-11-04T07:59:59Z"),
    )
  })

  it("round-trips every quarter hour of both change days outside the gap", () => {
    for (const day of ["2024-03-10", "2024-11-03"]) {
      const start = Date.parse(`${day}T00:00:00Z`) - 8 * 3600_000
      for (let t = start; t < start + 40 * 3600_000; t += 15 * 60_000) {
        const wall = t + zoneOffsetMs(LA, t)
        const back = localToUtcMs(LA, wall)
        // Each instant maps to a wall time that maps back to it, or to its earlier twin.
        expect(back === t || back === t - 3600_000).toBe(true)
      }
    }
  })

  it("transforms a legacy event's local ms time to true UTC", () => {
    const record = toEventRecord(
      {
        event: "Purchase",
        properties: { time: local("2024-03-10T12:00:00"), distinct_id: "u1", $insert_id: "x" },
      },
      { timeUnit: "ms", timeZone: LA },
    )
    expect(record?.time.toISOString()).toBe("2024-03-10T19:00:00.000Z")
    const seconds = toEventRecord(
      { event: "A", properties: { time: 1_700_000_000, distinct_id: 7 } },
      { timeUnit: "s", timeZone: undefined },
    )
    expect(seconds?.time.toISOString()).toBe(new Date(1_700_000_000_000).toISOString())
    expect(seconds?.distinctId).toBe("7")
  })

  it("reads zone-less profile dates in the project zone", () => {
    expect(parseNaiveDateTime("2024-03-01T08:00:00", undefined)?.toISOString()).toBe(
      "2024-03-01T08:00:00.000Z",
    )
    expect(parseNaiveDateTime("2024-03-01T08:00:00", LA)?.toISOString()).toBe(
      "2024-03-01T16:00:00.000Z",
    )
    expect(parseNaiveDateTime("nonsense", undefined)).toBeNull()
  })
})
