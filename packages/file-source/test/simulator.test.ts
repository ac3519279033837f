import { createWriteStream, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pipeline } from "node:stream/promises"
import { createGzip } from "node:zlib"
import {
  fetchEvents,
  fetchProfiles,
  importEvents,
  Storage,
  storageLayer,
} from "@mixpanel-data/core"
import { makeFileSource } from "@mixpanel-data/file-source"
import {
  ChecksumAccumulator,
  eventChecksum,
  profileChecksum,
  startSimulator,
} from "@mixpanel-data/mixpanel-sim"
import { type MixpanelConfig, makeMixpanelSource } from "@mixpanel-data/mixpanel-source"
import { Effect, Redacted, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

/**
 * The pipeline end to end against the local Mixpanel simulator, and the file source fed the
 * simulator's own export lines: both must end holding exactly the simulator's ground truth.
 */

const auth = { username: "svc-pipeline", secret: "sim-secret-7", projectId: 777 }
const FROM = "2024-03-01"
const TO = "2024-03-08"

type Sim = Awaited<ReturnType<typeof startSimulator>>
let sim: Sim
let dir: string

beforeAll(async () => {
  sim = await startSimulator({
    port: 0,
    seed: 11,
    startDate: FROM,
    days: 10,
    users: 150,
    auth,
    limits: false,
    today: "2024-04-01",
  })
  dir = mkdtempSync(join(tmpdir(), "mp-pipeline-sim-"))
})
afterAll(async () => {
  await sim?.close()
  rmSync(dir, { recursive: true, force: true })
})

const config = (): MixpanelConfig => ({
  credentials: {
    _tag: "ServiceAccount",
    username: auth.username,
    secret: Redacted.make(auth.secret),
    projectId: String(auth.projectId),
  },
  region: "us",
  baseUrl: sim.url,
  spoolDir: dir,
  retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20 },
  // The simulator runs unlimited; the pipeline is under test here, not the scheduler.
  limits: {
    export: { perHour: 100_000, perSecond: 1_000 },
    query: { perHour: 100_000, perSecond: 1_000 },
    marginMs: 0,
    secondMarginMs: 0,
  },
})

const run = <A, E>(db: string, body: Effect.Effect<A, E, Storage>) =>
  Effect.runPromise(Effect.exit(Effect.provide(body, storageLayer({ mode: "file", path: db }))))

const ok = async <A, E>(db: string, body: Effect.Effect<A, E, Storage>): Promise<A> => {
  const exit = await run(db, body)
  if (exit._tag === "Failure") throw new Error(String(exit.cause))
  return exit.value
}

/** Count and order-independent checksum of a table, as the simulator computes its truth. */
const tableTruth = (table: string) =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const result = yield* storage.query(
      `SELECT event_name, distinct_id, epoch_ms(event_time), insert_id FROM ${table}`,
    )
    const keys = result.rows.map(([eventName, distinctId, timeMs, insertId]) => ({
      eventName: String(eventName),
      distinctId: String(distinctId),
      timeMs: Number(timeMs),
      insertId: String(insertId),
    }))
    return { count: keys.length, checksum: eventChecksum(keys) }
  })

const withMixpanel = <A, E>(
  f: (
    source: Effect.Success<ReturnType<typeof makeMixpanelSource>>,
  ) => Effect.Effect<A, E, Storage>,
) => Effect.scoped(Effect.flatMap(makeMixpanelSource(config()), f))

