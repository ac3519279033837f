import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import {
  formatResult,
  type SqlParam,
  type StorageShape,
  type TextFormat,
  textFormats,
} from "../../src/index.js"
import { events, eventsMeta, fromArray, withStore } from "../storage/helpers.js"

/** The answer `storage.openText` streams, whole, with who rendered it and in how many pieces. */
const openedText = (
  s: StorageShape,
  sql: string,
  format: TextFormat,
  params?: ReadonlyArray<SqlParam>,
  limit?: number,
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const opened = yield* s.openText(sql, format, params, limit === undefined ? {} : { limit })
      const pieces = [...(yield* Stream.runCollect(opened.text))]
      return {
        text: Buffer.concat(pieces).toString("utf8"),
        pieces: pieces.length,
        renderedBy: opened.renderedBy,
        columns: opened.columns,
      }
    }),
  )

/** The same SQL through DuckDB's rendering and through the JavaScript encoders. */
const both = (s: StorageShape, sql: string, format: TextFormat, params?: ReadonlyArray<SqlParam>) =>
  Effect.all({
    duck: openedText(s, sql, format, params),
    js: Effect.map(s.query(sql, params), (result) => formatResult(format, result)),
  })

const memory = { mode: "memory" as const }

/** Every type the JavaScript converter knows, in the values it treats with care. */
const typed = [
  `1::INTEGER AS i, 9007199254740991::BIGINT AS top, 9007199254740993::BIGINT AS big,
   -9007199254740993::BIGINT AS neg, 42::HUGEINT AS huge, 12345678901234567890123::HUGEINT AS hh,
   18446744073709551615::UBIGINT AS ub, 123456789012345678901234567890::BIGNUM AS bn,
   7::TINYINT AS ti, 65535::USMALLINT AS us`,
  `1.25::DECIMAL(10,2) AS dec, 10.00::DECIMAL(6,2) AS whole, 2.5::DOUBLE AS dbl,
   0.1::FLOAT AS fl, 'inf'::DOUBLE AS inf, '-inf'::DOUBLE AS ninf, 'nan'::DOUBLE AS nan,
   NULL::DOUBLE AS nd, 5::DOUBLE AS five, -0.0::DOUBLE AS nz, 1e16::DOUBLE AS e16,
   1.5e-7::DOUBLE AS small, NULL::FLOAT AS nf`,
  `'x' AS s, true AS b, NULL AS n, 'ünïcødé ✓ 𝄞' AS u, 'a,b' AS c, 'say "x"' AS q,
   ' pad' AS p, 'pad ' AS p2, 'two' || chr(10) || 'lines' AS l, 'cr' || chr(13) AS cr,
   chr(160) || 'nbsp' AS nb, 'tab' || chr(9) AS tb, '' AS empty, 'back\\slash' AS bs,
   chr(1) || 'ctl' AS ctl, 'b'::ENUM('a', 'b') AS en`,
  `TIMESTAMP '2024-03-10 10:30:00.123456' AS ts, TIMESTAMP '2024-03-10 10:30:00' AS ts0,
   TIMESTAMPTZ '2024-03-10 10:30:00+02' AS tstz,
   '2024-01-01 00:00:00.123456789'::TIMESTAMP_NS AS tns,
   '2024-01-01 00:00:01'::TIMESTAMP_S AS tsec, '2024-01-01 00:00:01.5'::TIMESTAMP_MS AS tms,
   NULL::TIMESTAMP AS tnull, 'infinity'::TIMESTAMP AS tinf, '-infinity'::TIMESTAMPTZ AS tzinf`,
  `DATE '2024-02-29' AS d, TIME '12:34:56' AS t, TIME '12:34:56.5' AS t5,
   '12:34:56+02'::TIMETZ AS ttz, INTERVAL 3 DAY AS iv,
   INTERVAL '14 months 3 days 00:00:01.5' AS iv2,
   '8f14e45f-ceea-467a-9575-0e2ee9b8b1f0'::UUID AS uu, '0101'::BIT AS bit,
   '\\x01\\xFF'::BLOB AS bl`,
  `'{"$a":[1,{"b":null}]}'::JSON AS j, '"str"'::JSON AS js, 'null'::JSON AS jn,
   '3'::JSON AS j3, NULL::JSON AS jnull, {'a': [1, 2]}::JSON AS jstruct`,
  `[1, 2, 3] AS l, {'k': 'v', 'n': [TIMESTAMP '2024-01-01']} AS st, MAP {'a': 1} AS m,
   MAP {1: TIMESTAMP '2024-01-01'} AS m2, [9007199254740993] AS bigs,
   [[1.5, 'inf'::DOUBLE]] AS ll, [1, 2]::INTEGER[2] AS arr, NULL::INTEGER[] AS nl,
   [] AS el, {'a,b': 'c'} AS sc, [MAP {'k': ['\\x00'::BLOB]}] AS lm,
   {'x': {'y': 9007199254740993::BIGINT}} AS deep, NULL::STRUCT(t TIMESTAMP) AS ns`,
  `union_value(num := 2)::UNION(num INT, s VARCHAR) AS un,
   union_value(s := 'a,b')::UNION(num INT, s VARCHAR) AS us,
   NULL::UNION(a INT, b VARCHAR) AS nu, ['{"a":1}'::JSON] AS lj,
   {'t': TIMESTAMPTZ '2024-01-01 00:00:00+02'} AS stz`,
  `1 AS a, 2 AS a, 3 AS "A", 'x' AS "we'ird ""name"`,
]

