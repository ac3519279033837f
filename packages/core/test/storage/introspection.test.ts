import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { events, eventsMeta, fromArray, profiles, profilesMeta, withStore } from "./helpers.js"

const memory = { mode: "memory" as const }

describe("introspection and management", () => {
  it("lists nothing in a new database, and never internal tables", async () => {
    const out = await withStore(memory, (s) =>
      Effect.gen(function* () {
        const empty = yield* s.listTables
        yield* s.createEventsTable("ev", fromArray(events(3)), eventsMeta())
        return {
          empty,
          tables: yield* s.listTables,
          metadataExists: yield* s.tableExists("_metadata"),
          partitionsExists: yield* s.tableExists("_partitions"),
        }
      }),
    )
    expect(out.empty).toEqual([])
    expect(out.tables.map((t) => t.name)).toEqual(["ev"])
    expect(out.metadataExists).toBe(false)
    expect(out.partitionsExists).toBe(false)
  })

  it("lists every user table with type, rows, fetched at and completeness", async () => {
    const tables = await withStore(memory, (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("jan", fromArray(events(30)), eventsMeta())
        yield* s.createEventsTable("feb", fromArray(events(10)), eventsMeta(), { complete: false })
        yield* s.createProfilesTable("people", fromArray(profiles(7)), profilesMeta())
        return yield* s.listTables
      }),
    )
    expect(tables).toEqual([
      {
        name: "feb",
        kind: "table",
        type: "events",
        rowCount: 10,
        fetchedAt: eventsMeta().fetchedAt,
        complete: false,
      },
      {
        name: "jan",
        kind: "table",
        type: "events",
        rowCount: 30,
        fetchedAt: eventsMeta().fetchedAt,
        complete: true,
      },
      {
        name: "people",
        kind: "table",
        type: "profiles",
        rowCount: 7,
        fetchedAt: profilesMeta().fetchedAt,
        complete: true,
      },
    ])
  })

  it("describes schemas of events and profiles tables", async () => {
    const out = await withStore(memory, (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("ev", fromArray(events(3)), eventsMeta())
        yield* s.createProfilesTable("people", fromArray(profiles(3)), profilesMeta())
        return { ev: yield* s.getSchema("ev"), people: yield* s.getSchema("people") }
      }),
    )
    expect(out.ev).toEqual({
      tableName: "ev",
      columns: [
        { name: "event_name", type: "VARCHAR", nullable: false, primaryKey: false },
        { name: "event_time", type: "TIMESTAMP", nullable: false, primaryKey: false },
        { name: "distinct_id", type: "VARCHAR", nullable: false, primaryKey: false },
        { name: "insert_id", type: "VARCHAR", nullable: false, primaryKey: false },
        { name: "properties", type: "JSON", nullable: true, primaryKey: false },
      ],
    })
    expect(out.people.columns).toEqual([
      { name: "distinct_id", type: "VARCHAR", nullable: false, primaryKey: true },
      { name: "properties", type: "JSON", nullable: true, primaryKey: false },
      { name: "last_seen", type: "TIMESTAMP", nullable: true, primaryKey: false },
    ])
  })

  it("returns metadata with filters and source; profiles have no date range", async () => {
    const out = await withStore(memory, (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("ev", fromArray(events(3)), eventsMeta())
        yield* s.createProfilesTable("people", fromArray(profiles(3)), profilesMeta())
        return { ev: yield* s.getMetadata("ev"), people: yield* s.getMetadata("people") }
      }),
    )
    expect(out.ev).toEqual(eventsMeta())
    expect(out.people).toEqual(profilesMeta())
  })

  it("missing tables are TableNotFound everywhere", async () => {
    const out = await withStore(memory, (s) =>
      Effect.gen(function* () {
        return [
          yield* Effect.flip(s.getSchema("nope")),
          yield* Effect.flip(s.getMetadata("nope")),
          yield* Effect.flip(s.dropTable("nope")),
          yield* Effect.flip(s.sample("nope", 1)),
          yield* Effect.flip(s.summarize("nope")),
          yield* Effect.flip(s.propertyKeys("nope")),
          yield* Effect.flip(s.tableType("nope")),
        ]
      }),
    )
    for (const error of out) expect(error).toMatchObject({ _tag: "TableNotFound", table: "nope" })
  })

  it("exists, type, drop (with its metadata and partitions), drop again", async () => {
    const out = await withStore(memory, (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("ev", fromArray(events(3)), eventsMeta())
        yield* s.createProfilesTable("people", fromArray(profiles(3)), profilesMeta())
        yield* s.execute("INSERT INTO _partitions VALUES ('ev', DATE '2024-01-01', 3, now())")
        const before = {
          exists: yield* s.tableExists("ev"),
          type: yield* s.tableType("ev"),
          peopleType: yield* s.tableType("people"),
        }
        yield* s.dropTable("ev")
        return {
          before,
          exists: yield* s.tableExists("ev"),
          missing: yield* s.tableExists("never_there"),
          invalid: yield* s.tableExists("bad name"),
          metadata: yield* s.queryScalar("SELECT count(*) FROM _metadata WHERE table_name = 'ev'"),
          partitions: yield* s.queryScalar("SELECT count(*) FROM _partitions"),
          tables: (yield* s.listTables).map((t) => t.name),
          again: yield* Effect.flip(s.dropTable("ev")),
          internal: yield* Effect.flip(s.dropTable("_metadata")),
        }
      }),
    )
    expect(out.before).toEqual({ exists: true, type: "events", peopleType: "profiles" })
    expect(out.exists).toBe(false)
    expect(out.missing).toBe(false)
    expect(out.invalid).toBe(false)
    expect(out.metadata).toBe(0)
    expect(out.partitions).toBe(0)
    expect(out.tables).toEqual(["people"])
    expect(out.again._tag).toBe("TableNotFound")
    expect(out.internal._tag).toBe("InvalidTableName")
  })

  it("replaces a table by drop then create, even with another type", async () => {
    const out = await withStore(memory, (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("t", fromArray(events(5)), eventsMeta())
        yield* s.dropTable("t")
        yield* s.createEventsTable("t", fromArray(events(8)), eventsMeta())
        const events8 = yield* s.queryScalar("SELECT count(*) FROM t")
        yield* s.dropTable("t")
        yield* s.createProfilesTable("t", fromArray(profiles(2)), profilesMeta())
        return { events8, tables: yield* s.listTables, type: yield* s.tableType("t") }
      }),
    )
    expect(out.events8).toBe(8)
    expect(out.tables.map((t) => [t.name, t.type, t.rowCount])).toEqual([["t", "profiles", 2]])
    expect(out.type).toBe("profiles")
  })

  it("samples, summarizes and lists property keys", async () => {
    const out = await withStore(memory, (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("ev", fromArray(events(200)), eventsMeta())
        return {
          sample: yield* s.sample("ev", 10),
          all: yield* s.sample("ev", 1000),
          summary: yield* s.summarize("ev"),
          keys: yield* s.propertyKeys("ev"),
          badColumn: yield* Effect.flip(s.propertyKeys("ev", "x; DROP TABLE ev")),
        }
      }),
    )
    expect(out.sample.rows).toHaveLength(10)
    expect(out.sample.columns.map((c) => c.name)).toContain("properties")
    expect(typeof (out.sample.rows[0]![4] as Record<string, unknown>).$browser).toBe("string")
    expect(out.all.rows).toHaveLength(200)
    expect(out.summary.map((c) => c.column)).toEqual([
      "event_name",
      "event_time",
      "distinct_id",
      "insert_id",
      "properties",
    ])
    expect(out.summary.find((c) => c.column === "event_name")).toMatchObject({
      type: "VARCHAR",
      count: 200,
      nullPercentage: 0,
      min: "Page View",
      max: "Sign Up",
    })
    expect(out.keys).toEqual([
      { key: "$browser", count: 200 },
      { key: "index", count: 200 },
      { key: "nested", count: 200 },
    ])
    expect(out.badColumn._tag).toBe("InvalidTableName")
  })

  it("property keys are ordered by how common they are", async () => {
    const keys = await withStore(memory, (s) =>
      Effect.gen(function* () {
        const records = events(10).map((e, i) => ({
          ...e,
          properties: i < 3 ? { rare: 1, common: 1 } : { common: 1, mid: i % 2 },
        }))
        yield* s.createEventsTable("ev", fromArray(records), eventsMeta())
        return yield* s.propertyKeys("ev", "properties")
      }),
    )
    expect(keys).toEqual([
      { key: "common", count: 10 },
      { key: "mid", count: 7 },
      { key: "rare", count: 3 },
    ])
  })
})
