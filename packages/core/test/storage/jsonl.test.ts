import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import type { JsonlLayout } from "../../src/index.js"
import { events, eventsMeta, fromArray, useTempDir, withStore } from "./helpers.js"

const tempDir = useTempDir()

const mixpanel: JsonlLayout = {
  eventName: "$.event",
  time: "$.properties.time",
  timeUnit: "s",
  distinctId: "$.properties.distinct_id",
  insertId: ['$.properties."$insert_id"', '$."$derived_insert_id"'],
  properties: "$.properties",
}

const line = (
  event: string,
  time: number,
  distinctId: string,
  insertId: string | undefined,
  extra: Record<string, unknown> = {},
) =>
  JSON.stringify({
    event,
    properties: {
      time,
      distinct_id: distinctId,
      ...(insertId === undefined ? {} : { $insert_id: insertId }),
      ...extra,
    },
  })

const writeLines = (dir: string, name: string, lines: ReadonlyArray<string>, gzip = false) => {
  const path = join(dir, name)
  const text = `${lines.join("\n")}\n`
  writeFileSync(path, gzip ? gzipSync(text) : text)
  return path
}

const emptyEvents = (s: Parameters<Parameters<typeof withStore>[1]>[0], name = "ev") =>
  s.createEventsTable(name, fromArray([]), eventsMeta({ fromDate: null, toDate: null }))

