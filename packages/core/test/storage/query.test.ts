import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import type { QueryError } from "../../src/index.js"
import { events, eventsMeta, fromArray, withStore } from "./helpers.js"

const memory = { mode: "memory" as const }

describe("queries", () => {
  it("query returns columns with DuckDB types and rows of JSON-friendly values", async () => {
    const result = await withStore(memory, (s) =>
      s.query(`SELECT
        1::INTEGER AS i, 9007199254740993::BIGINT AS big, 42::HUGEINT AS huge,
        1.25::DECIMAL(10,2) AS dec, 2.5::DOUBLE AS dbl, 'x' AS s, true AS b, NULL AS n,
        TIMESTAMP '2024-03-10 10:30:00.123456' AS ts,
        TIMESTAMPTZ '2024-03-10 10:30:00+00' AS tstz,
        DATE '2024-02-29' AS d, TIME '12:34:56' AS t,
        '{"$a": [1, {"b": null}]}'::JSON AS j,
        [1, 2, 3] AS l, {'k': 'v', 'n': [TIMESTAMP '2024-01-01']} AS st,
        MAP {'a': 1} AS m, '\\x01\\xFF'::BLOB AS bl, INTERVAL 3 DAY AS iv,
        '8f14e45f-ceea-467a-9575-0e2ee9b8b1f0'::UUID AS u`),
    )
    expect(result.columns.map((c) => c.type)).toEqual([
      "INTEGER",
      "BIGINT",
      "HUGEINT",
      "DECIMAL(10,2)",
      "DOUBLE",
      "VARCHAR",
      "BOOLEAN",
      "INTEGER",
      "TIMESTAMP",
      "TIMESTAMP WITH TIME ZONE",
      "DATE",
      "TIME",
      "JSON",
      "INTEGER[]",
      'STRUCT("k" VARCHAR, "n" TIMESTAMP[])',
      "MAP(VARCHAR, INTEGER)",
      "BLOB",
      "INTERVAL",
      "UUID",
    ])
    expect(result.rows[0]).toEqual([
      1,
      "9007199254740993",
      42,
      1.25,
      2.5,
      "x",
      true,
      null,
      "2024-03-10T10:30:00.123456Z",
      "2024-03-10T10:30:00.000Z",
      "2024-02-29",
      "12:34:56",
      { $a: [1, { b: null }] },
      [1, 2, 3],
      { k: "v", n: ["2024-01-01T00:00:00.000Z"] },
      { a: 1 },
      Buffer.from([1, 255]).toString("base64"),
      expect.stringContaining("3 day"),
      "8f14e45f-ceea-467a-9575-0e2ee9b8b1f0",
    ])
  })

  it("queryObjects, queryScalar and queryColumns", async () => {
    const out = await withStore(memory, (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("ev", fromArray(events(30)), eventsMeta())
        return {
          objects: yield* s.queryObjects(
            "SELECT event_name, count(*) AS n FROM ev GROUP BY 1 ORDER BY 1",
          ),
          empty: yield* s.queryObjects("SELECT * FROM ev WHERE false"),
          emptyRows: yield* s.query("SELECT * FROM ev WHERE false"),
          scalar: yield* s.queryScalar("SELECT count(*) FROM ev"),
          text: yield* s.queryScalar("SELECT 'hello'"),
          decimal: yield* s.queryScalar("SELECT 12.50::DECIMAL(6,2)"),
          nul: yield* s.queryScalar("SELECT NULL"),
          noRow: yield* s.queryScalar("SELECT 1 WHERE false"),
          json: yield* s.queryScalar("SELECT properties->>'$.$browser' FROM ev LIMIT 1"),
          single: yield* s.query("SELECT insert_id FROM ev ORDER BY insert_id LIMIT 2"),
          columns: yield* s.queryColumns("SELECT event_name, event_time, properties FROM ev"),
        }
      }),
    )
    expect(out.objects).toEqual([
      { event_name: "Page View", n: 20 },
      { event_name: "Sign Up", n: 10 },
    ])
    expect(out.empty).toEqual([])
    expect(out.emptyRows.rows).toEqual([])
    expect(out.emptyRows.columns.map((c) => c.name)).toEqual([
      "event_name",
      "event_time",
      "distinct_id",
      "insert_id",
      "properties",
    ])
    expect(out.scalar).toBe(30)
    expect(out.text).toBe("hello")
    expect(out.decimal).toBe(12.5)
    expect(out.nul).toBeNull()
    expect(out.noRow).toBeNull()
    expect(out.json).toBe("Chrome")
    expect(out.single.rows).toEqual([["ins-0"], ["ins-1"]])
    expect(out.columns).toEqual([
      { name: "event_name", type: "VARCHAR" },
      { name: "event_time", type: "TIMESTAMP" },
      { name: "properties", type: "JSON" },
    ])
  })

  it("binds parameters", async () => {
    const out = await withStore(memory, (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("ev", fromArray(events(30)), eventsMeta())
        return {
          n: yield* s.queryScalar(
            "SELECT count(*) FROM ev WHERE event_name = ? AND distinct_id <> ?",
            ["Sign Up", "nobody"],
          ),
          limit: yield* s.query("SELECT insert_id FROM ev ORDER BY 1 LIMIT ?", [2]),
          since: yield* s.queryScalar("SELECT count(*) FROM ev WHERE event_time >= ?", [
            new Date("2024-01-29T00:00:00Z"),
          ]),
          mixed: yield* s.query("SELECT ?, ?, ?, ?", [1.5, 10n, true, null]),
        }
      }),
    )
    expect(out.n).toBe(10)
    expect(out.limit.rows).toEqual([["ins-0"], ["ins-1"]])
    expect(out.since).toBe(0)
    expect(out.mixed.rows[0]).toEqual([1.5, 10, true, null])
  })

  it("every failure is a QueryError carrying the SQL", async () => {
    const out = await withStore(memory, (s) =>
      Effect.gen(function* () {
        const sql = "SELECT * FROM no_such_table"
        return {
          query: yield* Effect.flip(s.query(sql)),
          objects: yield* Effect.flip(s.queryObjects(sql)),
          scalar: yield* Effect.flip(s.queryScalar(sql)),
          columns: yield* Effect.flip(s.queryColumns(sql)),
          syntax: yield* Effect.flip(s.query("SELEC 1")),
          execute: yield* Effect.flip(s.execute(sql)),
          params: yield* Effect.flip(s.query("SELECT ?", [])),
          stream: yield* Effect.flip(Stream.runCollect(s.queryStream(sql))),
        }
      }),
    )
    for (const [name, error] of Object.entries(out)) {
      expect(error, name).toMatchObject({ _tag: "QueryError" })
    }
    expect(out.query).toMatchObject({ sql: "SELECT * FROM no_such_table" })
    expect((out.query as QueryError).reason).toContain("no_such_table")
    expect((out.syntax as QueryError).sql).toBe("SELEC 1")
  })

  it("queryStream yields every row in chunk-sized batches", async () => {
    const out = await withStore(memory, (s) =>
      Effect.gen(function* () {
        const batches = yield* Stream.runCollect(
          s.queryStream("SELECT range AS i, range::VARCHAR AS s FROM range(10000) ORDER BY i"),
        )
        const first = yield* Stream.runHead(s.queryStream("SELECT * FROM range(1000000)"))
        return { batches, first }
      }),
    )
    const rows = out.batches.flat()
    expect(rows).toHaveLength(10000)
    expect(rows[9999]).toEqual([9999, "9999"])
    expect(out.batches.length).toBeGreaterThan(1)
    for (const batch of out.batches) expect(batch.length).toBeLessThanOrEqual(2048)
    expect(out.first._tag).toBe("Some")
  })
})
