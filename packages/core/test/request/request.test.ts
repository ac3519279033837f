import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import {
  addDays,
  checkEventsRequest,
  daysBetween,
  daysOfRequest,
  type FieldNames,
  parseDay,
  parseEventsFetch,
  parseImport,
  parseProfilesFetch,
  type RequestInput,
} from "../../src/index.js"

const failure = <A, E extends { readonly _tag: string; readonly message: string }>(
  effect: Effect.Effect<A, E>,
) => {
  const error = Effect.runSync(Effect.flip(effect))
  return { _tag: error._tag, message: error.message, field: (error as { field?: string }).field }
}

const events = (input: RequestInput, names?: FieldNames) =>
  Effect.runSync(parseEventsFetch(input, names))

const range = { table: "ev", from: "2024-03-01", to: "2024-03-06" }

describe("days", () => {
  it("reads real calendar dates only", () => {
    expect(parseDay("2024-02-29")).toBe(Date.UTC(2024, 1, 29))
    for (const bad of ["2023-02-29", "2024-02-30", "2024-13-01", "2024-3-01", "20240301", ""]) {
      expect(parseDay(bad), bad).toBeUndefined()
    }
    expect(addDays("2024-02-28", 2)).toBe("2024-03-01")
    expect(daysBetween("2024-02-28", "2024-03-01")).toEqual([
      "2024-02-28",
      "2024-02-29",
      "2024-03-01",
    ])
  })

  it("gives a request's days: its list once each, else the whole range", () => {
    expect(daysOfRequest({ from: "2024-03-01", to: "2024-03-03" })).toHaveLength(3)
    expect(
      daysOfRequest({
        from: "2024-03-01",
        to: "2024-03-09",
        days: ["2024-03-05", "2024-03-02", "2024-03-05"],
      }),
    ).toEqual(["2024-03-05", "2024-03-02"])
    expect(
      failure(checkEventsRequest({ from: "2024-03-01", to: "2024-03-02", days: ["x"] })),
    ).toMatchObject({
      _tag: "InvalidField",
      field: "days",
    })
  })
})

