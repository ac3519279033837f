import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Readable } from "node:stream"
import { gzipSync } from "node:zlib"
import {
  deriveInsertId,
  importEvents,
  importProfiles,
  type SourceError,
  Storage,
  type StorageError,
  storageLayer,
} from "@mixpanel-data/core"
import { type FileSourceConfig, makeFileSource } from "@mixpanel-data/file-source"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { atLine, exportLine, failureOf, ok, query, run, useTempDir } from "./helpers.js"

const tempDir = useTempDir()

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

const bad2 = atLine("bad.jsonl", 2)

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

    // an append of the bad file onto a complete table leaves it whole, its metadata included
    await ok(db, importEvents({ source: makeFileSource({ paths: [good.file] }), table: "ev" }))
    const state = () =>
      ok(
        db,
        Effect.flatMap(Storage, (s) =>
          Effect.all([s.tableState("ev"), s.queryScalar("SELECT count(*) FROM ev")]),
        ),
      )
    const before = await state()
    const appended = await run(
      db,
      importEvents({ source: makeFileSource({ paths: [bad] }), table: "ev", mode: "append" }),
    )
    expect(appended._tag).toBe("Failure")
    expect(await state()).toEqual(before)
    expect(before[0]).toMatchObject({ complete: true })
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

  it("keeps integers above 2^53 exact in profiles too, pages and lines alike", async () => {
    const dir = tempDir()
    const page = join(dir, "page.json")
    writeFileSync(
      page,
      `{"page": 0, "results": [\n {"$distinct_id": "a", "$properties": {"id": 9007199254740993,\n "n": [ -18446744073709551617 ], "s": "x  y"}},\n {"$distinct_id": "b", "$properties": {"small": 3}}]}`,
    )
    const lines = join(dir, "lines.jsonl")
    writeFileSync(lines, '{"$distinct_id":"c","$properties":{"big":123456789012345678901234}}\n')
    const out = await ok(
      join(dir, "db.duckdb"),
      Effect.gen(function* () {
        yield* importProfiles({ source: makeFileSource({ paths: [page, lines] }), table: "users" })
        return yield* query(
          "SELECT distinct_id, properties::VARCHAR AS p FROM users ORDER BY distinct_id",
        )
      }),
    )
    expect(out).toEqual([
      { distinct_id: "a", p: '{"id":9007199254740993,"n":[-18446744073709551617],"s":"x  y"}' },
      { distinct_id: "b", p: '{"small":3}' },
      { distinct_id: "c", p: '{"big":123456789012345678901234}' },
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

  it("derives the id of every line without a usable one by the one rule, in a legacy zone too", async () => {
    const dir = tempDir()
    const t = 1_709_337_600 // 2024-03-02T00:00:00Z
    const props: Array<Record<string, unknown>> = [
      { time: t * 1000 + 123, distinct_id: "u2", amount: 12.5, ...awkward[0] },
      { time: t, distinct_id: 42, $insert_id: "", ...awkward[1] },
      { time: t + 1, distinct_id: "u", $insert_id: null, ...awkward[2] },
      { time: t + 2, distinct_id: "u", $insert_id: 77 },
      { time: t + 3, distinct_id: "u", $insert_id: "given" },
    ]
    const file = join(dir, "e.jsonl")
    writeFileSync(file, props.map((p, i) => exportLine(`E${i}`, p)).join("\n"))
    const ids = (timeZone?: string) =>
      ok(
        join(dir, `db-${timeZone === undefined ? "utc" : "legacy"}.duckdb`),
        Effect.andThen(
          importEvents({
            source: makeFileSource({ paths: [file], ...(timeZone ? { timeZone } : {}) }),
            table: "ev",
          }),
          query("SELECT insert_id FROM ev ORDER BY event_name"),
        ),
      ).then((rows) => rows.map((r) => r.insert_id))
    // a legacy project's times are local (here UTC-8): the id is of the true instant
    for (const [zone, shift] of [
      [undefined, 0],
      ["America/Los_Angeles", 8 * 3_600_000],
    ] as const) {
      expect(await ids(zone)).toEqual([
        deriveInsertId("E0", "u2", t * 1000 + 123 + shift, props[0]!),
        deriveInsertId("E1", "42", t * 1000 + shift, props[1]!),
        deriveInsertId("E2", "u", (t + 1) * 1000 + shift, props[2]!),
        "77",
        "given",
      ])
    }
  })

  it("names the input's own line of a bad line after blank lines and CRLF, whatever the input", async () => {
    const dir = tempDir()
    const good = eventsFile(dir, "good.jsonl", 3)
    const body = (bad: string) =>
      `${good.lines[0]}\r\n\r\n\n${good.lines[1]}\n${bad}\n${good.lines[2]}\n`
    const inputs: Array<[string, (bad: string) => FileSourceConfig]> = [
      [join(dir, "bad.jsonl"), (bad) => file("bad.jsonl", body(bad))],
      [join(dir, "bad.json.gz"), (bad) => file("bad.json.gz", gzipSync(body(bad)))],
      // spooled to drop the BOM: still named by the user's file and its own lines
      [join(dir, "bom.jsonl"), (bad) => file("bom.jsonl", `\uFEFF${body(bad)}`)],
      ["<stdin>", (bad) => ({ paths: ["-"], stdin: () => Readable.from([body(bad)]) })],
    ]
    const file = (name: string, bytes: string | Buffer): FileSourceConfig => {
      writeFileSync(join(dir, name), bytes)
      return { paths: [join(dir, name)] }
    }
    const cases: Array<[string, string, RegExp]> = [
      ["[1, 2]", "record", /^is not a JSON object/],
      ['"text"', "record", /^is not a JSON object/],
      ["42", "record", /^is not a JSON object/],
      ["null", "properties", /^is missing or not an object/],
      ["terminated early", "record", /^is not valid JSON/],
      ["{not json", "record", /^is not valid JSON/],
      [
        '{"event":"x","properties":{"time":1,"distinct_id":"u","$insert_id":"i"}} trailing',
        "record",
        /^is not valid JSON/,
      ],
      ['{"event":"x","properties":[1]}', "properties", /^is missing or not an object/],
      ['{"event":"x","properties":"s"}', "properties", /^is missing or not an object/],
      ['{"event":"x"}', "properties", /^is missing or not an object/],
      ['{"event":"","properties":{"time":1,"distinct_id":"u"}}', "eventName", /^is missing/],
      ['{"event":"x","properties":{"time":"soon","distinct_id":"u"}}', "time", /^is missing/],
      ['{"event":"x","properties":{"time":1,"$insert_id":"i"}}', "distinctId", /^is missing/],
    ]
    for (const [where, config] of inputs) {
      for (const [bad, field, reason] of cases) {
        const error = await importError(config(bad))
        expect(error, `${where}: ${bad}`).toMatchObject({
          _tag: "InvalidRecord",
          where,
          line: 5,
          field,
          reason: expect.stringMatching(reason),
        })
      }
    }
  })

  it("deletes what it spooled and never a user's file, on success or failure", async () => {
    const dir = tempDir()
    const spoolDir = tempDir()
    const db = join(dir, "db.duckdb")
    const a = eventsFile(dir, "a.jsonl", 10)
    const gz = eventsFile(dir, "b.jsonl.gz", 10)
    const bom = join(dir, "bom.jsonl")
    writeFileSync(bom, `\uFEFF${a.lines.join("\n")}`)
    const bad = join(dir, "bad.jsonl")
    writeFileSync(bad, `${a.lines[0]}\n{"event":"x","properties":{"time":1}}\n`)
    const users = [a.file, gz.file, bom, bad]
    const before = users.map((f) => readFileSync(f))
    const files = () => readdirSync(spoolDir, { recursive: true, withFileTypes: true })
    const spooled = () => files().filter((e) => e.isFile())
    const source = (paths: Array<string>) =>
      makeFileSource({ paths, spoolDir, stdin: () => Readable.from([a.lines.join("\n")]) })
    const loaded = await ok(
      db,
      Effect.gen(function* () {
        const created = yield* importEvents({
          source: source([a.file, gz.file, bom, "-"]),
          table: "ev",
        })
        const appended = yield* importEvents({
          source: source([a.file, gz.file]),
          table: "ev",
          mode: "append",
        })
        return { created, appended }
      }),
    )
    expect(loaded.created).toMatchObject({ rows: 10, duplicates: 30, tableRows: 10 })
    expect(loaded.appended).toMatchObject({ rows: 0, duplicates: 20, tableRows: 10 })
    expect(spooled()).toEqual([])
    await failureOf(db, importEvents({ source: source([a.file, bom, "-", bad]), table: "ev2" }))
    expect(spooled()).toEqual([])
    expect(users.map((f) => readFileSync(f))).toEqual(before)
    // a folder emptied only after its read ended goes at the next read
    expect(files().length).toBeLessThanOrEqual(1)
  })
})

/** The error an import of `config`'s inputs into a fresh database ends in. */
const importError = (config: FileSourceConfig): Promise<StorageError | SourceError> =>
  Effect.runPromise(
    Effect.flip(importEvents({ source: makeFileSource(config), table: "ev" })).pipe(
      Effect.provide(storageLayer({ mode: "memory" })),
    ),
  )
