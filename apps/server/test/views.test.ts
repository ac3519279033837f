import { join } from "node:path"
import { type EventRecord, openStore } from "@mixpanel-data/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningServer, removeDir, requireBundle, startServer, tempDir } from "./harness.js"

let dir: string
let server: RunningServer

const event = (i: number): EventRecord => ({
  eventName: i % 2 ? "Sign Up" : "Page View",
  time: new Date(Date.UTC(2024, 2, 1, 0, 0, i)),
  distinctId: `user-${i % 4}`,
  insertId: `ins-${i}`,
  properties: { $os: i % 3 ? "iOS" : "Android", amount: i, paid: i % 2 === 0 },
})

beforeAll(async () => {
  requireBundle()
  dir = tempDir()
  const db = join(dir, "data.duckdb")
  // a typed view made by the engine before the server opens the file
  const store = await openStore({ mode: "file", path: db })
  try {
    await store.createEventsTable(
      "events",
      Array.from({ length: 12 }, (_, i) => event(i)),
      {
        type: "events",
        fetchedAt: new Date("2024-03-02T00:00:00Z"),
        fromDate: "2024-03-01",
        toDate: "2024-03-01",
        filters: {},
        source: { name: "file", params: {} },
      },
    )
    await store.createView("events")
  } finally {
    await store.close()
  }
  server = await startServer({ db })
})

afterAll(async () => {
  await server?.stop()
  if (dir) removeDir(dir)
})

describe("typed views on the server", () => {
  it("lists a view as a view beside its table", async () => {
    const { status, body } = await server.json("/tables")
    expect(status).toBe(200)
    expect(body.map((t: any) => [t.name, t.kind, t.type, t.rowCount])).toEqual([
      ["events", "table", "events", 12],
      ["events_typed", "view", "events", 12],
    ])
  })

  it("describes and samples a view like a table", async () => {
    const detail = await server.json("/tables/events_typed")
    expect(detail.status).toBe(200)
    expect(detail.body.columns.map((c: any) => [c.name, c.type])).toEqual([
      ["event_name", "VARCHAR"],
      ["event_time", "TIMESTAMP"],
      ["distinct_id", "VARCHAR"],
      ["insert_id", "VARCHAR"],
      ["properties", "JSON"],
      ["$os", "VARCHAR"],
      ["amount", "BIGINT"],
      ["paid", "BOOLEAN"],
    ])
    expect(detail.body.metadata).toMatchObject({
      type: "events",
      source: { name: "view", params: { table: "events", top: 50 } },
    })
    const sample = await server.json("/tables/events_typed/sample?n=3")
    expect(sample.status).toBe(200)
    expect(sample.body.rows).toHaveLength(3)
  })

  it("answers a SELECT from a view through the SQL guard", async () => {
    const { status, body } = await server.query({
      sql: 'SELECT "$os", count(*)::INTEGER AS n, sum(amount)::INTEGER AS total FROM events_typed WHERE paid GROUP BY 1 ORDER BY 1',
    })
    expect(status).toBe(200)
    expect(body.rows).toEqual([
      ["Android", 2, 6],
      ["iOS", 4, 24],
    ])
    const write = await server.query({ sql: "DROP VIEW events_typed" })
    expect(write.status).toBe(403)
  })
})
