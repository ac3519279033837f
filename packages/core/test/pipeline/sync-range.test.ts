import { describe, expect, it } from "vitest"
import type { TableState } from "../../src/index.js"
import { syncRange } from "../../src/pipeline/sync.js"

const state = (over: Partial<TableState>): TableState => ({
  type: "events",
  fromDate: "2024-03-01",
  toDate: "2024-03-05",
  filters: {},
  source: { name: "mixpanel", params: {} },
  complete: true,
  days: new Map(),
  ...over,
})

describe("syncRange", () => {
  it("fetches the new days and the lookback before them", () => {
    expect(syncRange(state({}), "2024-03-08", 2)).toEqual({
      from: "2024-03-06",
      to: "2024-03-08",
      lookback: 2,
    })
    expect(syncRange(state({}), "2024-03-08", 5)).toEqual({
      from: "2024-03-04",
      to: "2024-03-08",
      lookback: 5,
    })
  })

  it("up to date: only the lookback", () => {
    expect(syncRange(state({}), "2024-03-05", 2)).toEqual({
      from: "2024-03-04",
      to: "2024-03-05",
      lookback: 2,
    })
    expect(syncRange(state({}), "2024-03-05", 0)).toBe("up to date")
  })

  it("a table past --to refreshes its own last days", () => {
    expect(syncRange(state({}), "2024-03-03", 1)).toEqual({
      from: "2024-03-05",
      to: "2024-03-05",
      lookback: 1,
    })
  })

  it("never reaches before the table's first day", () => {
    expect(syncRange(state({ toDate: "2024-03-01" }), "2024-03-01", 3)).toEqual({
      from: "2024-03-01",
      to: "2024-03-01",
      lookback: 1,
    })
  })

  it("an interrupted table with nothing new still resumes its missing days", () => {
    expect(syncRange(state({ complete: false }), "2024-03-05", 0)).toEqual({
      from: "2024-03-05",
      to: "2024-03-05",
      lookback: 0,
    })
  })

  it("a table without days has nothing to sync from", () => {
    expect(syncRange(state({ fromDate: null, toDate: null }), "2024-03-05", 2)).toBe(
      "it holds no days",
    )
  })
})
