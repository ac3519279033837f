import { readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Readable } from "node:stream"
import { gzipSync } from "node:zlib"
import { importEvents, importProfiles, Storage, storageLayer } from "@mixpanel-data/core"
import { makeFileSource } from "@mixpanel-data/file-source"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { exportLine, useTempDir } from "./helpers.js"

const tempDir = useTempDir()

const run = <A, E>(path: string, body: Effect.Effect<A, E, Storage>) =>
  Effect.runPromise(Effect.exit(Effect.provide(body, storageLayer({ mode: "file", path }))))

const ok = async <A, E>(path: string, body: Effect.Effect<A, E, Storage>): Promise<A> => {
  const exit = await run(path, body)
  if (exit._tag === "Failure") throw new Error(String(exit.cause))
  return exit.value
}

const query = (sql: string) => Effect.flatMap(Storage, (s) => s.queryObjects(sql))

const awkward = [
  { unicode: "日本語 ✓ é 🎉", "$weird key": "x", "dotted.key": 1 },
  { nested: { deep: { deeper: [1, [2, [3, { x: null }]]] } }, empty: {}, list: [] },
  { float: 0.1, neg: -42, big: 9007199254740991, bool: false, nil: null },
]

const eventsFile = (dir: string, name: string, count: number, offset = 0) => {
  const lines: Array<string> = []
  for (let i = offset; i < offset + count; i++) {
    lines.push(
      exportLine(i % 2 === 0 ? "Sign up" : "Purchase", {
        time: 1_709_251_200 + i * 3_600,
        distinct_id: `u${i % 5}`,
        ...(i % 4 === 0 ? {} : { $insert_id: `id-${i}` }),
        ...awkward[i % awkward.length],
      }),
    )
  }
  const file = join(dir, name)
  writeFileSync(file, name.endsWith(".gz") ? gzipSync(lines.join("\n")) : lines.join("\n"))
  return { file, lines }
}

