import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Simulator, startSimulator } from "../src/index.js"
import { exportText, naiveTruth, parseLines } from "./helpers.js"

let sim: Simulator
const zone = "America/Los_Angeles"

/** Local wall-clock ms in `zone` back to UTC (earlier offset for repeated times). */
const localToUtc = (localMs: number): number => {
  const offsetAt = (utc: number): number => {
    const p = Object.fromEntries(
      new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      })
        .formatToParts(new Date(utc))
        .map((x) => [x.type, Number(x.value)]),
    )
    return (
      Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) -
      Math.floor(utc / 1000) * 1000
    )
  }
  // Los Angeles is UTC-8 or UTC-7.
  const candidates = [localMs + 7 * 3_600_000, localMs + 8 * 3_600_000]
  const ok = candidates.filter((u) => u + offsetAt(u) === localMs).sort((a, b) => a - b)
  return ok[0] ?? candidates[0]!
}

beforeAll(async () => {
  sim = await startSimulator({
    users: 300,
    startDate: "2024-03-09",
    days: 240,
    timeZone: zone,
    limits: false,
  })
})
afterAll(() => sim.close())

describe("legacy time zone project", () => {
  it("serves local wall-clock time and reads days in the zone", async () => {
    const lines = parseLines(
      await exportText(sim, { from_date: "2024-03-09", to_date: "2024-03-09", time_in_ms: "true" }),
    )
    expect(lines.length).toBeGreaterThan(0)
    for (const l of lines) {
      // Local times of the day 2024-03-09 fall within that calendar day.
      expect(new Date(l.properties.time).toISOString().slice(0, 10)).toBe("2024-03-09")
    }
    expect(naiveTruth(lines, localToUtc)).toEqual(
      await sim.truth({ from: "2024-03-09", to: "2024-03-09" }),
    )
  })

  it("handles the spring-forward day (23 hours)", async () => {
    const lines = parseLines(
      await exportText(sim, { from_date: "2024-03-10", to_date: "2024-03-10", time_in_ms: "true" }),
    )
    // No local time inside the skipped hour 02:00-03:00.
    const hours = new Set(lines.map((l) => new Date(l.properties.time).getUTCHours()))
    expect(hours.has(2)).toBe(false)
    expect(naiveTruth(lines, localToUtc)).toEqual(
      await sim.truth({ from: "2024-03-10", to: "2024-03-10" }),
    )
  })

  it("handles the fall-back day: no event in the repeated hour's second pass", async () => {
    const lines = parseLines(
      await exportText(sim, { from_date: "2024-11-03", to_date: "2024-11-03", time_in_ms: "true" }),
    )
    expect(lines.length).toBeGreaterThan(0)
    expect(naiveTruth(lines, localToUtc)).toEqual(
      await sim.truth({ from: "2024-11-03", to: "2024-11-03" }),
    )
    const seconds = parseLines(
      await exportText(sim, { from_date: "2024-11-03", to_date: "2024-11-03" }),
    )
    expect(naiveTruth(seconds, (t) => localToUtc(t * 1000))).toEqual(
      await sim.truth({ from: "2024-11-03", to: "2024-11-03", timeInMs: false }),
    )
  })
})
