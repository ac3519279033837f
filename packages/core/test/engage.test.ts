import { describe, expect, it } from "vitest"
import { parseEngageDate, profileOfEngageResult } from "../src/index.js"

const LA = "America/Los_Angeles"

describe("engage results", () => {
  it("takes a profile whole; absent properties are empty; $last_seen in the project zone", () => {
    expect(
      profileOfEngageResult({ $distinct_id: "a", $properties: { x: [1] } }, undefined),
    ).toEqual({ distinctId: "a", properties: { x: [1] }, lastSeen: null })
    expect(profileOfEngageResult({ $distinct_id: "b" }, undefined)).toEqual({
      distinctId: "b",
      properties: {},
      lastSeen: null,
    })
    const seen = profileOfEngageResult(
      { $distinct_id: "c", $properties: { $last_seen: "2024-11-03T01:30:00" } },
      LA,
    )
    // the repeated hour of a fall-back change is read as its first instant
    expect(typeof seen === "string" ? seen : seen.lastSeen?.toISOString()).toBe(
      "2024-11-03T08:30:00.000Z",
    )
  })

  it("refuses what is not a profile, saying why", () => {
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [42, "expected a profile object"],
      [[{ $distinct_id: "a" }], "expected a profile object"],
      [null, "expected a profile object"],
      [{ $properties: {} }, '"$distinct_id" is missing or not a non-empty string'],
      [{ $distinct_id: 5 }, '"$distinct_id" is missing or not a non-empty string'],
      [{ $distinct_id: { a: 1 } }, '"$distinct_id" is missing or not a non-empty string'],
      [{ $distinct_id: "" }, '"$distinct_id" is missing or not a non-empty string'],
      [{ $distinct_id: "a", $properties: [1] }, '"$properties" must be an object'],
      [{ $distinct_id: "a", $properties: "x" }, '"$properties" must be an object'],
    ]
    for (const [value, why] of cases) expect(profileOfEngageResult(value, undefined)).toBe(why)
  })

  it("reads dates with and without a zone, and refuses the rest", () => {
    const iso = (text: unknown, zone?: string) => parseEngageDate(text, zone)?.toISOString() ?? null
    expect(iso("2024-03-01T08:00:00")).toBe("2024-03-01T08:00:00.000Z")
    expect(iso("2024-03-01 08:00")).toBe("2024-03-01T08:00:00.000Z")
    expect(iso("2024-03-01T08:00:00.25")).toBe("2024-03-01T08:00:00.250Z")
    expect(iso("2024-03-01")).toBe("2024-03-01T00:00:00.000Z")
    expect(iso("2024-03-01T08:00:00", LA)).toBe("2024-03-01T16:00:00.000Z")
    expect(iso("2024-03-01T08:00:00Z", LA)).toBe("2024-03-01T08:00:00.000Z")
    expect(iso("2024-03-01T08:00:00+02:00")).toBe("2024-03-01T06:00:00.000Z")
    for (const bad of [
      "nonsense",
      "",
      5,
      null,
      "2024-13-45T99:00:00",
      "2024-02-30",
      "2024-03-01T24:00:00",
      "March 1",
    ])
      expect(iso(bad)).toBeNull()
  })
})
