import { readdirSync } from "node:fs"
import { join } from "node:path"
import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { daysBetween, fetchEvents, Storage } from "../../src/index.js"
import { dataFor, makeTestSource, rows, scalar, useTempDir, withDb, withDbExit } from "./helpers.js"

const tempDir = useTempDir()
const range = { from: "2024-03-01", to: "2024-03-05" }
const days = daysBetween(range.from, range.to)

const manifest = (table: string) =>
  rows(
    `SELECT day::VARCHAR AS day, row_count FROM _partitions WHERE table_name = '${table}' ORDER BY day`,
  )

describe("fetchEvents", () => {
  it("fresh fetch holds exactly the range, with a manifest row per day", async () => {
    const dir = tempDir()
    const data = dataFor(days, 40)
    const source = makeTestSource({ data, dir, reverse: true })
    const out = await withDb(
      join(dir, "db.duckdb"),
      Effect.gen(function* () {
        const result = yield* fetchEvents({ source, table: "ev", request: range })
        const count = yield* scalar("SELECT count(*) FROM ev")
        const parts = yield* manifest("ev")
        const tables = yield* Effect.flatMap(Storage, (s) => s.listTables)
        return { result, count, parts, tables }
      }),
    )
    expect(out.count).toBe(200)
    expect(out.result).toMatchObject({
      rows: 200,
      daysFetched: 5,
      daysSkipped: 0,
      daysTotal: 5,
      complete: true,
      tableRows: 200,
    })
    expect(out.parts).toEqual(days.map((day) => ({ day, row_count: 40 })))
    expect(out.tables).toMatchObject([{ name: "ev", rowCount: 200, complete: true }])
    expect(readdirSync(dir).filter((f) => f.startsWith("spool"))).toEqual([])
  })

  it("a failing day leaves earlier days committed and the table incomplete; a rerun fetches only the rest", async () => {
    const dir = tempDir()
    const path = join(dir, "db.duckdb")
    const data = dataFor(days, 30)
    const requested: Array<ReadonlyArray<string>> = []
    const failing = makeTestSource({ data, dir, failDays: new Set(["2024-03-04"]), requested })
    const exit = await withDbExit(
      path,
      fetchEvents({ source: failing, table: "ev", request: range }),
    )
    expect(exit._tag).toBe("Failure")
    const mid = await withDb(
      path,
      Effect.gen(function* () {
        return {
          parts: yield* manifest("ev"),
          tables: yield* Effect.flatMap(Storage, (s) => s.listTables),
          count: yield* scalar("SELECT count(*) FROM ev"),
        }
      }),
    )
    expect(mid.parts.map((p) => p.day)).toEqual(["2024-03-01", "2024-03-02", "2024-03-03"])
    expect(mid.count).toBe(90)
    expect(mid.tables).toMatchObject([{ name: "ev", complete: false }])

    const healthy = makeTestSource({ data, dir, requested })
    const result = await withDb(path, fetchEvents({ source: healthy, table: "ev", request: range }))
    expect(requested[1]).toEqual(["2024-03-04", "2024-03-05"])
    expect(result).toMatchObject({ daysFetched: 2, daysSkipped: 3, complete: true, tableRows: 150 })
  })
})

describe("fetchEvents with lines the loader refuses", () => {
  it("every other day commits; the fetch fails naming each refused day and its line", async () => {
    const dir = tempDir()
    const path = join(dir, "db.duckdb")
    const data = dataFor(days, 30)
    const badLines = new Map([
      ["2024-03-02", '{"event":"E","properties":{"time":'],
      ["2024-03-04", '{"event":5,"properties":{"time":1709510400,"distinct_id":"u"}}'],
    ])
    const requested: Array<ReadonlyArray<string>> = []
    const broken = makeTestSource({ data, dir, badLines, requested })
    const exit = await withDbExit(
      path,
      fetchEvents({ source: broken, table: "ev", request: range }),
    )
    expect(exit._tag).toBe("Failure")
    const error =
      exit._tag === "Failure"
        ? exit.cause.reasons.map((r) => ("error" in r ? r.error : r))[0]
        : undefined
    expect(error).toMatchObject({ _tag: "InvalidRecord", where: "day 2024-03-02", line: 31 })
    expect(String((error as Error).message)).toContain("1 other day(s) refused too: 2024-03-04")
    const mid = await withDb(
      path,
      Effect.gen(function* () {
        return {
          parts: yield* manifest("ev"),
          count: yield* scalar("SELECT count(*) FROM ev"),
          tables: yield* Effect.flatMap(Storage, (s) => s.listTables),
        }
      }),
    )
    expect(mid.parts.map((p) => p.day)).toEqual(["2024-03-01", "2024-03-03", "2024-03-05"])
    expect(mid.count).toBe(90)
    expect(mid.tables).toMatchObject([{ name: "ev", complete: false }])
    expect(readdirSync(dir).filter((f) => f.startsWith("spool"))).toEqual([])

    const healthy = makeTestSource({ data, dir, requested })
    const result = await withDb(path, fetchEvents({ source: healthy, table: "ev", request: range }))
    expect(requested[1]).toEqual(["2024-03-02", "2024-03-04"])
    expect(result).toMatchObject({ daysFetched: 2, complete: true, tableRows: 150 })
  })
})

describe("fetchEvents guards", () => {
  it("a source that ends without a requested day fails instead of marking the table complete", async () => {
    const dir = tempDir()
    const path = join(dir, "db.duckdb")
    const data = dataFor(days, 5)
    const inner = makeTestSource({ data, dir })
    const short = {
      ...inner,
      events: (r: Parameters<typeof inner.events>[0]) => Stream.take(inner.events(r), 4),
    }
    const error = await withDb(
      path,
      Effect.flip(fetchEvents({ source: short, table: "ev", request: range })),
    )
    expect(error).toMatchObject({ _tag: "IncompleteExport", chunk: "2024-03-05" })
    const tables = await withDb(
      path,
      Effect.flatMap(Storage, (s) => s.listTables),
    )
    expect(tables).toMatchObject([{ name: "ev", complete: false }])
  })

  it("rejects bad names and dates before touching anything", async () => {
    const dir = tempDir()
    const source = makeTestSource({ data: new Map(), dir })
    const out = await withDb(
      join(dir, "db.duckdb"),
      Effect.all([
        Effect.flip(fetchEvents({ source, table: "_x", request: range })),
        Effect.flip(
          fetchEvents({ source, table: "ev", request: { from: "2024-02-30", to: "2024-03-01" } }),
        ),
        Effect.flip(
          fetchEvents({ source, table: "ev", request: { from: "2024-03-02", to: "2024-03-01" } }),
        ),
        Effect.flip(fetchEvents({ source, table: "ev", request: range, timeZone: "Mars/Base" })),
      ]),
    )
    expect(out.map((e) => e._tag)).toEqual([
      "InvalidTableName",
      "BadRequestError",
      "BadRequestError",
      "BadRequestError",
    ])
  })
})
