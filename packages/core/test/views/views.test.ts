import { join } from "node:path"
import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { DEFAULT_VIEW_TOP, VIEW_SAMPLE_ROWS } from "../../src/index.js"
import type { StorageInternals } from "../../src/storage/make-storage.js"
import {
  eventsMeta,
  fromArray,
  profiles,
  profilesMeta,
  useTempDir,
  withStore,
} from "../storage/helpers.js"

const tempDir = useTempDir()
const file = () => ({ mode: "file" as const, path: join(tempDir(), "views.duckdb") })

let inserted = 0

/**
 * Events whose properties are the given JSON texts, as stored (big integers kept exact), one
 * second apart in the order given.
 */
const insertRaw = (s: StorageInternals, table: string, properties: ReadonlyArray<string>) =>
  Effect.forEach(
    properties,
    (json) => {
      const n = inserted++
      return s.execute(
        `INSERT INTO ${table} VALUES ('E', TIMESTAMP '2024-01-01' + INTERVAL (?) SECOND, ?, ?, ?::JSON)`,
        [n, `u${n % 7}`, `raw-${n}`, json],
      )
    },
    { discard: true },
  )

const emptyEvents = (s: StorageInternals, table: string) =>
  s.createEventsTable(table, Stream.empty, eventsMeta())

const typesOf = (s: StorageInternals, name: string) =>
  Effect.map(s.getSchema(name), (schema) =>
    Object.fromEntries(schema.columns.map((c) => [c.name, c.type])),
  )