describe("pipeline against the simulator", () => {
  it("a fresh fetch ends exactly the ground truth, with every day in the manifest", async () => {
    const db = join(dir, "fresh.duckdb")
    const truth = await sim.truth({ from: FROM, to: TO })
    const out = await ok(
      db,
      withMixpanel((source) =>
        Effect.gen(function* () {
          const result = yield* fetchEvents({
            source,
            table: "ev",
            request: { from: FROM, to: TO },
          })
          const parts = yield* Effect.flatMap(Storage, (s) =>
            s.queryScalar("SELECT sum(row_count) FROM _partitions WHERE table_name = 'ev'"),
          )
          return { result, table: yield* tableTruth("ev"), parts }
        }),
      ),
    )
    expect(truth.count).toBeGreaterThan(500)
    expect(out.table).toEqual(truth)
    expect(Number(out.parts)).toBe(truth.count)
    expect(out.result).toMatchObject({
      daysFetched: 8,
      daysTotal: 8,
      complete: true,
      tableRows: truth.count,
    })
  })

  it("a day failing after retries leaves the table incomplete; the rerun fetches the rest and ends exact", async () => {
    const db = join(dir, "resume.duckdb")
    const truth = await sim.truth({ from: FROM, to: TO })
    sim.setFaults({
      script: [{ match: { path: "/api/2.0/export", day: "2024-03-06" }, fault: "503" }],
    })
    const failed = await run(
      db,
      withMixpanel((source) =>
        fetchEvents({ source, table: "ev", request: { from: FROM, to: TO } }),
      ),
    )
    sim.setFaults({})
    expect(failed._tag).toBe("Failure")
    const mid = await ok(
      db,
      Effect.gen(function* () {
        const storage = yield* Storage
        return {
          tables: yield* storage.listTables,
          days: yield* storage.queryObjects(
            "SELECT day::VARCHAR AS day FROM _partitions WHERE table_name = 'ev' ORDER BY day",
          ),
        }
      }),
    )
    expect(mid.tables).toMatchObject([{ name: "ev", complete: false }])
    expect(mid.days.map((d) => d.day)).not.toContain("2024-03-06")
    const committed = mid.days.length
    const out = await ok(
      db,
      withMixpanel((source) =>
        Effect.gen(function* () {
          const result = yield* fetchEvents({
            source,
            table: "ev",
            request: { from: FROM, to: TO },
          })
          return { result, table: yield* tableTruth("ev") }
        }),
      ),
    )
    expect(out.result).toMatchObject({
      daysSkipped: committed,
      daysFetched: 8 - committed,
      complete: true,
    })
    expect(out.table).toEqual(truth)
  })

  it("append over an overlap and a lookback keep the set exact", async () => {
    const db = join(dir, "append.duckdb")
    const truth = await sim.truth({ from: FROM, to: "2024-03-10" })
    const out = await ok(
      db,
      withMixpanel((source) =>
        Effect.gen(function* () {
          yield* fetchEvents({ source, table: "ev", request: { from: FROM, to: "2024-03-06" } })
          yield* fetchEvents({
            source,
            table: "ev",
            request: { from: "2024-03-04", to: "2024-03-10" },
            mode: "append",
            lookbackDays: 2,
          })
          return yield* tableTruth("ev")
        }),
      ),
    )
    expect(out).toEqual(truth)
  })

  it("the simulator's raw export through the file source gives the same set", async () => {
    const db = join(dir, "file.duckdb")
    const truth = await sim.truth({ from: FROM, to: TO })
    const file = join(dir, "export.jsonl.gz")
    await Effect.runPromise(
      Effect.scoped(
        Effect.flatMap(makeMixpanelSource(config()), (source) =>
          Effect.promise(() =>
            pipeline(
              Stream.toAsyncIterable(
                Stream.map(source.exportLines({ from: FROM, to: TO }), (l) => `${l}\n`),
              ),
              createGzip(),
              createWriteStream(file),
            ),
          ),
        ),
      ),
    )
    const out = await ok(
      db,
      Effect.gen(function* () {
        const result = yield* importEvents({
          source: makeFileSource({ paths: [file] }),
          table: "ev",
        })
        return { result, table: yield* tableTruth("ev") }
      }),
    )
    expect(out.table).toEqual(truth)
    expect(out.result.duplicates).toBeGreaterThan(0)
  })

  it("profiles: create, then replace, each equal to the truth", async () => {
    const db = join(dir, "profiles.duckdb")
    const truth = await sim.profileTruth()
    const out = await ok(
      db,
      withMixpanel((source) =>
        Effect.gen(function* () {
          const storage = yield* Storage
          const created = yield* fetchProfiles({ source, table: "users" })
          const replaced = yield* fetchProfiles({ source, table: "users", mode: "replace" })
          const ids = yield* storage.query("SELECT distinct_id FROM users")
          return {
            created,
            replaced,
            checksum: profileChecksum(ids.rows.map((r) => String(r[0]))),
            tables: yield* storage.listTables,
          }
        }),
      ),
    )
    expect(out.created.tableRows).toBe(truth.count)
    expect(out.replaced.tableRows).toBe(truth.count)
    expect(out.checksum).toBe(truth.checksum)
    expect(out.tables.map((t) => t.name)).toEqual(["users"])
  })
})

