import { mkdirSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { writeEvents, writeProfiles } from "./fixtures.js"
import {
  postJob,
  type RunningServer,
  removeDir,
  requireBundle,
  startServer,
  tempDir,
  waitForJob,
} from "./harness.js"

let dir: string
let server: RunningServer

beforeAll(async () => {
  requireBundle()
  dir = tempDir()
  const imports = join(dir, "imports")
  mkdirSync(imports)
  writeEvents(imports, "events.jsonl", 1200)
  writeProfiles(imports, "profiles.jsonl", 40)
  // links inside the import folder that lead out of it: to a file, and to a folder
  const secret = join(dir, "outside.jsonl")
  writeFileSync(secret, "{}\n")
  symlinkSync(secret, join(imports, "link.jsonl"))
  symlinkSync(dir, join(imports, "up"))
  server = await startServer({
    db: join(dir, "data.duckdb"),
    args: ["--import-dir", imports, "--max-rows", "100"],
  })
  const events = await postJob(server, {
    source: "file",
    kind: "events",
    table: "events",
    paths: ["events.jsonl"],
  })
  const profiles = await postJob(server, {
    source: "file",
    kind: "profiles",
    table: "profiles",
    paths: ["profiles.jsonl"],
  })
  expect(events.status).toBe(202)
  expect(profiles.status).toBe(202)
  for (const job of [events.body, profiles.body]) {
    const done = await waitForJob(server, job.id)
    expect(done.status, JSON.stringify(done.error)).toBe("succeeded")
  }
})

afterAll(async () => {
  await server?.stop()
  if (dir) removeDir(dir)
})

describe("GET /health", () => {
  it("answers without a token, with memory and job counts", async () => {
    const response = await fetch(`${server.url}/health`)
    expect(response.status).toBe(200)
    const body: any = await response.json()
    expect(body.status).toBe("ok")
    expect(body.memory.rssBytes).toBeGreaterThan(0)
    expect(body.memory.peakRssBytes).toBeGreaterThanOrEqual(body.memory.rssBytes)
    expect(body.jobs).toEqual({ queued: 0, running: 0 })
  })
})

describe("tables", () => {
  it("lists tables with type, rows and completeness", async () => {
    const { status, body } = await server.json("/tables")
    expect(status).toBe(200)
    const byName = Object.fromEntries(body.map((t: any) => [t.name, t]))
    expect(byName.events).toMatchObject({ type: "events", rowCount: 1200, complete: true })
    expect(byName.profiles).toMatchObject({ type: "profiles", rowCount: 40 })
    expect(typeof byName.events.fetchedAt).toBe("string")
  })

  it("describes one table: columns and metadata", async () => {
    const { status, body } = await server.json("/tables/events")
    expect(status).toBe(200)
    expect(body.name).toBe("events")
    expect(body.columns.map((c: any) => c.name)).toEqual([
      "event_name",
      "event_time",
      "distinct_id",
      "insert_id",
      "properties",
    ])
    expect(body.metadata).toMatchObject({
      type: "events",
      fromDate: "2024-03-01",
      toDate: "2024-03-03",
      source: { name: "file" },
    })
  })

  it("samples n rows", async () => {
    const { status, body } = await server.json("/tables/events/sample?n=5")
    expect(status).toBe(200)
    expect(body.rows).toHaveLength(5)
    expect(body.columns.map((c: any) => c.name)).toContain("event_name")
  })

  it("answers 404 for a missing table and 400 for a bad name", async () => {
    const missing = await server.json("/tables/nope")
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({ _tag: "TableNotFound", table: "nope" })
    const sample = await server.json("/tables/nope/sample")
    expect(sample.status).toBe(404)
    const bad = await server.json("/tables/bad-name")
    expect(bad.status).toBe(400)
    expect(bad.body._tag).toBe("InvalidTableName")
    const badN = await server.json("/tables/events/sample?n=zero")
    expect(badN.status).toBe(400)
    expect(badN.body._tag).toBe("InvalidRequest")
  })
})

describe("POST /query", () => {
  it("answers JSON with columns and rows, parameters bound", async () => {
    const { status, body } = await server.query({
      sql: "SELECT event_name, count(*)::INTEGER AS n FROM events WHERE distinct_id <> ? GROUP BY 1 ORDER BY 1",
      params: ["nobody"],
    })
    expect(status).toBe(200)
    expect(body.columns).toEqual([
      { name: "event_name", type: "VARCHAR" },
      { name: "n", type: "INTEGER" },
    ])
    expect(body.rows).toEqual([
      ["Page View", 400],
      ["Purchase", 400],
      ["Sign Up", 400],
    ])
    expect(body.truncated).toBe(false)
  })

  it("cuts JSON answers at the limit, and at --max-rows by default", async () => {
    const limited = await server.query({ sql: "SELECT * FROM range(50)", limit: 7 })
    expect(limited.body.rows).toHaveLength(7)
    expect(limited.body.truncated).toBe(true)
    const byDefault = await server.query({ sql: "SELECT * FROM range(1000)" })
    expect(byDefault.body.rows).toHaveLength(100)
    expect(byDefault.body.truncated).toBe(true)
  })

  it("streams ndjson, one object per row", async () => {
    const response = await server.call("/query", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        sql: "SELECT range AS i, 'x' || range AS s FROM range(3)",
        format: "ndjson",
      }),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toContain("application/x-ndjson")
    const lines = (await response.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
    expect(lines).toEqual([
      { i: 0, s: "x0" },
      { i: 1, s: "x1" },
      { i: 2, s: "x2" },
    ])
  })

  it("answers jsonl as another name for ndjson, keeping the types' meaning", async () => {
    const response = await server.call("/query", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        sql: `SELECT 9007199254740993::BIGINT AS big, TIMESTAMP '2024-05-01 10:00:00.5' AS t,
                '{"n":12345678901234567890}'::JSON AS j, [1.5, NULL] AS l -- a comment`,
        format: "jsonl",
      }),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toContain("application/x-ndjson")
    expect(await response.text()).toBe(
      '{"big":"9007199254740993","t":"2024-05-01T10:00:00.500Z","j":{"n":12345678901234567890},"l":[1.5,null]}\n',
    )
  })

  it("streams CSV with a header, quoting where needed", async () => {
    const response = await server.call("/query", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        sql: "SELECT 1 AS a, 'x, y' AS b UNION ALL SELECT 2, 'plain' ORDER BY a",
        format: "csv",
      }),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toContain("text/csv")
    expect(await response.text()).toBe('a,b\r\n1,"x, y"\r\n2,plain\r\n')
  })

  it("answers an empty stream with just the header", async () => {
    const response = await server.call("/query", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sql: "SELECT 1 AS a WHERE false", format: "csv" }),
    })
    expect(await response.text()).toBe("a\r\n")
  })

  it("rejects a malformed request with InvalidRequest", async () => {
    const wrongType = await server.query({ sql: 5 })
    expect(wrongType.status).toBe(400)
    expect(wrongType.body._tag).toBe("InvalidRequest")
    const wrongFormat = await server.query({ sql: "SELECT 1", format: "xml" })
    expect(wrongFormat.status).toBe(400)
    const notJson = await server.call("/query", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    })
    expect(notJson.status).toBe(400)
  })
})

