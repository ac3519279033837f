import { join } from "node:path"
import { Deferred, Effect, Fiber, Stream } from "effect"
import { describe, expect, it } from "vitest"
import type { EventRecord, ProfileRecord } from "../../src/index.js"
import {
  event,
  events,
  eventsMeta,
  fromArray,
  profile,
  profiles,
  profilesMeta,
  useTempDir,
  withStore,
} from "./helpers.js"

const tempDir = useTempDir()
const file = () => ({ mode: "file" as const, path: join(tempDir(), "create.duckdb") })

const stagingCount =
  "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '\\_staging%' ESCAPE '\\'"

describe("create tables from streams", () => {
  it("inserts every event with its columns and properties as sent", async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        const n = yield* s.createEventsTable("ev", fromArray(events(3)), eventsMeta())
        const rows = yield* s.queryObjects("SELECT * FROM ev ORDER BY insert_id")
        return { n, rows }
      }),
    )
    expect(out.n).toBe(3)
    expect(out.rows[0]).toEqual({
      event_name: "Sign Up",
      event_time: "2024-01-01T12:00:00.000Z",
      distinct_id: "user-0",
      insert_id: "ins-0",
      properties: { $browser: "Chrome", index: 0, nested: { a: [1, 2, { b: "c" }] } },
    })
  })

  it("keeps times exact to the millisecond, far past and far future included", async () => {
    const times = [
      "1900-02-28T23:59:59.999Z",
      "1970-01-01T00:00:00.000Z",
      "2300-06-15T12:34:56.789Z",
    ]
    const rows = await withStore(file(), (s) =>
      Effect.gen(function* () {
        const records = times.map((t, i) => event(i, { time: new Date(t) }))
        yield* s.createEventsTable("t", fromArray(records), eventsMeta())
        return yield* s.query("SELECT event_time FROM t ORDER BY insert_id")
      }),
    )
    expect(rows.rows.map((r) => r[0])).toEqual(times)
  })

  it("handles large streams in batches (5000 events, small chunks)", async () => {
    const count = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("big", fromArray(events(5000), 7), eventsMeta())
        return yield* s.queryScalar("SELECT count(DISTINCT insert_id) FROM big")
      }),
    )
    expect(count).toBe(5000)
  })

  it("fails with TableExists and leaves the table alone", async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("dup", fromArray(events(10)), eventsMeta())
        const e1 = yield* Effect.flip(
          s.createEventsTable("dup", fromArray(events(5)), eventsMeta()),
        )
        const e2 = yield* Effect.flip(
          s.createProfilesTable("DUP", fromArray(profiles(5)), profilesMeta()),
        )
        yield* s.createProfilesTable("people", fromArray(profiles(5)), profilesMeta())
        const e3 = yield* Effect.flip(
          s.createProfilesTable("people", fromArray(profiles(5)), profilesMeta()),
        )
        return { e1, e2, e3, count: yield* s.queryScalar("SELECT count(*) FROM dup") }
      }),
    )
    expect(out.e1).toMatchObject({ _tag: "TableExists", table: "dup" })
    expect(out.e2._tag).toBe("TableExists")
    expect(out.e3._tag).toBe("TableExists")
    expect(out.count).toBe(10)
  })

  it("rejects invalid table names before any SQL", async () => {
    const names = [
      "_metadata",
      "_x",
      "bad-name",
      "has space",
      "semi;colon",
      "",
      "drop table x",
      "ü",
    ]
    const errors = await withStore(file(), (s) =>
      Effect.forEach(names, (name) =>
        Effect.flip(s.createEventsTable(name, fromArray(events(1)), eventsMeta())),
      ),
    )
    for (const [i, error] of errors.entries()) {
      expect(error).toMatchObject({ _tag: "InvalidTableName", name: names[i] })
    }
  })

  const badEvents: Array<[string, Partial<Record<keyof EventRecord, unknown>>]> = [
    ["eventName", { eventName: 42 }],
    ["distinctId", { distinctId: null }],
    ["time", { time: new Date("nonsense") }],
    ["time", { time: "2024-01-01" }],
    ["properties", { properties: null }],
    ["properties", { properties: [1, 2] }],
    ["properties", { properties: { big: 10n } }],
  ]

  it.each(badEvents)("validates %s as events arrive", async (field, patch) => {
    const records = [...events(5), { ...event(5), ...patch } as EventRecord, ...events(5, 6)]
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          s.createEventsTable("v", fromArray(records, 2), eventsMeta()),
        )
        return {
          error,
          exists: yield* s.tableExists("v"),
          staging: yield* s.queryScalar(stagingCount),
        }
      }),
    )
    expect(out.error).toMatchObject({ _tag: "InvalidRecord", position: 5, field })
    expect(out.exists).toBe(false)
    expect(out.staging).toBe(0)
  })

  const badProfiles: Array<[string, Partial<Record<keyof ProfileRecord, unknown>>]> = [
    ["distinctId", { distinctId: 7 }],
    ["properties", { properties: "x" }],
    ["lastSeen", { lastSeen: new Date(Number.NaN) }],
  ]

  it.each(badProfiles)("validates profile %s", async (field, patch) => {
    const records = [profile(0), { ...profile(1), ...patch } as ProfileRecord]
    const error = await withStore(file(), (s) =>
      Effect.flip(s.createProfilesTable("p", fromArray(records), profilesMeta())),
    )
    expect(error).toMatchObject({ _tag: "InvalidRecord", position: 1, field })
  })

  it("creates profiles; null last_seen is fine; the newest last_seen wins, then the later", async () => {
    const newer = new Date(Date.UTC(2024, 5, 1))
    const records = [
      profile(3, { properties: { plan: "trial" }, lastSeen: newer }),
      ...profiles(50),
      profile(3, { properties: { plan: "enterprise" }, lastSeen: newer }),
      profile(3, { properties: { plan: "none" }, lastSeen: null }),
    ]
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        const n = yield* s.createProfilesTable("people", fromArray(records), profilesMeta())
        const three = yield* s.queryObjects("SELECT * FROM people WHERE distinct_id = 'user-3'")
        return { n, three, count: yield* s.queryScalar("SELECT count(*) FROM people") }
      }),
    )
    expect(out.n).toBe(50)
    expect(out.count).toBe(50)
    expect(out.three).toEqual([
      { distinct_id: "user-3", properties: { plan: "enterprise" }, last_seen: newer.toISOString() },
    ])
  })

  it("reports cumulative progress for events and profiles", async () => {
    const seen: Array<number> = []
    const seenProfiles: Array<number> = []
    await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("e", fromArray(events(3000)), eventsMeta(), {
          onProgress: (n) => seen.push(n),
        })
        yield* s.createProfilesTable("p", fromArray(profiles(1500)), profilesMeta(), {
          onProgress: (n) => seenProfiles.push(n),
        })
      }),
    )
    expect(seen.length).toBeGreaterThan(1)
    expect(seen.at(-1)).toBe(3000)
    expect([...seen].sort((a, b) => a - b)).toEqual(seen)
    expect(seenProfiles.at(-1)).toBe(1500)
  })

  it("deduplicates events on the 4-tuple within one stream", async () => {
    const base = events(100)
    const copy = (i: number) => ({ ...base[i]!, properties: { copy: true } })
    // same insert id but another name, user or time: distinct events, all kept
    const distinct = [
      { ...base[0]!, eventName: "Other" },
      { ...base[0]!, distinctId: "someone-else" },
      { ...base[0]!, time: new Date(base[0]!.time.getTime() + 1000) },
    ]
    const records = [...base, copy(1), copy(2), copy(2), ...distinct]
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        const n = yield* s.createEventsTable("d", fromArray(records, 9), eventsMeta())
        return {
          n,
          count: yield* s.queryScalar("SELECT count(*) FROM d"),
          meta: (yield* s.listTables)[0],
        }
      }),
    )
    expect(out.n).toBe(103)
    expect(out.count).toBe(103)
    expect(out.meta?.rowCount).toBe(103)
  })

  it("is atomic when the stream fails midway", async () => {
    const failing = Stream.concat(fromArray(events(5000)), Stream.fail("source broke" as const))
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(s.createEventsTable("a", failing, eventsMeta()))
        return {
          error,
          exists: yield* s.tableExists("a"),
          tables: yield* s.listTables,
          meta: yield* s.queryScalar("SELECT count(*) FROM _metadata"),
          staging: yield* s.queryScalar(stagingCount),
        }
      }),
    )
    expect(out).toEqual({ error: "source broke", exists: false, tables: [], meta: 0, staging: 0 })
  })

  it("is atomic when interrupted midway", async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        const started = yield* Deferred.make<void>()
        const endless = Stream.concat(fromArray(events(4096)), Stream.never)
        const fiber = yield* Effect.forkChild(
          s.createEventsTable("i", endless, eventsMeta(), {
            onProgress: () => Deferred.doneUnsafe(started, Effect.void),
          }),
        )
        yield* Deferred.await(started)
        yield* Fiber.interrupt(fiber)
        return {
          exists: yield* s.tableExists("i"),
          staging: yield* s.queryScalar(stagingCount),
          again: yield* s.createEventsTable("i", fromArray(events(3)), eventsMeta()),
        }
      }),
    )
    expect(out).toEqual({ exists: false, staging: 0, again: 3 })
  })

  it("ingests 200k events", async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        const n = yield* s.createEventsTable(
          "large",
          Stream.range(0, 199_999).pipe(Stream.map((i) => event(i))),
          eventsMeta(),
        )
        return {
          n,
          count: yield* s.queryScalar("SELECT count(*) FROM large"),
          last: yield* s.queryScalar("SELECT max((properties->>'$.index')::INT) FROM large"),
        }
      }),
    )
    expect(out).toEqual({ n: 200_000, count: 200_000, last: 199_999 })
  })
})
