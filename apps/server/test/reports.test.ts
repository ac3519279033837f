import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { postJob, serverForFile, waitForJob } from "./harness.js"

const line = (event: string, user: string, iso: string, insertId: string, extra = {}) =>
  JSON.stringify({
    event,
    properties: { time: Date.parse(iso) / 1000, distinct_id: user, $insert_id: insertId, ...extra },
  })

// 2024-03-01 is a Friday.
const events = [
  line("A", "u1", "2024-03-01T10:00:00Z", "1", { country: "US" }),
  line("A", "u1", "2024-03-01T10:00:00Z", "1", { country: "US" }), // a duplicate: merged
  line("A", "u2", "2024-03-01T11:00:00Z", "2", { country: "FR" }),
  line("B", "u1", "2024-03-01T12:00:00Z", "3"),
  line("A", "u3", "2024-03-02T09:00:00Z", "4", { country: "US" }),
  line("B", "u3", "2024-03-03T08:00:00Z", "5"),
]

const served = serverForFile((dir) => {
  const imports = join(dir, "imports")
  mkdirSync(imports)
  writeFileSync(join(imports, "events.jsonl"), `${events.join("\n")}\n`)
  writeFileSync(
    join(imports, "profiles.jsonl"),
    `${JSON.stringify({ $distinct_id: "u1", $properties: {} })}\n`,
  )
  return { args: ["--import-dir", imports] }
})

const range = "from=2024-03-01&to=2024-03-03"
const days = { "2024-03-01": 0, "2024-03-02": 0, "2024-03-03": 0 }

beforeAll(async () => {
  const { server } = served
  for (const [kind, table] of [
    ["events", "events"],
    ["profiles", "people"],
  ]) {
    const job = await postJob(server, {
      source: "file",
      kind,
      table,
      paths: [`${kind}.jsonl`],
    })
    expect(job.status).toBe(202)
    const done = await waitForJob(server, job.body.id)
    expect(done.status, JSON.stringify(done.error)).toBe("succeeded")
  }
})

const get = (path: string) => served.server.json(`/reports/${path}`)

