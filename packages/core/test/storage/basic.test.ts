import { join } from "node:path"
import { ConfigProvider, Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { Storage, storageLayer, storageLayerConfig } from "../../src/index.js"
import {
  events,
  eventsMeta,
  fromArray,
  profiles,
  profilesMeta,
  useTempDir,
  withStore,
} from "./helpers.js"

const tempDir = useTempDir()

describe("storage basics", () => {
  it("creates, appends, lists and queries", async () => {
    const path = join(tempDir(), "db", "basic.duckdb")
    const out = await withStore({ mode: "file", path }, (s) =>
      Effect.gen(function* () {
        const created = yield* s.createEventsTable("ev", fromArray(events(1000)), eventsMeta())
        const appended = yield* s.appendEvents("ev", fromArray(events(1500, 500)))
        const p = yield* s.createProfilesTable("users", fromArray(profiles(100)), profilesMeta())
        const tables = yield* s.listTables
        const count = yield* s.queryScalar("SELECT count(*) FROM ev")
        const rows = yield* s.queryObjects("SELECT * FROM ev ORDER BY insert_id LIMIT 1")
        return { created, appended, p, tables, count, rows }
      }),
    )
    expect(out.created).toBe(1000)
    expect(out.appended).toEqual({ inserted: 1000, duplicates: 500 })
    expect(out.count).toBe(2000)
    expect(out.p).toBe(100)
    expect(out.tables.map((t) => [t.name, t.type, t.rowCount])).toEqual([
      ["ev", "events", 2000],
      ["users", "profiles", 100],
    ])
  })
})

describe("storageLayer", () => {
  it("provides the Storage service and closes the store with the layer", async () => {
    const path = join(tempDir(), "layer.duckdb")
    const count = await Effect.runPromise(
      Effect.gen(function* () {
        const storage = yield* Storage
        yield* storage.createEventsTable("ev", fromArray(events(12)), eventsMeta())
        return yield* storage.queryScalar("SELECT count(*) FROM ev")
      }).pipe(Effect.provide(storageLayer({ mode: "file", path }))),
    )
    expect(count).toBe(12)
    const reopened = await withStore({ mode: "existing", path }, (s) => s.listTables)
    expect(reopened.map((t) => t.name)).toEqual(["ev"])
  })

  it("opens the store its Config describes (MP_DB, MP_MEMORY_LIMIT) and refuses a bad budget", async () => {
    const path = join(tempDir(), "config.duckdb")
    const env = (vars: Record<string, string>) =>
      ConfigProvider.layer(ConfigProvider.fromEnvRecord(vars))
    const setting = await Effect.runPromise(
      Effect.gen(function* () {
        const storage = yield* Storage
        return {
          path: storage.path,
          limit: yield* storage.queryScalar("SELECT current_setting('memory_limit')"),
        }
      }).pipe(
        Effect.provide(
          Layer.provide(storageLayerConfig(), env({ MP_DB: path, MP_MEMORY_LIMIT: "300MB" })),
        ),
      ),
    )
    expect(setting.path).toBe(path)
    expect(String(setting.limit)).toMatch(/MiB|MB/)
    const bad = await Effect.runPromise(
      Effect.flip(
        Effect.provide(
          Effect.asVoid(Storage),
          Layer.provide(storageLayerConfig(), env({ MP_DB: path, MP_MEMORY_LIMIT: "lots" })),
        ),
      ),
    )
    expect(bad._tag).toBe("ConfigError")
    const missing = await Effect.runPromise(
      Effect.flip(
        Effect.provide(Effect.asVoid(Storage), Layer.provide(storageLayerConfig(), env({}))),
      ),
    )
    expect(missing._tag).toBe("ConfigError")
  })
})