describe("jobs", () => {
  it("lists jobs and reports each one", async () => {
    const { body } = await server.json("/jobs")
    expect(body.length).toBeGreaterThanOrEqual(2)
    const job = body.find((j: any) => j.request.table === "events")
    expect(job.status).toBe("succeeded")
    expect(job.result).toMatchObject({ rows: 1200 })
    expect(job.progress.rowsReceived).toBe(1200)
    const one = await server.json(`/jobs/${job.id}`)
    expect(one.body.id).toBe(job.id)
    expect((await server.json("/jobs/nope")).status).toBe(404)
    expect((await server.json("/jobs/nope", { method: "DELETE" })).status).toBe(404)
  })

  it("refuses files outside the import folder and bad requests", async () => {
    const outside = await postJob(server, {
      source: "file",
      kind: "events",
      table: "etc",
      paths: ["/etc/passwd"],
    })
    expect(outside.status).toBe(403)
    expect(outside.body._tag).toBe("ForbiddenPath")
    const climbing = await postJob(server, {
      source: "file",
      kind: "events",
      table: "etc",
      paths: ["../../etc/passwd"],
    })
    expect(climbing.status).toBe(403)
    for (const paths of [["link.jsonl"], ["up/outside.jsonl"], ["up/imports/../outside.jsonl"]]) {
      const linked = await postJob(server, { source: "file", kind: "events", table: "etc", paths })
      expect(linked.status, paths[0]).toBe(403)
      expect(linked.body._tag).toBe("ForbiddenPath")
    }
    const badName = await postJob(server, {
      source: "file",
      kind: "events",
      table: "_hidden",
      paths: ["events.jsonl"],
    })
    expect(badName.status).toBe(400)
    expect(badName.body._tag).toBe("InvalidTableName")
    const noCredentials = await postJob(server, {
      source: "mixpanel",
      kind: "events",
      table: "mp",
      from: "2024-03-01",
      to: "2024-03-02",
    })
    expect(noCredentials.status).toBe(400)
    expect(noCredentials.body._tag).toBe("InvalidJob")
    expect(noCredentials.body.message).toContain("MP_SECRET")
  })

  it("fails a job whose table exists, with the pipeline's error", async () => {
    const again = await postJob(server, {
      source: "file",
      kind: "profiles",
      table: "events",
      paths: ["profiles.jsonl"],
    })
    const done = await waitForJob(server, again.body.id)
    expect(done.status).toBe("failed")
    expect(done.error._tag).toMatch(/TableExists|TableTypeMismatch/)
  })
})

describe("OpenAPI and docs", () => {
  it("serves an OpenAPI 3.1 document of every route", async () => {
    const { status, body } = await server.json("/openapi.json")
    expect(status).toBe(200)
    expect(body.openapi).toBe("3.1.0")
    expect(Object.keys(body.paths).sort()).toEqual([
      "/health",
      "/jobs",
      "/jobs/{id}",
      "/jobs/{id}/events",
      "/query",
      "/reports/active",
      "/reports/frequency",
      "/reports/funnel",
      "/reports/retention",
      "/reports/segmentation",
      "/tables",
      "/tables/{name}",
      "/tables/{name}/sample",
      "/tables/{name}/verify",
    ])
    expect(JSON.stringify(body.components.securitySchemes)).toContain("bearer")
  })

  it("serves a self-contained docs page (no external scripts)", async () => {
    const response = await server.call("/docs")
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(html).toContain("<!doctype html>")
    expect(html).not.toMatch(/<script[^>]+src=/)
    expect(html).toContain("mixpanel-data server")
  })
})
