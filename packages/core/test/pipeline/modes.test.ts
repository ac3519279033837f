import { join } from "node:path"
import { Effect, Fiber, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { daysBetween, fetchEvents, Progress, type ProgressEvent, Storage } from "../../src/index.js"
import {
  dataFor,
  dayEvents,
  makeTestSource,
  rows,
  scalar,
  useTempDir,
  withDb,
  withDbExit,
} from "./helpers.js"

const tempDir = useTempDir()
const march = (a: number, b: number) =>
  daysBetween(`2024-03-${String(a).padStart(2, "0")}`, `2024-03-${String(b).padStart(2, "0")}`)

const manifest = (table: string) =>
  rows(
    `SELECT day::VARCHAR AS day, row_count FROM _partitions WHERE table_name = '${table}' ORDER BY day`,
  )

const metadata = (table: string) => Effect.flatMap(Storage, (s) => s.getMetadata(table))
const listing = Effect.flatMap(Storage, (s) => s.listTables)

describe("fetchEvents modes", () => {
  it("append adds a range; overlapping days never duplicate; the range widens", async () => {
    const dir = tempDir()
    const data = dataFor(march(1, 6), 25)
    const source = makeTestSource({ data, dir, shape: "records" })
    const out = await withDb(
      join(dir, "db.duckdb"),
      Effect.gen(function* () {
        yield* fetchEvents({
          source,
          table: "ev",
          request: { from: "2024-03-01", to: "2024-03-04" },
        })
        const appended = yield* fetchEvents({
          source,
          table: "ev",
          request: { from: "2024-03-03", to: "2024-03-06" },
          mode: "append",
        })
        const distinct = yield* scalar(
          "SELECT count(*) FROM (SELECT DISTINCT event_name, distinct_id, event_time, insert_id FROM ev)",
        )
        return {
          appended,
          count: yield* scalar("SELECT count(*) FROM ev"),
          distinct,
          meta: yield* metadata("ev"),
          parts: yield* manifest("ev"),
        }
      }),
    )
    expect(out.appended).toMatchObject({ rows: 50, duplicates: 50, daysFetched: 4, complete: true })
    expect(out.count).toBe(150)
    expect(out.distinct).toBe(150)
    expect(out.meta).toMatchObject({ fromDate: "2024-03-01", toDate: "2024-03-06" })
    expect(out.parts).toHaveLength(6)
  })

  it("conflicting fetches are TableExists with a hint", async () => {
    const dir = tempDir()
    const source = makeTestSource({ data: dataFor(march(1, 3), 5), dir })
    const request = { from: "2024-03-01", to: "2024-03-03" }
    const out = await withDb(
      join(dir, "db.duckdb"),
      Effect.gen(function* () {
        yield* fetchEvents({ source, table: "ev", request })
        const same = yield* Effect.flip(fetchEvents({ source, table: "ev", request }))
        const otherRange = yield* Effect.flip(
          fetchEvents({ source, table: "ev", request: { ...request, to: "2024-03-02" } }),
        )
        const otherFilter = yield* Effect.flip(
          fetchEvents({ source, table: "ev", request: { ...request, events: ["Sign up"] } }),
        )
        const otherSource = yield* Effect.flip(
          fetchEvents({
            source: makeTestSource({ data: new Map(), dir, params: { project: 2 } }),
            table: "ev",
            request,
          }),
        )
        return { same, otherRange, otherFilter, otherSource }
      }),
    )
    expect(out.same).toMatchObject({
      _tag: "TableExists",
      hint: expect.stringMatching(/complete.*--append.*--lookback.*--replace/),
    })
    expect(out.otherRange).toMatchObject({
      _tag: "TableExists",
      hint: expect.stringMatching(/--append.*--replace/),
    })
    expect(out.otherFilter).toMatchObject({
      _tag: "TableExists",
      hint: expect.stringMatching(/--replace/),
    })
    expect(out.otherSource).toMatchObject({ _tag: "TableExists" })
  })

  it("replace swaps atomically: a failed replace leaves the old table intact", async () => {
    const dir = tempDir()
    const path = join(dir, "db.duckdb")
    const request = { from: "2024-03-01", to: "2024-03-04" }
    const old = makeTestSource({ data: dataFor(march(1, 4), 10, "old"), dir })
    await withDb(path, fetchEvents({ source: old, table: "ev", request }))
    const failing = makeTestSource({
      data: dataFor(march(1, 4), 20, "new"),
      dir,
      failDays: new Set(["2024-03-03"]),
    })
    const exit = await withDbExit(
      path,
      fetchEvents({ source: failing, table: "ev", request, mode: "replace" }),
    )
    expect(exit._tag).toBe("Failure")
    const after = await withDb(
      path,
      Effect.gen(function* () {
        return {
          count: yield* scalar("SELECT count(*) FROM ev WHERE insert_id LIKE 'old-%'"),
          all: yield* scalar("SELECT count(*) FROM ev"),
          tables: yield* listing,
        }
      }),
    )
    expect(after).toMatchObject({ count: 40, all: 40 })
    expect(after.tables.map((t) => [t.name, t.complete])).toEqual([["ev", true]])

    const fresh = makeTestSource({ data: dataFor(march(2, 5), 20, "new"), dir })
    const replaced = await withDb(
      path,
      Effect.gen(function* () {
        const result = yield* fetchEvents({
          source: fresh,
          table: "ev",
          request: { from: "2024-03-02", to: "2024-03-05" },
          mode: "replace",
        })
        return {
          result,
          old: yield* scalar("SELECT count(*) FROM ev WHERE insert_id LIKE 'old-%'"),
          parts: yield* manifest("ev"),
          meta: yield* metadata("ev"),
          tables: yield* listing,
        }
      }),
    )
    expect(replaced.result).toMatchObject({ rows: 80, tableRows: 80, complete: true })
    expect(replaced.old).toBe(0)
    expect(replaced.parts.map((p) => p.day)).toEqual(march(2, 5))
    expect(replaced.meta).toMatchObject({ fromDate: "2024-03-02", toDate: "2024-03-05" })
    expect(replaced.tables.map((t) => [t.name, t.complete])).toEqual([["ev", true]])
  })

  it("a replace builds out of sight and clears what a killed replace left", async () => {
    const dir = tempDir()
    const path = join(dir, "db.duckdb")
    const request = { from: "2024-03-01", to: "2024-03-02" }
    const data = dataFor(march(1, 2), 5)
    const source = makeTestSource({ data, dir })
    const failing = makeTestSource({ data, dir, failDays: new Set(["2024-03-02"]) })
    const out = await withDb(
      path,
      Effect.gen(function* () {
        const storage = yield* Storage
        yield* fetchEvents({ source, table: "ev", request })
        // what a replace killed mid-way leaves: its hidden, incomplete table
        yield* Effect.flip(fetchEvents({ source: failing, table: "_replacing_ev", request }))
        const leftover = {
          listed: (yield* listing).map((t) => t.name),
          exists: yield* storage.tableExists("_replacing_ev"),
        }
        yield* fetchEvents({ source, table: "ev", request, mode: "replace" })
        return {
          leftover,
          after: (yield* listing).map((t) => t.name),
          gone: !(yield* storage.tableExists("_replacing_ev")),
        }
      }),
    )
    expect(out.leftover).toEqual({ listed: ["ev"], exists: true })
    expect(out.after).toEqual(["ev"])
    expect(out.gone).toBe(true)
  })

  it("lookback refetches the last days and replaces them (late events, changed copies)", async () => {
    const dir = tempDir()
    const path = join(dir, "db.duckdb")
    const request = { from: "2024-03-01", to: "2024-03-05" }
    const before = dataFor(march(1, 5), 10)
    await withDb(
      path,
      fetchEvents({ source: makeTestSource({ data: before, dir }), table: "ev", request }),
    )
    // Later: days 4 and 5 gained late events; day 5 lost one (deleted upstream); day 1 changed
    // too, but is outside the lookback and must stay as it was.
    const later = new Map(before)
    later.set("2024-03-04", [...dayEvents("2024-03-04", 10), ...dayEvents("2024-03-04", 3, "late")])
    later.set("2024-03-05", [...dayEvents("2024-03-05", 9), ...dayEvents("2024-03-05", 5, "late")])
    later.set("2024-03-01", dayEvents("2024-03-01", 30, "changed"))
    const requested: Array<ReadonlyArray<string>> = []
    const out = await withDb(
      path,
      Effect.gen(function* () {
        const result = yield* fetchEvents({
          source: makeTestSource({ data: later, dir, requested }),
          table: "ev",
          request,
          lookbackDays: 2,
        })
        return {
          result,
          parts: yield* manifest("ev"),
          count: yield* scalar("SELECT count(*) FROM ev"),
        }
      }),
    )
    expect(requested).toEqual([["2024-03-04", "2024-03-05"]])
    expect(out.result).toMatchObject({
      daysFetched: 2,
      daysSkipped: 3,
      complete: true,
      tableRows: 57,
    })
    expect(out.parts).toEqual([
      { day: "2024-03-01", row_count: 10 },
      { day: "2024-03-02", row_count: 10 },
      { day: "2024-03-03", row_count: 10 },
      { day: "2024-03-04", row_count: 13 },
      { day: "2024-03-05", row_count: 14 },
    ])
    expect(out.count).toBe(57)
  })

  it("an interrupt mid-fetch keeps committed days; the same fetch again completes it", async () => {
    const dir = tempDir()
    const path = join(dir, "db.duckdb")
    const request = { from: "2024-03-01", to: "2024-03-06" }
    const data = dataFor(march(1, 6), 15)
    const inner = makeTestSource({ data, dir })
    // Days 1-3 arrive; then the source stalls, as a slow network would, until interrupted.
    const stalling = {
      ...inner,
      events: (req: Parameters<typeof inner.events>[0]) =>
        Stream.concat(Stream.take(inner.events(req), 3), Stream.fromEffect(Effect.never)),
    }
    const seen: Array<ProgressEvent> = []
    const reporter = { report: (e: ProgressEvent) => Effect.sync(() => void seen.push(e)) }
    await withDb(
      path,
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(
          fetchEvents({ source: stalling, table: "ev", request }).pipe(
            Effect.provideService(Progress, reporter),
          ),
        )
        while (seen.filter((e) => e._tag === "UnitDone").length < 3) yield* Effect.sleep(10)
        yield* Fiber.interrupt(fiber)
      }),
    )
    expect(seen[0]).toEqual({ _tag: "Planned", unit: "days", total: 6 })
    expect(seen.filter((e) => e._tag === "UnitDone")).toEqual([
      { _tag: "UnitDone", unit: "2024-03-01", rows: 15 },
      { _tag: "UnitDone", unit: "2024-03-02", rows: 15 },
      { _tag: "UnitDone", unit: "2024-03-03", rows: 15 },
    ])
    const mid = await withDb(path, Effect.all({ parts: manifest("ev"), tables: listing }))
    expect(mid.parts.map((p) => p.day)).toEqual(march(1, 3))
    expect(mid.tables.map((t) => [t.name, t.complete])).toEqual([["ev", false]])

    const requested: Array<ReadonlyArray<string>> = []
    const result = await withDb(
      path,
      fetchEvents({ source: makeTestSource({ data, dir, requested }), table: "ev", request }),
    )
    expect(requested).toEqual([march(4, 6)])
    expect(result).toMatchObject({ daysFetched: 3, daysSkipped: 3, tableRows: 90, complete: true })
  })

  it("partitions follow the project's calendar in a legacy time zone", async () => {
    const dir = tempDir()
    const zone = "America/Los_Angeles"
    // Events stored in true UTC, spread over the LA day 2024-03-10 (23 hours long: DST starts).
    const start = Date.parse("2024-03-10T08:00:00Z")
    const end = Date.parse("2024-03-11T07:00:00Z")
    const events = Array.from({ length: 23 }, (_, i) => ({
      event: "E",
      properties: {
        time: (start + ((end - start) * i) / 23) / 1000,
        distinct_id: "u",
        $insert_id: `i${i}`,
      },
    }))
    const source = makeTestSource({
      data: new Map([["2024-03-10", events]]),
      dir,
      shape: "records",
    })
    const out = await withDb(
      join(dir, "db.duckdb"),
      Effect.gen(function* () {
        const request = { from: "2024-03-10", to: "2024-03-10" }
        yield* fetchEvents({ source, table: "ev", request, timeZone: zone })
        // A lookback of that day empties exactly its bounds before reloading it.
        yield* fetchEvents({ source, table: "ev", request, timeZone: zone, lookbackDays: 1 })
        return { parts: yield* manifest("ev"), count: yield* scalar("SELECT count(*) FROM ev") }
      }),
    )
    expect(out.parts).toEqual([{ day: "2024-03-10", row_count: 23 }])
    expect(out.count).toBe(23)
  })
})