describe("loadEventsJsonl", () => {
  it("loads plain and gzipped files, seconds and milliseconds, properties verbatim", async () => {
    const dir = tempDir()
    const t = Date.UTC(2024, 0, 15, 8, 30, 0) / 1000
    const props = {
      $os: "Mac OS X",
      nested: { a: [1, "ü", { b: null }] },
      big: 12345678901234567000,
      empty: {},
    }
    const plain = writeLines(dir, "a.jsonl", [
      line("Sign Up", t, "u1", "i1", props),
      line("Page View", t + 1.5, "u2", "i2"),
    ])
    const gz = writeLines(dir, "b.jsonl.gz", [line("Purchase", t + 2, "u3", "i3")], true)
    const ms = writeLines(dir, "c.jsonl", [line("Login", t * 1000 + 250, "u4", "i4")])
    const out = await withStore({ mode: "memory" }, (s) =>
      Effect.gen(function* () {
        yield* emptyEvents(s)
        const first = yield* s.loadEventsJsonl("ev", [plain, gz], mixpanel)
        const second = yield* s.loadEventsJsonl("ev", [ms], { ...mixpanel, timeUnit: "ms" })
        return {
          first,
          second,
          rows: yield* s.queryObjects(
            "SELECT event_name, event_time, distinct_id, insert_id FROM ev ORDER BY event_time",
          ),
          props: yield* s.queryScalar("SELECT properties::VARCHAR FROM ev WHERE insert_id = 'i1'"),
          meta: yield* s.getMetadata("ev"),
          info: (yield* s.listTables)[0],
        }
      }),
    )
    expect(out.first).toMatchObject({ inserted: 3, duplicates: 0 })
    expect(out.second).toMatchObject({ inserted: 1, duplicates: 0 })
    expect(out.rows).toEqual([
      {
        event_name: "Sign Up",
        event_time: "2024-01-15T08:30:00.000Z",
        distinct_id: "u1",
        insert_id: "i1",
      },
      {
        event_name: "Login",
        event_time: "2024-01-15T08:30:00.250Z",
        distinct_id: "u4",
        insert_id: "i4",
      },
      {
        event_name: "Page View",
        event_time: "2024-01-15T08:30:01.500Z",
        distinct_id: "u2",
        insert_id: "i2",
      },
      {
        event_name: "Purchase",
        event_time: "2024-01-15T08:30:02.000Z",
        distinct_id: "u3",
        insert_id: "i3",
      },
    ])
    expect(JSON.parse(String(out.props))).toEqual({
      time: t,
      distinct_id: "u1",
      $insert_id: "i1",
      ...props,
    })
    expect(String(out.props)).toContain('"$insert_id"')
    expect(out.meta.fromDate).toBe("2024-01-15")
    expect(out.meta.toDate).toBe("2024-01-15")
    expect(out.info?.rowCount).toBe(4)
  })

  it("converts legacy local times across the Los Angeles DST changes of 2024", async () => {
    const dir = tempDir()
    // wall-clock seconds as a legacy project sends them, and the true UTC instant expected
    const cases: Array<[string, string]> = [
      ["2024-03-10T01:59:59", "2024-03-10T09:59:59.000Z"], // PST
      ["2024-03-10T02:30:00", "2024-03-10T10:30:00.000Z"], // skipped hour: shifted forward
      ["2024-03-10T03:00:00", "2024-03-10T10:00:00.000Z"], // PDT
      ["2024-11-03T00:30:00", "2024-11-03T07:30:00.000Z"], // PDT
      ["2024-11-03T01:00:00", "2024-11-03T08:00:00.000Z"], // repeated hour: the earlier instant
      ["2024-11-03T01:30:00", "2024-11-03T08:30:00.000Z"], // repeated hour: the earlier instant
      ["2024-11-03T02:00:00", "2024-11-03T10:00:00.000Z"], // PST
      ["2024-07-01T12:00:00", "2024-07-01T19:00:00.000Z"], // summer
    ]
    const wall = (local: string) => Date.parse(`${local}Z`) / 1000
    const path = writeLines(
      dir,
      "legacy.jsonl",
      cases.map(([local], i) => line("E", wall(local), "u", `i${i}`)),
    )
    const rows = await withStore({ mode: "memory" }, (s) =>
      Effect.gen(function* () {
        yield* emptyEvents(s)
        yield* s.loadEventsJsonl("ev", [path], { ...mixpanel, timeZone: "America/Los_Angeles" })
        return yield* s.query("SELECT event_time FROM ev ORDER BY insert_id")
      }),
    )
    expect(rows.rows.map((r) => r[0])).toEqual(cases.map(([, utc]) => utc))
  })

  it("deduplicates within the files (highest version, else last line) and against the table", async () => {
    const dir = tempDir()
    const t = Date.UTC(2024, 0, 2) / 1000
    const a = writeLines(dir, "a.jsonl", [
      line("E", t, "u", "x", { mp_processing_time_ms: 5, v: "old" }),
      line("E", t, "u", "x", { mp_processing_time_ms: 9, v: "newest" }),
      line("E", t, "u", "x", { mp_processing_time_ms: 7, v: "middle" }),
      line("E", t, "u", "y", { v: "first" }),
      line("E", t, "u", "y", { v: "last" }),
      line("E", t + 1, "u", "x", { v: "other time" }),
      line("F", t, "u", "x", { v: "other event" }),
      line("E", t, "w", "x", { v: "other user" }),
      JSON.stringify({
        event: "E",
        $derived_insert_id: "derived",
        properties: { time: t, distinct_id: "u" },
      }),
    ])
    const out = await withStore({ mode: "memory" }, (s) =>
      Effect.gen(function* () {
        yield* emptyEvents(s)
        const first = yield* s.loadEventsJsonl("ev", [a], mixpanel)
        const again = yield* s.loadEventsJsonl("ev", [a], mixpanel)
        return {
          first,
          again,
          x: yield* s.queryScalar(
            "SELECT properties->>'$.v' FROM ev WHERE insert_id = 'x' AND event_name = 'E' AND distinct_id = 'u' AND event_time = make_timestamp(?::BIGINT * 1000000)",
            [t],
          ),
          y: yield* s.queryScalar("SELECT properties->>'$.v' FROM ev WHERE insert_id = 'y'"),
          derived: yield* s.queryScalar("SELECT count(*) FROM ev WHERE insert_id = 'derived'"),
          count: yield* s.queryScalar("SELECT count(*) FROM ev"),
        }
      }),
    )
    expect(out.first).toMatchObject({ inserted: 6, duplicates: 3 })
    expect(out.again).toMatchObject({ inserted: 0, duplicates: 9 })
    expect(out.x).toBe("newest")
    expect(out.y).toBe("last")
    expect(out.derived).toBe(1)
    expect(out.count).toBe(6)
  })

  it("skips events already stored from the record path", async () => {
    const dir = tempDir()
    const stored = events(5)
    const lines = stored.map((e) =>
      JSON.stringify({
        event: e.eventName,
        properties: {
          time: e.time.getTime() / 1000,
          distinct_id: e.distinctId,
          $insert_id: e.insertId,
        },
      }),
    )
    const path = writeLines(dir, "again.jsonl", lines)
    const result = await withStore({ mode: "memory" }, (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("ev", fromArray(stored), eventsMeta())
        return yield* s.loadEventsJsonl("ev", [path], mixpanel)
      }),
    )
    expect(result).toMatchObject({ inserted: 0, duplicates: 5 })
  })

  it("malformed JSON or missing columns fail with typed errors and load nothing", async () => {
    const dir = tempDir()
    const t = Date.UTC(2024, 0, 2) / 1000
    const broken = writeLines(dir, "broken.jsonl", [line("E", t, "u", "a"), '{"event": "E", "prop'])
    const missing = writeLines(dir, "missing.jsonl", [
      line("E", t, "u", "a"),
      JSON.stringify({ event: "E", properties: { distinct_id: "u", $insert_id: "b" } }),
    ])
    const out = await withStore({ mode: "memory" }, (s) =>
      Effect.gen(function* () {
        yield* emptyEvents(s)
        return {
          broken: yield* Effect.flip(s.loadEventsJsonl("ev", [broken], mixpanel)),
          missing: yield* Effect.flip(s.loadEventsJsonl("ev", [missing], mixpanel)),
          notFound: yield* Effect.flip(
            s.loadEventsJsonl("ev", [join(dir, "nope.jsonl")], mixpanel),
          ),
          noTable: yield* Effect.flip(s.loadEventsJsonl("nope", [missing], mixpanel)),
          count: yield* s.queryScalar("SELECT count(*) FROM ev"),
        }
      }),
    )
    expect(out.broken).toMatchObject({
      _tag: "InvalidRecord",
      where: broken,
      line: 2,
      field: "record",
    })
    expect(out.missing).toMatchObject({
      _tag: "InvalidRecord",
      position: 1,
      line: 2,
      where: missing,
      field: "time",
    })
    expect(out.notFound._tag).toBe("QueryError")
    expect(out.noTable._tag).toBe("TableNotFound")
    expect(out.count).toBe(0)
  })

  it("an event name that is not a JSON string is refused, not taken as its text", async () => {
    const dir = tempDir()
    const t = Date.UTC(2024, 0, 2) / 1000
    const props = { time: t, distinct_id: "u", $insert_id: "n" }
    const cases = [5, true, { a: 1 }, ["E"], null].map((event, i) =>
      writeLines(dir, `name-${i}.jsonl`, [
        line("E", t, "u", "a"),
        JSON.stringify({ event, properties: props }),
      ]),
    )
    const out = await withStore({ mode: "memory" }, (s) =>
      Effect.gen(function* () {
        yield* emptyEvents(s)
        const errors = []
        for (const path of cases)
          errors.push(yield* Effect.flip(s.loadEventsJsonl("ev", [path], mixpanel)))
        return { errors, count: yield* s.queryScalar("SELECT count(*) FROM ev") }
      }),
    )
    for (const [i, error] of out.errors.entries()) {
      expect(error).toMatchObject({
        _tag: "InvalidRecord",
        where: cases[i],
        line: 2,
        field: "eventName",
      })
    }
    expect(out.count).toBe(0)
  })

  it("joins an enclosing transaction with manifest updates", async () => {
    const dir = tempDir()
    const t = Date.UTC(2024, 0, 2) / 1000
    const path = writeLines(dir, "day.jsonl", [line("E", t, "u", "a"), line("E", t, "u", "b")])
    const out = await withStore({ mode: "memory" }, (s) =>
      Effect.gen(function* () {
        yield* emptyEvents(s)
        const rolledBack = yield* Effect.flip(
          s.transaction(
            Effect.gen(function* () {
              yield* s.loadEventsJsonl("ev", [path], mixpanel)
              return yield* Effect.fail("crash before the manifest" as const)
            }),
          ),
        )
        const afterRollback = yield* s.queryScalar("SELECT count(*) FROM ev")
        const loaded = yield* s.transaction(
          Effect.gen(function* () {
            const r = yield* s.loadEventsJsonl("ev", [path], mixpanel)
            yield* s.execute("INSERT INTO _partitions VALUES ('ev', DATE '2024-01-02', ?, now())", [
              r.inserted,
            ])
            return r
          }),
        )
        return {
          rolledBack,
          afterRollback,
          loaded,
          partitions: yield* s.queryObjects("SELECT day, row_count FROM _partitions"),
        }
      }),
    )
    expect(out.rolledBack).toBe("crash before the manifest")
    expect(out.afterRollback).toBe(0)
    expect(out.loaded).toMatchObject({ inserted: 2, duplicates: 0 })
    expect(out.partitions).toEqual([{ day: "2024-01-02", row_count: 2 }])
  })
})
