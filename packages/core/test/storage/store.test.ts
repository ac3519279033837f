import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { describe, expect, it } from "vitest"
import { openStore } from "../../src/index.js"
import { events, eventsMeta, profiles, profilesMeta, useTempDir } from "./helpers.js"

const tempDir = useTempDir()

async function* slowly<A>(items: ReadonlyArray<A>) {
  for (const item of items) yield item
}

describe("Promise facade", () => {
  it("creates, appends, queries and streams with async methods", async () => {
    const path = join(tempDir(), "store.duckdb")
    const store = await openStore({ mode: "file", path })
    try {
      expect(await store.createEventsTable("ev", events(100), eventsMeta())).toBe(100)
      expect(await store.appendEvents("ev", slowly(events(20, 90)))).toEqual({
        inserted: 10,
        duplicates: 10,
      })
      expect(await store.createProfilesTable("people", slowly(profiles(5)), profilesMeta())).toBe(5)
      expect((await store.listTables()).map((t) => t.name)).toEqual(["ev", "people"])
      expect(
        await store.queryScalar("SELECT count(*) FROM ev WHERE event_name = ?", ["Sign Up"]),
      ).toBe(37)
      expect(await store.tableExists("ev")).toBe(true)
      expect((await store.getSchema("people")).columns[0]?.primaryKey).toBe(true)
      let rows = 0
      for await (const batch of store.queryStream("SELECT * FROM range(5000)")) rows += batch.length
      expect(rows).toBe(5000)
      await store.dropTable("people")
      expect(await store.tableExists("people")).toBe(false)
    } finally {
      await store.close()
    }
    await store.close() // idempotent
  })

  it("rejects with the tagged errors", async () => {
    const store = await openStore({ mode: "memory" })
    try {
      await expect(store.dropTable("nope")).rejects.toMatchObject({ _tag: "TableNotFound" })
      await expect(store.query("SELEC")).rejects.toMatchObject({ _tag: "QueryError", sql: "SELEC" })
      await expect(store.createEventsTable("bad name", [], eventsMeta())).rejects.toMatchObject({
        _tag: "InvalidTableName",
      })
      const broken = (async function* () {
        yield events(1)[0]!
        throw new Error("upstream failed")
      })()
      await expect(store.createEventsTable("ev", broken, eventsMeta())).rejects.toThrow(
        "upstream failed",
      )
      expect(await store.tableExists("ev")).toBe(false)
    } finally {
      await store.close()
    }
    await expect(
      openStore({ mode: "existing", path: join(tempDir(), "no.duckdb") }),
    ).rejects.toMatchObject({
      _tag: "DatabaseNotFound",
    })
  })

  it("disposes with await using semantics, removing an ephemeral store", async () => {
    const store = await openStore({ mode: "ephemeral" })
    await store.createEventsTable("ev", events(10), eventsMeta())
    expect(existsSync(store.path)).toBe(true)
    await store[Symbol.asyncDispose]()
    expect(existsSync(dirname(store.path))).toBe(false)
  })
})
