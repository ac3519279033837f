import { describe, expect, it } from "vitest"
import { dayBoundsUtc, dayOfInstant, daysBetween, wallClockToUtcMs } from "../../src/index.js"

const la = "America/Los_Angeles"
const utc = (iso: string) => Date.parse(iso)

describe("project calendar", () => {
  it("converts wall-clock times like storage's SQL: earlier for repeats, forward for gaps", () => {
    expect(new Date(wallClockToUtcMs(la, utc("2024-07-01T12:00:00Z"))).toISOString()).toBe(
      "2024-07-01T19:00:00.000Z",
    )
    expect(new Date(wallClockToUtcMs(la, utc("2024-11-03T01:30:00Z"))).toISOString()).toBe(
      "2024-11-03T08:30:00.000Z",
    )
    expect(new Date(wallClockToUtcMs(la, utc("2024-03-10T02:30:00Z"))).toISOString()).toBe(
      "2024-03-10T10:30:00.000Z",
    )
    expect(wallClockToUtcMs(undefined, 123)).toBe(123)
  })

  it("gives day bounds of 23, 24 and 25 hours around DST", () => {
    const hours = (day: string) => {
      const { start, end } = dayBoundsUtc(la, day)
      return (end.getTime() - start.getTime()) / 3_600_000
    }
    expect(hours("2024-03-10")).toBe(23)
    expect(hours("2024-03-11")).toBe(24)
    expect(hours("2024-11-03")).toBe(25)
    expect(dayBoundsUtc(undefined, "2024-02-29").start.toISOString()).toBe(
      "2024-02-29T00:00:00.000Z",
    )
    expect(dayOfInstant(la, utc("2024-03-11T06:59:59Z"))).toBe("2024-03-10")
    expect(dayOfInstant(la, utc("2024-03-11T07:00:00Z"))).toBe("2024-03-11")
  })

  it("lists days inclusively and rejects impossible dates", () => {
    expect(daysBetween("2024-02-28", "2024-03-01")).toEqual([
      "2024-02-28",
      "2024-02-29",
      "2024-03-01",
    ])
    expect(daysBetween("2024-02-30", "2024-03-01")).toEqual([])
    expect(daysBetween("2024-03-02", "2024-03-01")).toEqual([])
  })
})
