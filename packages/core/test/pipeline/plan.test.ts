import { describe, expect, it } from "vitest"
import type { TableState } from "../../src/index.js"
import { type FetchIdentity, planFetch } from "../../src/pipeline/plan.js"

const identity: FetchIdentity = { filters: {}, source: { name: "test", params: { project: 1 } } }
const state = (over: Partial<TableState>): TableState => ({
  type: "events",
  fromDate: "2024-03-01",
  toDate: "2024-03-05",
  filters: {},
  source: identity.source,
  complete: true,
  days: new Map(
    ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "2024-03-05"].map((d) => [d, 1]),
  ),
  ...over,
})
const plan = (
  s: TableState | undefined,
  mode: "create" | "append" | "replace",
  from: string,
  to: string,
  lookback = 0,
) => planFetch({ state: s, mode, request: { from, to }, identity, lookback })

describe("planFetch", () => {
  it("fresh, replace and the same complete fetch", () => {
    expect(plan(undefined, "create", "2024-03-01", "2024-03-02")).toEqual({
      _tag: "Fresh",
      days: ["2024-03-01", "2024-03-02"],
    })
    expect(plan(state({}), "replace", "2024-03-01", "2024-03-01")).toEqual({
      _tag: "Replace",
      days: ["2024-03-01"],
    })
    expect(plan(state({}), "create", "2024-03-01", "2024-03-05")._tag).toBe("Conflict")
  })

  it("resume fetches missing days; lookback adds the last days as replacements", () => {
    const partial = state({
      complete: false,
      days: new Map([
        ["2024-03-01", 1],
        ["2024-03-03", 1],
      ]),
    })
    const p = plan(partial, "create", "2024-03-01", "2024-03-05", 1)
    expect(p._tag === "Update" && [...p.days]).toEqual([
      ["2024-03-02", "replace"],
      ["2024-03-04", "replace"],
      ["2024-03-05", "replace"],
    ])
    expect(p._tag === "Update" && p.skipped).toBe(2)
  })

  it("append merges its range and completes an interrupted earlier fetch", () => {
    const partial = state({ complete: false, days: new Map([["2024-03-01", 1]]) })
    const p = plan(partial, "append", "2024-03-05", "2024-03-06", 1)
    expect(p._tag === "Update" && Object.fromEntries(p.days)).toEqual({
      "2024-03-02": "replace",
      "2024-03-03": "replace",
      "2024-03-04": "replace",
      "2024-03-05": "merge",
      "2024-03-06": "replace",
    })
  })

  it("other filters or source conflict, even with append", () => {
    const other = state({ filters: { events: ["A"] } })
    expect(plan(other, "append", "2024-03-01", "2024-03-02")._tag).toBe("Conflict")
  })
})

describe("planFetch refetch (a repair of given days)", () => {
  const refetch = (s: TableState | undefined, days: ReadonlyArray<string>, id = identity) =>
    planFetch({
      state: s,
      mode: "create",
      request: { from: "2024-03-01", to: "2024-03-05" },
      identity: id,
      lookback: 0,
      refetch: days,
    })

  it("replaces exactly the days given, keeping the range", () => {
    expect(refetch(state({}), ["2024-03-04", "2024-03-02"])).toEqual({
      _tag: "Update",
      days: new Map([
        ["2024-03-04", "replace"],
        ["2024-03-02", "replace"],
      ]),
      skipped: 0,
      widen: { fromDate: "2024-03-01", toDate: "2024-03-05" },
    })
  })

  it("brings an incomplete table's missing days too", () => {
    const s = state({
      complete: false,
      days: new Map([
        ["2024-03-01", 1],
        ["2024-03-02", 1],
      ]),
    })
    const p = refetch(s, ["2024-03-01"])
    expect(p._tag).toBe("Update")
    if (p._tag === "Update") {
      expect([...p.days.keys()].sort()).toEqual([
        "2024-03-01",
        "2024-03-03",
        "2024-03-04",
        "2024-03-05",
      ])
    }
  })

  it("refuses a missing table and other filters", () => {
    expect(refetch(undefined, ["2024-03-01"])._tag).toBe("Conflict")
    expect(
      refetch(state({}), ["2024-03-01"], { ...identity, filters: { events: ["A"] } })._tag,
    ).toBe("Conflict")
  })
})