describe("GET /reports/…", () => {
  it("segmentation answers Mixpanel's shape, duplicates counted once", async () => {
    const general = await get(`segmentation?event=A&${range}`)
    expect(general.status).toBe(200)
    expect(general.body).toEqual({
      data: {
        series: ["2024-03-01", "2024-03-02", "2024-03-03"],
        values: { A: { "2024-03-01": 2, "2024-03-02": 1, "2024-03-03": 0 } },
      },
      legend_size: 1,
    })
    const unique = await get(`segmentation?event=A&${range}&on=country&type=unique&limit=5`)
    expect(unique.status).toBe(200)
    expect(Object.keys(unique.body.data.values)).toEqual(["US", "FR"])
    expect(unique.body.data.values).toEqual({
      US: { ...days, "2024-03-01": 1, "2024-03-02": 1 },
      FR: { ...days, "2024-03-01": 1 },
    })
    const where = await get(
      `segmentation?event=A&${range}&where=${encodeURIComponent("distinct_id <> 'u1'")}`,
    )
    expect(where.body.data.values.A).toEqual({ ...days, "2024-03-01": 1, "2024-03-02": 1 })
  })

  it("active, frequency, funnel and retention", async () => {
    const active = await get(`active?${range}`)
    expect(active.status).toBe(200)
    expect(active.body).toEqual({
      data: {
        series: ["2024-03-01", "2024-03-02", "2024-03-03"],
        values: { "active users": { "2024-03-01": 2, "2024-03-02": 1, "2024-03-03": 1 } },
      },
      legend_size: 1,
    })
    const frequency = await get(`frequency?event=A&${range}&unit=week&subUnit=day`)
    expect(frequency.status).toBe(200)
    expect(frequency.body).toEqual({ data: { "2024-02-26": [3, 0, 0, 0, 0, 0, 0] } })
    const funnel = await get(`funnel?steps=A&steps=B&${range}&window=1d`)
    expect(funnel.status).toBe(200)
    expect(funnel.body.meta.dates).toEqual(["2024-03-01"])
    expect(funnel.body.data["2024-03-01"].steps.map((s: any) => s.count)).toEqual([3, 2])
    const retention = await get(`retention?born=A&return=B&${range}&intervals=1&unbounded=false`)
    expect(retention.status).toBe(200)
    expect(retention.body).toEqual({
      "2024-03-01": { counts: [1, 0], first: 2 },
      "2024-03-02": { counts: [1, 0], first: 1 },
      "2024-03-03": { counts: [0, 0], first: 0 },
    })
  })

  it("needs the token", async () => {
    const response = await fetch(`${served.server.url}/reports/active?${range}`)
    expect(response.status).toBe(401)
  })

  it("answers typed 4xx for bad options and tables", async () => {
    const cases: Array<[string, number, Record<string, unknown>]> = [
      [
        `segmentation?event=A&from=2024-03-03&to=2024-03-01`,
        400,
        { _tag: "InvalidReportOptions", option: "from" },
      ],
      [
        `segmentation?event=A&${range}&unit=minute`,
        400,
        { _tag: "InvalidReportOptions", option: "unit" },
      ],
      [
        `segmentation?event=A&${range}&limit=0`,
        400,
        { _tag: "InvalidReportOptions", option: "limit" },
      ],
      [
        `segmentation?event=A&${range}&where=nope%20%3D%201`,
        400,
        { _tag: "InvalidReportOptions", option: "where" },
      ],
      [`segmentation?${range}`, 400, { _tag: "InvalidRequest" }],
      [`funnel?steps=A&${range}`, 400, { _tag: "InvalidReportOptions", option: "steps" }],
      [
        `frequency?event=A&${range}&unit=day&subUnit=week`,
        400,
        { _tag: "InvalidReportOptions", option: "subUnit" },
      ],
      [`active?${range}&table=people`, 400, { _tag: "InvalidReportOptions", option: "table" }],
      [`active?${range}&table=bad-name`, 400, { _tag: "InvalidTableName" }],
      [`active?${range}&table=nope`, 404, { _tag: "TableNotFound", table: "nope" }],
    ]
    for (const [path, status, body] of cases) {
      const answer = await get(path)
      expect(answer.status, path).toBe(status)
      expect(answer.body, path).toMatchObject(body)
      expect(typeof answer.body.message).toBe("string")
    }
  })

  it("a where passes the SQL guard and stays one expression", async () => {
    const forbidden = await get(
      `segmentation?event=A&${range}&where=${encodeURIComponent("getenv('HOME') IS NOT NULL")}`,
    )
    expect(forbidden.status).toBe(403)
    expect(forbidden.body._tag).toBe("ForbiddenStatement")
    for (const where of [
      "true; DROP TABLE events",
      "true) UNION SELECT 1 WHERE (true",
      "true)\nGROUP BY (1",
    ]) {
      const answer = await get(`segmentation?event=A&${range}&where=${encodeURIComponent(where)}`)
      expect(answer.status, where).toBeGreaterThanOrEqual(400)
      expect(answer.status, where).toBeLessThan(500)
    }
    const tables = await served.server.json("/tables")
    expect(tables.body.map((t: any) => t.name)).toContain("events")
  })

  it("is in the OpenAPI document", async () => {
    const { body } = await served.server.json("/openapi.json")
    for (const kind of ["segmentation", "funnel", "retention", "frequency", "active"]) {
      const operation = body.paths[`/reports/${kind}`]?.get
      expect(operation, kind).toBeDefined()
      expect(operation.security).toBeDefined()
      expect(Object.keys(operation.responses)).toEqual(
        expect.arrayContaining(["200", "400", "401", "404"]),
      )
    }
  })
})
