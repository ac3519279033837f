import { join } from "node:path"
import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
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
const file = () => ({ mode: "file" as const, path: join(tempDir(), "append.duckdb") })

describe("append", () => {
  it("deduplicates events on the 4-tuple against stored rows and within the stream", async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("ev", fromArray(events(100)), eventsMeta())
        const first = yield* s.appendEvents(
          "ev",
          fromArray([
            ...events(50, 80), // 20 already stored, 30 new
            { ...event(120), properties: { replayed: true } }, // duplicate within the stream
            { ...event(0), eventName: "Renamed" }, // same insert id, other event: new
          ]),
        )
        const again = yield* s.appendEvents("ev", fromArray(events(130)))
        const stored = yield* s.queryObjects(
          "SELECT properties FROM ev WHERE insert_id = 'ins-120'",
        )
        return {
          first,
          again,
          count: yield* s.queryScalar("SELECT count(*) FROM ev"),
          info: (yield* s.listTables)[0],
          stored,
        }
      }),
    )
    expect(out.first).toEqual({ inserted: 31, duplicates: 21 })
    expect(out.again).toEqual({ inserted: 0, duplicates: 130 })
    expect(out.count).toBe(131)
    expect(out.info?.rowCount).toBe(131)
    expect(out.stored).toHaveLength(1)
  })

  it("keeps existing rows when a duplicate arrives with other properties", async () => {
    const rows = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("ev", fromArray([event(1)]), eventsMeta())
        yield* s.appendEvents("ev", fromArray([{ ...event(1), properties: { changed: 1 } }]))
        return yield* s.queryObjects("SELECT properties FROM ev")
      }),
    )
    expect(rows).toEqual([{ properties: event(1).properties }])
  })

  it("widens the metadata date range and row count", async () => {
    const meta = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable(
          "ev",
          fromArray(events(10)),
          eventsMeta({ fromDate: "2024-01-05", toDate: "2024-01-10" }),
        )
        yield* s.appendEvents("ev", fromArray(events(5, 1000)), {
          metadata: { fromDate: "2023-12-30", toDate: "2024-02-03" },
        })
        return { meta: yield* s.getMetadata("ev"), tables: yield* s.listTables }
      }),
    )
    expect(meta.meta.fromDate).toBe("2023-12-30")
    expect(meta.meta.toDate).toBe("2024-02-03")
    expect(meta.tables[0]?.rowCount).toBe(15)
  })

  it("upserts profiles: the newest copy wins", async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* s.createProfilesTable("people", fromArray(profiles(10)), profilesMeta())
        const result = yield* s.appendProfiles(
          "people",
          fromArray([
            profile(2, { properties: { plan: "old" } }),
            profile(2, { properties: { plan: "newest" } }),
            profile(10),
            profile(11),
          ]),
        )
        return {
          result,
          two: yield* s.queryScalar(
            "SELECT properties->>'$.plan' FROM people WHERE distinct_id = 'user-2'",
          ),
          count: yield* s.queryScalar("SELECT count(*) FROM people"),
          info: (yield* s.listTables)[0],
        }
      }),
    )
    expect(out.result).toEqual({ inserted: 2, duplicates: 2 })
    expect(out.two).toBe("newest")
    expect(out.count).toBe(12)
    expect(out.info?.rowCount).toBe(12)
  })

  it("fails with TableNotFound and TableTypeMismatch", async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* s.createProfilesTable("people", fromArray(profiles(2)), profilesMeta())
        yield* s.createEventsTable("ev", fromArray(events(2)), eventsMeta())
        return {
          missing: yield* Effect.flip(s.appendEvents("nope", fromArray(events(1)))),
          eventsIntoProfiles: yield* Effect.flip(s.appendEvents("people", fromArray(events(1)))),
          profilesIntoEvents: yield* Effect.flip(s.appendProfiles("ev", fromArray(profiles(1)))),
          badName: yield* Effect.flip(s.appendEvents("_metadata", fromArray(events(1)))),
        }
      }),
    )
    expect(out.missing).toMatchObject({ _tag: "TableNotFound", table: "nope" })
    expect(out.eventsIntoProfiles).toMatchObject({
      _tag: "TableTypeMismatch",
      expected: "events",
      actual: "profiles",
    })
    expect(out.profilesIntoEvents._tag).toBe("TableTypeMismatch")
    expect(out.badName._tag).toBe("InvalidTableName")
  })

  it("is atomic: a failing append leaves rows and metadata as they were", async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("ev", fromArray(events(10)), eventsMeta())
        const error = yield* Effect.flip(
          s.appendEvents("ev", Stream.concat(fromArray(events(3000, 10)), Stream.fail("x"))),
        )
        return {
          error,
          count: yield* s.queryScalar("SELECT count(*) FROM ev"),
          info: yield* s.listTables,
        }
      }),
    )
    expect(out.error).toBe("x")
    expect(out.count).toBe(10)
    expect(out.info[0]?.rowCount).toBe(10)
  })

  it("joins an enclosing transaction, and rolls back with it", async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("ev", fromArray(events(10)), eventsMeta())
        const failed = yield* Effect.flip(
          s.transaction(
            Effect.gen(function* () {
              yield* s.appendEvents("ev", fromArray(events(10, 10)))
              yield* s.createEventsTable("other", fromArray(events(3)), eventsMeta())
              yield* s.execute(
                "INSERT INTO _partitions VALUES ('ev', DATE '2024-01-01', 10, now())",
              )
              return yield* Effect.fail("abort" as const)
            }),
          ),
        )
        const afterRollback = {
          count: yield* s.queryScalar("SELECT count(*) FROM ev"),
          other: yield* s.tableExists("other"),
          partitions: yield* s.queryScalar("SELECT count(*) FROM _partitions"),
        }
        const committed = yield* s.transaction(
          Effect.gen(function* () {
            const r = yield* s.appendEvents("ev", fromArray(events(10, 10)))
            yield* s.transaction(
              s.execute("INSERT INTO _partitions VALUES ('ev', DATE '2024-01-01', 10, now())"),
            )
            return r
          }),
        )
        return {
          failed,
          afterRollback,
          committed,
          count: yield* s.queryScalar("SELECT count(*) FROM ev"),
          partitions: yield* s.queryScalar("SELECT count(*) FROM _partitions"),
        }
      }),
    )
    expect(out.failed).toBe("abort")
    expect(out.afterRollback).toEqual({ count: 10, other: false, partitions: 0 })
    expect(out.committed).toEqual({ inserted: 10, duplicates: 0 })
    expect(out.count).toBe(20)
    expect(out.partitions).toBe(1)
  })

  it("answers queries while a long write is running", async () => {
    const out = await withStore(file(), (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("ev", fromArray(events(10)), eventsMeta())
        let answeredDuringWrite = false
        const slow = Stream.fromIterable(events(20_000, 100)).pipe(
          Stream.rechunk(1000),
          Stream.tap(() => Effect.void),
        )
        const write = s.appendEvents(
          "ev",
          Stream.concat(
            slow,
            Stream.fromEffect(
              Effect.map(s.queryScalar("SELECT count(*) FROM ev"), (n) => {
                answeredDuringWrite = n === 10
                return event(999_999)
              }),
            ),
          ),
        )
        const result = yield* write
        return { result, answeredDuringWrite }
      }),
    )
    expect(out.answeredDuringWrite).toBe(true)
    expect(out.result.inserted).toBe(20_001)
  })
})