/** The file and line in either form errors give them (`file:2`, `file at line 2`). */
const atLine = (file: string, line: number) =>
  new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(:| at line )${line}\\b`)
const bad2 = atLine("bad.jsonl", 2)

const failureOf = async <A, E>(db: string, body: Effect.Effect<A, E, Storage>) => {
  const exit = await run(db, body)
  if (exit._tag === "Success") throw new Error("expected a failure")
  return String(exit.cause)
}

describe("import through the file source", () => {
  it("imports events with properties round-tripping and the days in the manifest", async () => {
    const dir = tempDir()
    const db = join(dir, "db.duckdb")
    const a = eventsFile(dir, "a.jsonl", 60)
    const b = eventsFile(dir, "b.jsonl.gz", 40, 60)
    const source = makeFileSource({ paths: [a.file, b.file] })
    const out = await ok(
      db,
      Effect.gen(function* () {
        const result = yield* importEvents({ source, table: "ev" })
        const props = yield* query(
          "SELECT properties FROM ev ORDER BY epoch_ms(event_time), distinct_id",
        )
        const parts = yield* query(
          "SELECT day::VARCHAR AS day, row_count FROM _partitions WHERE table_name = 'ev' ORDER BY day",
        )
        const meta = yield* Effect.flatMap(Storage, (s) => s.getMetadata("ev"))
        const again = yield* Effect.flip(importEvents({ source, table: "ev" }))
        const appended = yield* importEvents({ source, table: "ev", mode: "append" })
        const count = yield* Effect.flatMap(Storage, (s) =>
          s.queryScalar("SELECT count(*) FROM ev"),
        )
        return { result, props, parts, meta, again, appended, count }
      }),
    )
    expect(out.result).toMatchObject({ rows: 100, duplicates: 0, tableRows: 100, complete: true })
    const expected = [...a.lines, ...b.lines].map((l) => JSON.parse(l).properties)
    expect(out.props.map((r) => r.properties)).toEqual(expected)
    expect(out.parts).toEqual([
      { day: "2024-03-01", row_count: 24 },
      { day: "2024-03-02", row_count: 24 },
      { day: "2024-03-03", row_count: 24 },
      { day: "2024-03-04", row_count: 24 },
      { day: "2024-03-05", row_count: 4 },
    ])
    expect(out.meta).toMatchObject({
      fromDate: "2024-03-01",
      toDate: "2024-03-05",
      source: { name: "file", params: { paths: [a.file, b.file] } },
    })
    expect(out.again).toMatchObject({
      _tag: "TableExists",
      hint: expect.stringMatching(/--append/),
    })
    expect(out.appended).toMatchObject({ rows: 0, duplicates: 100, tableRows: 100 })
    expect(out.count).toBe(100)
  })

  it("a bad line leaves the database as it was", async () => {
    const dir = tempDir()
    const db = join(dir, "db.duckdb")
    const good = eventsFile(dir, "good.jsonl", 30)
    const bad = join(dir, "bad.jsonl")
    writeFileSync(bad, `${good.lines[0]}\n{"event":"x","properties":{"time":1}}\n`)
    const exit = await run(
      db,
      importEvents({ source: makeFileSource({ paths: [good.file, bad] }), table: "ev" }),
    )
    expect(exit._tag).toBe("Failure")
    expect(String(exit._tag === "Failure" ? exit.cause : "")).toMatch(bad2)
    const tables = await ok(
      db,
      Effect.flatMap(Storage, (s) => s.listTables),
    )
    expect(tables).toEqual([])
  })

  it("imports profiles: create, append (newest wins), replace", async () => {
    const dir = tempDir()
    const db = join(dir, "db.duckdb")
    const file = (name: string, rows: Array<[string, string]>) => {
      const path = join(dir, name)
      writeFileSync(
        path,
        JSON.stringify({
          results: rows.map(([id, plan]) => ({
            $distinct_id: id,
            $properties: { plan, $last_seen: "2024-03-01T08:00:00" },
          })),
        }),
      )
      return path
    }
    const first = file("p1.json", [
      ["a", "free"],
      ["b", "free"],
    ])
    const second = file("p2.json", [
      ["b", "pro"],
      ["c", "pro"],
    ])
    const out = await ok(
      db,
      Effect.gen(function* () {
        const created = yield* importProfiles({
          source: makeFileSource({ paths: [first] }),
          table: "users",
        })
        const appended = yield* importProfiles({
          source: makeFileSource({ paths: [second] }),
          table: "users",
          mode: "append",
        })
        const afterAppend = yield* query(
          "SELECT distinct_id, properties->>'plan' AS plan, last_seen FROM users ORDER BY 1",
        )
        const replaced = yield* importProfiles({
          source: makeFileSource({ paths: [second] }),
          table: "users",
          mode: "replace",
        })
        const afterReplace = yield* query("SELECT distinct_id FROM users ORDER BY 1")
        const tables = yield* Effect.flatMap(Storage, (s) => s.listTables)
        return { created, appended, afterAppend, replaced, afterReplace, tables }
      }),
    )
    expect(out.created).toMatchObject({ rows: 2, tableRows: 2 })
    expect(out.appended).toMatchObject({ rows: 1, duplicates: 1, tableRows: 3 })
    expect(out.afterAppend).toEqual([
      { distinct_id: "a", plan: "free", last_seen: "2024-03-01T08:00:00.000Z" },
      { distinct_id: "b", plan: "pro", last_seen: "2024-03-01T08:00:00.000Z" },
      { distinct_id: "c", plan: "pro", last_seen: "2024-03-01T08:00:00.000Z" },
    ])
    expect(out.replaced).toMatchObject({ rows: 2, tableRows: 2 })
    expect(out.afterReplace).toEqual([{ distinct_id: "b" }, { distinct_id: "c" }])
    expect(out.tables.map((t) => t.name)).toEqual(["users"])
  })

  it("keeps integers above 2^53 exact, and reads seconds and milliseconds alike", async () => {
    const dir = tempDir()
    const file = join(dir, "big.jsonl")
    writeFileSync(
      file,
      [
        '{"event":"A","properties":{"time":1709251200,"distinct_id":"u","$insert_id":"a","n":12345678901234567890,"id":9007199254740993}}',
        '{"event":"B","properties":{"time":1709251200123,"distinct_id":"u","$insert_id":"b"}}',
      ].join("\n"),
    )
    const out = await ok(
      join(dir, "db.duckdb"),
      Effect.gen(function* () {
        yield* importEvents({ source: makeFileSource({ paths: [file] }), table: "ev" })
        return yield* query(
          `SELECT event_name, epoch_ms(event_time) AS ms, properties->>'n' AS n,
             properties->>'id' AS id FROM ev ORDER BY event_name`,
        )
      }),
    )
    expect(out.map((r) => ({ ...r, ms: Number(r.ms) }))).toEqual([
      { event_name: "A", ms: 1_709_251_200_000, n: "12345678901234567890", id: "9007199254740993" },
      { event_name: "B", ms: 1_709_251_200_123, n: null, id: null },
    ])
  })

  it("imports only the event names asked for, from stdin too", async () => {
    const dir = tempDir()
    const a = eventsFile(dir, "a.jsonl", 20)
    const body = Buffer.from(a.lines.join("\n"))
    const out = await ok(
      join(dir, "db.duckdb"),
      Effect.gen(function* () {
        const result = yield* importEvents({
          source: makeFileSource({ paths: ["-"], stdin: () => Readable.from([body]) }),
          table: "ev",
          events: ["Purchase"],
        })
        const names = yield* query("SELECT DISTINCT event_name FROM ev")
        return { result, names }
      }),
    )
    expect(out.result).toMatchObject({ rows: 10, tableRows: 10 })
    expect(out.names).toEqual([{ event_name: "Purchase" }])
  })

  it("converts a legacy project's local wall-clock times to UTC across DST", async () => {
    const dir = tempDir()
    const file = join(dir, "legacy.jsonl")
    const local = [
      "2024-03-10T01:30:00Z",
      "2024-03-10T03:30:00Z",
      "2024-11-03T01:30:00Z",
      "2024-07-01T12:00:00Z",
    ]
    writeFileSync(
      file,
      local
        .map((t, i) =>
          exportLine("E", { time: Date.parse(t) / 1000, distinct_id: "u", $insert_id: `${i}` }),
        )
        .join("\n"),
    )
    const out = await ok(
      join(dir, "db.duckdb"),
      Effect.gen(function* () {
        yield* importEvents({
          source: makeFileSource({ paths: [file], timeZone: "America/Los_Angeles" }),
          table: "ev",
        })
        return yield* query("SELECT epoch_ms(event_time) AS ms FROM ev ORDER BY insert_id")
      }),
    )
    expect(out.map((r) => new Date(Number(r.ms)).toISOString())).toEqual([
      "2024-03-10T09:30:00.000Z",
      "2024-03-10T10:30:00.000Z",
      "2024-11-03T08:30:00.000Z",
      "2024-07-01T19:00:00.000Z",
    ])
  })

  it("names the file and line of a line storage cannot parse", async () => {
    const dir = tempDir()
    const good = eventsFile(dir, "good.jsonl", 3)
    const file = join(dir, "bad.jsonl")
    // the line has an insert id, so it reaches storage unparsed
    const bad = '{"event":"x","properties":{"time":1,"distinct_id":"u","$insert_id":"i"} trailing'
    writeFileSync(file, `${good.lines[0]}\n${good.lines[1]}\n${bad}\n${good.lines[2]}\n`)
    const cause = await failureOf(
      join(dir, "db.duckdb"),
      importEvents({ source: makeFileSource({ paths: [file] }), table: "ev" }),
    )
    expect(cause).toMatch(/json/i)
    expect(cause).toMatch(atLine("bad.jsonl", 3))
  })

  it("names the input's own line of a bad event after blank lines and CRLF", async () => {
    const dir = tempDir()
    const good = eventsFile(dir, "good.jsonl", 3)
    const cases: Array<[string, RegExp]> = [
      ['{"event":"x","properties":{"time":1,"$insert_id":"i"}}', /distinct/i],
      ['{"event":"x","properties":{"time":1,"distinct_id":"u","$insert_id":"i"} trailing', /json/i],
    ]
    for (const [bad, reason] of cases) {
      const file = join(dir, "bad.jsonl")
      writeFileSync(file, `${good.lines[0]}\r\n\r\n\n${good.lines[1]}\n${bad}\n${good.lines[2]}\n`)
      const cause = await failureOf(
        join(dir, `db-${Math.random()}.duckdb`),
        importEvents({ source: makeFileSource({ paths: [file] }), table: "ev" }),
      )
      expect(cause).toMatch(reason)
      expect(cause).toMatch(atLine("bad.jsonl", 5))
    }
  })

  it("leaves no spool files behind, on success or failure", async () => {
    const dir = tempDir()
    const spoolDir = tempDir()
    const a = eventsFile(dir, "a.jsonl", 10)
    const bad = join(dir, "bad.jsonl")
    writeFileSync(bad, `${a.lines[0]}\n{"event":"x","properties":{"time":1}}\n`)
    const files = () => readdirSync(spoolDir, { recursive: true, withFileTypes: true })
    const spooled = () => files().filter((e) => e.isFile())
    await ok(
      join(dir, "ok.duckdb"),
      importEvents({ source: makeFileSource({ paths: [a.file, a.file], spoolDir }), table: "ev" }),
    )
    expect(spooled()).toEqual([])
    await failureOf(
      join(dir, "bad.duckdb"),
      importEvents({ source: makeFileSource({ paths: [a.file, bad], spoolDir }), table: "ev" }),
    )
    expect(spooled()).toEqual([])
    // a folder emptied only after its read ended goes at the next read
    expect(files().length).toBeLessThanOrEqual(1)
  })
})