describe("events fetch", () => {
  it("reads every option from strings, as a command line gives them", () => {
    expect(
      events({
        ...range,
        lookbackDays: "2",
        events: ["Sign Up", "Purchase"],
        where: 'properties["$os"]=="iOS"',
        limit: "500",
        append: true,
        timeZone: "America/Los_Angeles",
        workers: "3",
      }),
    ).toEqual({
      table: "ev",
      request: {
        from: "2024-03-01",
        to: "2024-03-06",
        events: ["Sign Up", "Purchase"],
        where: 'properties["$os"]=="iOS"',
        limit: 500,
      },
      mode: "append",
      lookbackDays: 2,
      timeZone: "America/Los_Angeles",
      workers: 3,
    })
  })

  it("reads numbers and a mode, as a JSON body gives them, with the defaults", () => {
    expect(events({ ...range, lookbackDays: 3, mode: "replace", events: [] })).toEqual({
      table: "ev",
      request: { from: "2024-03-01", to: "2024-03-06" },
      mode: "replace",
      lookbackDays: 3,
    })
    expect(events(range).mode).toBe("create")
  })

  it("names the field and the reason of every invalid request", () => {
    const cases: ReadonlyArray<[RequestInput, string, RegExp]> = [
      [{ ...range, from: "2024-02-30" }, "from", /must be a date YYYY-MM-DD, got "2024-02-30"/],
      [{ ...range, to: 20240306 }, "to", /must be a date/],
      [{ ...range, from: "2024-03-07" }, "from", /2024-03-07 is after to 2024-03-06/],
      [{ table: "ev", to: "2024-03-06" }, "from", /is required/],
      [{ table: "ev", from: "2024-03-06" }, "to", /is required/],
      [{ table: "ev", lookbackDays: 3 }, "from", /is required with lookbackDays/],
      [{ ...range, lookbackDays: 0 }, "lookbackDays", />= 1, got 0/],
      [{ ...range, lookbackDays: "two" }, "lookbackDays", /whole number/],
      [{ ...range, limit: 1.5 }, "limit", /whole number/],
      [{ ...range, limit: 100_001 }, "limit", /at most 100000/],
      [{ ...range, events: "Sign Up" }, "events", /list of non-empty names/],
      [{ ...range, events: ["ok", ""] }, "events", /list of non-empty names/],
      [{ ...range, where: 3 }, "where", /must be a string/],
      [{ ...range, mode: "upsert" }, "mode", /one of create, append, replace/],
      [{ ...range, append: true, replace: true }, "replace", /cannot be used with append/],
      [{ ...range, mode: "create", append: true }, "append", /cannot be used with mode/],
      [{ ...range, timeZone: "Mars/Base" }, "timeZone", /IANA time zone/],
      [{ ...range, workers: "0" }, "workers", />= 1/],
      [{ ...range, cohortId: 3 }, "cohortId", /not an option of an events fetch/],
    ]
    for (const [input, field, reason] of cases) {
      const error = failure(parseEventsFetch(input))
      expect(error, JSON.stringify(input)).toMatchObject({ _tag: "InvalidField", field })
      expect(error.message, JSON.stringify(input)).toMatch(reason)
    }
  })

  it("rejects a bad table name by storage's rule", () => {
    for (const table of ["_hidden", "a-b", "", undefined, 3]) {
      expect(failure(parseEventsFetch({ ...range, table }))._tag).toBe("InvalidTableName")
    }
  })

  it("names fields as the caller does", () => {
    const flags = {
      from: "--from",
      to: "--to",
      lookbackDays: "--lookback",
      append: "--append",
      replace: "--replace",
    }
    expect(failure(parseEventsFetch({ ...range, from: "2024-03-09" }, flags)).message).toBe(
      "--from 2024-03-09 is after --to 2024-03-06",
    )
    expect(failure(parseEventsFetch({ table: "ev", lookbackDays: "2" }, flags)).message).toMatch(
      /^--from is required with --lookback: .*--from\.\.--to/,
    )
    expect(
      failure(parseEventsFetch({ ...range, append: true, replace: true }, flags)).message,
    ).toBe("--replace cannot be used with --append")
  })
})

describe("profiles fetch and imports", () => {
  it("reads a profiles fetch", () => {
    expect(
      Effect.runSync(
        parseProfilesFetch({
          table: "people",
          where: 'properties["plan"]=="pro"',
          cohortId: "0",
          outputProperties: ["$name"],
          distinctIds: ["a", "b"],
          groupId: "companies",
          replace: true,
        }),
      ),
    ).toEqual({
      table: "people",
      request: {
        where: 'properties["plan"]=="pro"',
        cohortId: 0,
        outputProperties: ["$name"],
        distinctIds: ["a", "b"],
        groupId: "companies",
      },
      mode: "replace",
    })
    expect(failure(parseProfilesFetch({ table: "p", lookbackDays: 2 }))).toMatchObject({
      field: "lookbackDays",
      message: "lookbackDays is not an option of a profiles fetch",
    })
    expect(failure(parseProfilesFetch({ table: "p", cohortId: -1 })).field).toBe("cohortId")
    expect(failure(parseProfilesFetch({ table: "p", distinctIds: [1] })).field).toBe("distinctIds")
  })

  it("reads an import", () => {
    expect(
      Effect.runSync(parseImport("events", { table: "ev", mode: "append", timeZone: "UTC" })),
    ).toEqual({ table: "ev", mode: "append", timeZone: "UTC" })
    expect(failure(parseImport("profiles", { table: "p", events: ["x"] })).field).toBe("events")
    expect(failure(parseImport("events", { table: "_p" }))._tag).toBe("InvalidTableName")
  })
})