describe("rows rendered by DuckDB", () => {
  it.each(textFormats)(
    "%s: the same text as the JavaScript encoders, type by type",
    async (format) => {
      await withStore(memory, (s) =>
        Effect.gen(function* () {
          for (const columns of typed) {
            const { duck, js } = yield* both(s, `SELECT ${columns}`, format)
            expect(duck.renderedBy, columns).toBe("duckdb")
            expect(duck.text, columns).toBe(js)
          }
        }),
      )
    },
  )

  it.each(textFormats)("%s: an events table, empty answers and several rows", async (format) => {
    await withStore(memory, (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("ev", fromArray(events(3000)), eventsMeta())
        for (const sql of [
          "SELECT * FROM ev ORDER BY insert_id",
          "SELECT * FROM ev WHERE false",
          "SELECT event_name, count(*) AS n FROM ev GROUP BY 1 ORDER BY 1",
        ]) {
          const { duck, js } = yield* both(s, sql, format)
          expect(duck.renderedBy).toBe("duckdb")
          expect(duck.text, sql).toBe(js)
        }
      }),
    )
  })

  it("binds parameters, whose types only the bound values settle", async () => {
    await withStore(memory, (s) =>
      Effect.gen(function* () {
        const sql = "SELECT ? AS x, ? + 1 AS y, ?::TIMESTAMP AS t, ? AS n"
        const params = [9007199254740993n, 1.5, new Date("2024-01-02T03:04:05.678Z"), null]
        for (const format of textFormats) {
          const { duck, js } = yield* both(s, sql, format, params)
          expect(duck.renderedBy).toBe("duckdb")
          expect(duck.text).toBe(js)
        }
      }),
    )
  })

  it("keeps the answer's order, cuts at a limit and frames the first rows with the head", async () => {
    const out = await withStore(memory, (s) =>
      Effect.all({
        ordered: openedText(s, "SELECT range AS i FROM range(100000) ORDER BY range DESC", "jsonl"),
        limited: openedText(s, "SELECT range AS i FROM range(100000)", "csv", [], 3),
        empty: Effect.all(textFormats.map((f) => openedText(s, "SELECT 1 AS a WHERE false", f))),
      }),
    )
    const lines = out.ordered.text.trimEnd().split("\n")
    expect(lines).toHaveLength(100_000)
    expect(lines.every((line, n) => line === `{"i":${99_999 - n}}`)).toBe(true)
    expect(out.ordered.pieces).toBeGreaterThan(1)
    expect(out.limited.text).toBe("i\r\n0\r\n1\r\n2\r\n")
    expect(out.limited.pieces).toBe(1)
    expect(out.empty.map((e) => e.text)).toEqual(["[]\n", "", "a\r\n"])
  })

  it("keeps big integers inside JSON exact, where JavaScript would round them", async () => {
    const out = await withStore(memory, (s) =>
      Effect.all(
        textFormats.map((f) => openedText(s, `SELECT '{"id":27666890117576427}'::JSON AS j`, f)),
      ),
    )
    expect(out.map((o) => o.text)).toEqual([
      '[\n{"j":{"id":27666890117576427}}\n]\n',
      '{"j":{"id":27666890117576427}}\n',
      'j\r\n"{""id"":27666890117576427}"\r\n',
    ])
  })

  it("keeps stored JSON as it is, compacted only where it spans lines", async () => {
    const out = await withStore(memory, (s) =>
      openedText(
        s,
        `SELECT '{"a": 1, "b": [2, 3]}'::JSON AS kept, ('{"c":' || chr(10) || ' 4}')::JSON AS lines`,
        "jsonl",
      ),
    )
    expect(out.text).toBe('{"kept":{"a": 1, "b": [2, 3]},"lines":{"c":4}}\n')
    expect(JSON.parse(out.text)).toEqual({ kept: { a: 1, b: [2, 3] }, lines: { c: 4 } })
  })

  it("gives statements DuckDB cannot nest in a SELECT to the JavaScript encoders", async () => {
    await withStore(memory, (s) =>
      Effect.gen(function* () {
        yield* s.execute("CREATE TABLE t (a INTEGER, b VARCHAR)")
        yield* s.execute("INSERT INTO t VALUES (1, 'x'), (2, NULL)")
        for (const sql of ["PRAGMA table_info('t')", "SELECT a FROM t ORDER BY a; -- last"]) {
          for (const format of textFormats) {
            const { duck, js } = yield* both(s, sql, format)
            expect(duck.renderedBy, sql).toBe("javascript")
            expect(duck.text, sql).toBe(js)
          }
        }
        for (const sql of ["DESCRIBE t", "FROM t", "SELECT a FROM t;  ", "SELECT a FROM t -- a"]) {
          const { duck, js } = yield* both(s, sql, "jsonl")
          expect(duck.renderedBy, sql).toBe("duckdb")
          expect(duck.text, sql).toBe(js)
        }
      }),
    )
  })

  it("runs no statement smuggled past the subquery it is wrapped in", async () => {
    const out = await withStore(memory, (s) =>
      Effect.gen(function* () {
        yield* s.execute("CREATE TABLE t (a INTEGER)")
        const attempts = [
          "SELECT 1 AS a\n) AS q; DROP TABLE t; SELECT * FROM (SELECT 1",
          "SELECT 1 AS a) q, (SELECT 2",
          "SELECT 1 AS a\n) AS q(c0); DROP TABLE t; --",
        ]
        const failures = []
        for (const sql of attempts) {
          for (const format of textFormats) {
            const result = yield* Effect.result(openedText(s, sql, format))
            failures.push(result._tag)
          }
        }
        return { failures, kept: yield* s.tableExists("t") }
      }),
    )
    expect(out.failures.every((tag) => tag === "Failure")).toBe(true)
    expect(out.kept).toBe(true)
  })
})