describe("typed views", () => {
  it("types each key from its values; names kept as they are, quoted", async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* emptyEvents(s, "events")
        yield* insertRaw(
          s,
          "events",
          Array.from({ length: 30 }, (_, i) =>
            JSON.stringify({
              $os: i % 2 ? "iOS" : "Android",
              mp_country_code: "FR",
              n: i - 10,
              price: i + 0.25,
              flag: i % 3 === 0,
              nested: { a: [i] },
              list: [i],
              mixed: i % 2 ? "x" : i,
              nothing: null,
              "a.b/c~d": i,
              "it's": "quoted",
              ...(i < 3 ? { rare: true } : {}),
            }),
          ),
        )
        const view = yield* s.createView("events")
        return {
          view,
          types: yield* typesOf(s, "events_typed"),
          rows: yield* s.queryObjects(
            `SELECT "$os", mp_country_code, n, price, flag, nested, list, mixed, nothing, "a.b/c~d", "it's", rare
             FROM events_typed ORDER BY event_time LIMIT 2`,
          ),
          count: yield* s.queryScalar(`SELECT count(*) FROM events_typed WHERE "$os" = 'iOS'`),
        }
      }),
    )
    expect(out.view).toMatchObject({
      name: "events_typed",
      table: "events",
      type: "events",
      top: DEFAULT_VIEW_TOP,
      sampledRows: 30,
    })
    expect(out.types).toEqual({
      event_name: "VARCHAR",
      event_time: "TIMESTAMP",
      distinct_id: "VARCHAR",
      insert_id: "VARCHAR",
      properties: "JSON",
      $os: "VARCHAR",
      mp_country_code: "VARCHAR",
      n: "BIGINT",
      price: "DOUBLE",
      flag: "BOOLEAN",
      nested: "JSON",
      list: "JSON",
      mixed: "JSON",
      nothing: "JSON",
      "a.b/c~d": "BIGINT",
      "it's": "VARCHAR",
      rare: "BOOLEAN",
    })
    // most frequent first, ties by key; the rare key last
    expect(out.view.columns.map((c) => c.key).at(-1)).toBe("rare")
    expect(out.view.columns.find((c) => c.key === "rare")?.rows).toBe(3)
    expect(out.rows).toEqual([
      {
        $os: "Android",
        mp_country_code: "FR",
        n: -10,
        price: 0.25,
        flag: true,
        nested: { a: [0] },
        list: [0],
        mixed: 0,
        nothing: null,
        "a.b/c~d": 0,
        "it's": "quoted",
        rare: true,
      },
      {
        $os: "iOS",
        mp_country_code: "FR",
        n: -9,
        price: 1.25,
        flag: false,
        nested: { a: [1] },
        list: [1],
        mixed: "x",
        nothing: null,
        "a.b/c~d": 1,
        "it's": "quoted",
        rare: true,
      },
    ])
    expect(out.count).toBe(15)
  })

  it("keeps integers beyond 2^53 exact: BIGINT, HUGEINT past it, JSON past that", async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* emptyEvents(s, "ev")
        yield* insertRaw(s, "ev", [
          '{"id": 9007199254740993, "u64": 18446744073709551615, "vast": 1234567890123456789012345678901234567890, "mix": 1.5, "fine": 1.5}',
          '{"id": -9223372036854775808, "u64": 1, "vast": 1, "mix": 9007199254740993, "fine": 2}',
        ])
        yield* s.createView("ev", { name: "big" })
        return {
          types: yield* typesOf(s, "big"),
          rows: yield* s.query(
            `SELECT id::VARCHAR, u64::VARCHAR, vast::VARCHAR, mix::VARCHAR, fine
             FROM big ORDER BY event_time`,
          ),
        }
      }),
    )
    expect(out.types).toMatchObject({
      id: "BIGINT",
      u64: "HUGEINT",
      vast: "JSON",
      mix: "JSON",
      fine: "DOUBLE",
    })
    expect(out.rows.rows).toEqual([
      [
        "9007199254740993",
        "18446744073709551615",
        "1234567890123456789012345678901234567890",
        "1.5",
        1.5,
      ],
      ["-9223372036854775808", "1", "1", "9007199254740993", 2],
    ])
  })

  it("renames keys that clash with the source's columns (ignoring case), and case twins", async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* emptyEvents(s, "ev")
        yield* insertRaw(s, "ev", [
          JSON.stringify({
            event_name: "own",
            Distinct_Id: "theirs",
            properties: 1,
            browser: "a",
            Browser: "b",
            BROWSER: "c",
          }),
        ])
        const view = yield* s.createView("ev")
        return {
          columns: view.columns.map((c) => [c.key, c.column]),
          row: (yield* s.queryObjects(
            `SELECT event_name, event_name_property, Distinct_Id_property, properties_property,
               "BROWSER", "Browser_2", "browser_3" FROM ev_typed`,
          ))[0],
        }
      }),
    )
    expect(out.columns).toEqual([
      ["BROWSER", "BROWSER"],
      ["Browser", "Browser_2"],
      ["Distinct_Id", "Distinct_Id_property"],
      ["browser", "browser_3"],
      ["event_name", "event_name_property"],
      ["properties", "properties_property"],
    ])
    expect(out.row).toEqual({
      event_name: "E",
      event_name_property: "own",
      Distinct_Id_property: "theirs",
      properties_property: 1,
      BROWSER: "c",
      Browser_2: "b",
      browser_3: "a",
    })
  })

  it("a later value of another type reads as NULL; refresh re-infers, new keys included", async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* emptyEvents(s, "ev")
        yield* insertRaw(s, "ev", ['{"n": 1, "b": true, "d": 0.5}', '{"n": 2, "b": false}'])
        const first = yield* s.createView("ev", { top: 3 })
        yield* insertRaw(s, "ev", [
          '{"n": "three", "b": "yes", "d": "half", "fresh": 1}',
          '{"n": 4.5, "b": 1, "fresh": 2}',
          '{"fresh": 3, "later": 1}',
        ])
        const before = yield* s.query(`SELECT n, b, d FROM ev_typed ORDER BY event_time`)
        const refreshed = yield* s.refreshView("ev_typed")
        return {
          first: first.columns.map((c) => [c.key, c.type]),
          before: before.rows,
          refreshed: refreshed.columns.map((c) => [c.key, c.type]),
          top: refreshed.top,
          createdKept: refreshed.createdAt.getTime() === first.createdAt.getTime(),
          fresh: yield* s.query(`SELECT fresh FROM ev_typed ORDER BY event_time`),
        }
      }),
    )
    expect(out.first).toEqual([
      ["b", "BOOLEAN"],
      ["n", "BIGINT"],
      ["d", "DOUBLE"],
    ])
    expect(out.before).toEqual([
      [1, true, 0.5],
      [2, false, null],
      [null, null, null],
      [null, null, null],
      [null, null, null],
    ])
    // top 3 kept: the most frequent keys now
    expect(out.refreshed).toEqual([
      ["b", "JSON"],
      ["n", "JSON"],
      ["fresh", "BIGINT"],
    ])
    expect(out.top).toBe(3)
    expect(out.createdKept).toBe(true)
    expect(out.fresh.rows.map((r) => r[0])).toEqual([null, null, 1, 2, 3])
  })

  it("lists views as views, reads them like tables, and keeps them out of table checks", async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable(
          "ev",
          fromArray([
            {
              eventName: "A",
              time: new Date("2024-01-05T00:00:00Z"),
              distinctId: "u",
              insertId: "i",
              properties: { $os: "iOS" },
            },
          ]),
          eventsMeta(),
        )
        yield* s.createProfilesTable("people", fromArray(profiles(4)), profilesMeta())
        yield* s.createView("ev")
        const people = yield* s.createView("people", { name: "people_view", top: 2 })
        return {
          tables: (yield* s.listTables).map((t) => [t.name, t.kind, t.type, t.rowCount]),
          views: (yield* s.listViews).map((v) => [v.name, v.table, v.top]),
          people: people.columns.map((c) => c.key),
          peopleSchema: (yield* s.getSchema("people_view")).columns.map((c) => c.name),
          metadata: yield* s.getMetadata("ev_typed"),
          type: yield* s.tableType("people_view"),
          exists: yield* s.tableExists("ev_typed"),
          sample: (yield* s.sample("ev_typed", 5)).rows.length,
          count: yield* s.countRows("ev_typed"),
          keys: yield* s.propertyKeys("ev_typed"),
        }
      }),
    )
    expect(out.tables).toEqual([
      ["ev", "table", "events", 1],
      ["ev_typed", "view", "events", 1],
      ["people", "table", "profiles", 4],
      ["people_view", "view", "profiles", 4],
    ])
    expect(out.views).toEqual([
      ["ev_typed", "ev", 50],
      ["people_view", "people", 2],
    ])
    expect(out.people).toEqual(["$email", "$name"])
    expect(out.peopleSchema).toEqual(["distinct_id", "properties", "last_seen", "$email", "$name"])
    expect(out.metadata).toMatchObject({
      type: "events",
      fromDate: "2024-01-01",
      toDate: "2024-01-31",
      source: { name: "view", params: { table: "ev", top: 50 } },
    })
    expect(out.type).toBe("profiles")
    expect(out.exists).toBe(false)
    expect(out.sample).toBe(1)
    expect(out.count).toBe(1)
    expect(out.keys).toEqual([{ key: "$os", count: 1 }])
  })

  it("fails typed: missing table, name taken, bad names, bad top; drop and drop with the table", async () => {
    const path = file()
    const out = await withStore(path, (s) =>
      Effect.gen(function* () {
        yield* emptyEvents(s, "ev")
        yield* insertRaw(s, "ev", ['{"a": 1}'])
        yield* s.createView("ev")
        const fail = <A, E>(effect: Effect.Effect<A, E>) =>
          Effect.map(Effect.flip(effect), (e) => [(e as { _tag: string })._tag, String(e)])
        return {
          missing: yield* fail(s.createView("nope")),
          overView: yield* fail(s.createView("ev_typed", { name: "again" })),
          taken: yield* fail(s.createView("ev")),
          takenByTable: yield* fail(s.createView("ev", { name: "EV" })),
          tableOverView: yield* fail(s.createEventsTable("ev_typed", Stream.empty, eventsMeta())),
          badName: yield* fail(s.createView("ev", { name: "bad-name" })),
          hidden: yield* fail(s.createView("ev", { name: "_hidden" })),
          badTable: yield* fail(s.createView("_metadata")),
          badTop: yield* fail(s.createView("ev", { name: "t0", top: 0 })),
          refreshMissing: yield* fail(s.refreshView("nope")),
          refreshTable: yield* fail(s.refreshView("ev")),
          dropTable: yield* fail(s.dropView("ev")),
        }
      }),
    )
    expect(out.missing[0]).toBe("TableNotFound")
    expect(out.overView[0]).toBe("TableNotFound")
    expect(out.taken).toEqual(["TableExists", expect.stringContaining('"ev_typed" already exists')])
    expect(out.takenByTable[0]).toBe("TableExists")
    expect(out.tableOverView).toEqual(["TableExists", expect.stringContaining("It is a view")])
    expect(out.badName[0]).toBe("InvalidTableName")
    expect(out.hidden[0]).toBe("InvalidTableName")
    expect(out.badTable[0]).toBe("InvalidTableName")
    expect(out.badTop[0]).toBe("InvalidField")
    expect(out.refreshMissing).toEqual(["TableNotFound", expect.stringContaining('View "nope"')])
    expect(out.refreshTable[0]).toBe("TableNotFound")
    expect(out.dropTable).toEqual(["TableNotFound", expect.stringContaining('View "ev"')])

    // the definition outlives the process; drop forgets it; dropping the table drops its views
    const after = await withStore({ mode: "existing", path: path.path }, (s) =>
      Effect.gen(function* () {
        const reopened = (yield* s.listViews).map((v) => v.name)
        yield* s.refreshView("ev_typed")
        yield* s.createView("ev", { name: "second" })
        yield* s.dropView("EV_TYPED")
        const afterDrop = (yield* s.listTables).map((t) => t.name)
        yield* s.createView("ev", { name: "third" })
        yield* s.dropTable("ev")
        return {
          reopened,
          afterDrop,
          afterTableDrop: (yield* s.listTables).map((t) => t.name),
          catalog: yield* s.queryScalar(
            "SELECT count(*) FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'",
          ),
          records: yield* s.queryScalar("SELECT count(*) FROM _views"),
        }
      }),
    )
    expect(after).toEqual({
      reopened: ["ev_typed"],
      afterDrop: ["ev", "second"],
      afterTableDrop: [],
      catalog: 0,
      records: 0,
    })
  })

  it("a replaced table keeps its views; a view dropped by hand is no longer listed", async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* emptyEvents(s, "ev")
        yield* insertRaw(s, "ev", ['{"a": 1}'])
        yield* s.createView("ev")
        yield* emptyEvents(s, "_replacing_ev")
        yield* insertRaw(s, "_replacing_ev", ['{"a": 2}', '{"a": 3}'])
        yield* s.replaceTable("ev", "_replacing_ev")
        const replaced = yield* s.query("SELECT a FROM ev_typed ORDER BY a")
        yield* s.execute("DROP VIEW ev_typed")
        return { replaced: replaced.rows, tables: (yield* s.listTables).map((t) => t.name) }
      }),
    )
    expect(out.replaced).toEqual([[2], [3]])
    expect(out.tables).toEqual(["ev"])
  })

  it("a file from before views opens read-only and lists its tables; writes are refused", async () => {
    const path = file()
    await withStore(path, (s) =>
      Effect.andThen(emptyEvents(s, "ev"), s.execute("DROP TABLE _views")),
    )
    const out = await withStore({ mode: "existing", path: path.path, readOnly: true }, (s) =>
      Effect.gen(function* () {
        return {
          tables: (yield* s.listTables).map((t) => t.name),
          views: yield* s.listViews,
          write: (yield* Effect.flip(s.createView("ev")))._tag,
        }
      }),
    )
    expect(out).toEqual({ tables: ["ev"], views: [], write: "StorageIOError" })
  })

  it(`samples at most ${VIEW_SAMPLE_ROWS} rows, spread over the table, in seconds`, async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* emptyEvents(s, "ev")
        yield* s.execute(
          `INSERT INTO ev SELECT 'E', TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND, 'u' || (i % 1000),
             'i' || i,
             json_object('$os', 'iOS', 'n', i, 'price', i / 4, 'first_half', i < 100000,
               'k' || (i % 80), i)::JSON
           FROM range(200000) t(i)`,
        )
        const started = Date.now()
        const view = yield* s.createView("ev", { top: 10 })
        return { view, ms: Date.now() - started }
      }),
    )
    expect(out.view.sampledRows).toBe(VIEW_SAMPLE_ROWS)
    expect(Object.fromEntries(out.view.columns.map((c) => [c.key, c.type]))).toMatchObject({
      $os: "VARCHAR",
      n: "BIGINT",
      price: "DOUBLE",
      first_half: "BOOLEAN",
    })
    expect(out.view.columns).toHaveLength(10)
    expect(out.ms).toBeLessThan(20_000)
  })
})