/**
 * The simulator's edge cases (odd `$insert_id` values, id-less events and their redeliveries,
 * a user's events in one second, integers beyond 2^53, the hours a legacy zone's clock change
 * repeats or skips) through a fetch and through an import of the same lines: each must end
 * with the truth's set, each event's stored properties (read as text) included.
 */
describe("the simulator's edge cases", () => {
  const LA = "America/Los_Angeles"
  const ranges = [
    { from: "2024-03-09", to: "2024-03-11" },
    { from: "2024-11-02", to: "2024-11-04" },
  ]
  let legacy: Sim

  beforeAll(async () => {
    legacy = await startSimulator({
      port: 0,
      seed: 17,
      startDate: "2024-03-09",
      days: 241,
      users: 60,
      auth,
      limits: false,
      today: "2024-12-31",
      timeZone: LA,
      edgeCases: true,
    })
  })
  afterAll(() => legacy?.close())

  const legacyConfig = (): MixpanelConfig => ({ ...config(), baseUrl: legacy.url, timeZone: LA })

  /** Count and checksum of a table over keys and properties, as the simulator computes it. */
  const withProperties = (table: string) =>
    Effect.gen(function* () {
      const storage = yield* Storage
      // as text: a JSON column would come back parsed, its big integers rounded
      const result = yield* storage.query(
        `SELECT event_name, distinct_id, epoch_ms(event_time), insert_id, properties::VARCHAR
         FROM ${table}`,
      )
      const acc = new ChecksumAccumulator()
      for (const [name, id, ms, insertId, properties] of result.rows)
        acc.addEvent(String(name), String(id), Number(ms), String(insertId), String(properties))
      return { count: acc.count, checksum: acc.digest() }
    })

  for (const range of ranges) {
    it(`a fetch and an import of the same lines end exact (${range.from}..${range.to})`, async () => {
      const truth = await legacy.truth({ ...range, properties: true })
      const fetched = await ok(
        join(dir, `edge-fetch-${range.from}.duckdb`),
        Effect.scoped(
          Effect.flatMap(makeMixpanelSource(legacyConfig()), (source) =>
            Effect.gen(function* () {
              yield* fetchEvents({ source, table: "ev", request: range, timeZone: LA })
              return yield* withProperties("ev")
            }),
          ),
        ),
      )
      expect(fetched).toEqual(truth)
      const file = join(dir, `edge-${range.from}.jsonl`)
      await Effect.runPromise(
        Effect.scoped(
          Effect.flatMap(makeMixpanelSource(legacyConfig()), (source) =>
            Effect.promise(() =>
              pipeline(
                Stream.toAsyncIterable(Stream.map(source.exportLines(range), (l) => `${l}\n`)),
                createWriteStream(file),
              ),
            ),
          ),
        ),
      )
      const imported = await ok(
        join(dir, `edge-import-${range.from}.duckdb`),
        Effect.gen(function* () {
          yield* importEvents({
            source: makeFileSource({ paths: [file], timeZone: LA }),
            table: "ev",
            timeZone: LA,
          })
          return yield* withProperties("ev")
        }),
      )
      expect(imported).toEqual(truth)
    })
  }

  it("profiles end exact, their properties included", async () => {
    const truth = await legacy.profileTruth({ properties: true })
    const got = await ok(
      join(dir, "edge-profiles.duckdb"),
      Effect.scoped(
        Effect.flatMap(makeMixpanelSource(legacyConfig()), (source) =>
          Effect.gen(function* () {
            const storage = yield* Storage
            yield* fetchProfiles({ source, table: "users" })
            const rows = yield* storage.query("SELECT distinct_id, properties::VARCHAR FROM users")
            const acc = new ChecksumAccumulator()
            for (const [id, properties] of rows.rows) acc.addProfile(String(id), String(properties))
            return { count: acc.count, checksum: acc.digest() }
          }),
        ),
      ),
    )
    expect(got).toEqual(truth)
  })
})
