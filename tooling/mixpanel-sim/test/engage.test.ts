import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { profileChecksum, type Simulator, startSimulator } from "../src/index.js"
import { basic, engage, raw } from "./helpers.js"

let sim: Simulator

beforeAll(async () => {
  sim = await startSimulator({ users: 2500, days: 3, limits: false })
})
afterAll(() => sim.close())

const all = async (form: Record<string, string>, path?: string): Promise<any[]> => {
  const first = await engage(sim, form, path)
  expect(first.status).toBe(200)
  const pages = Math.ceil(first.json.total / first.json.page_size)
  const rest = await Promise.all(
    Array.from({ length: Math.max(0, pages - 1) }, (_, i) =>
      engage(sim, { ...form, page: String(i + 1), session_id: first.json.session_id }, path),
    ),
  )
  return [first, ...rest].flatMap((p) => p.json.results)
}

describe("engage", () => {
  it("pages 1000 at a time with a session id; pages fetched concurrently equal the truth", async () => {
    const first = await engage(sim, {})
    expect(first.json).toMatchObject({ page: 0, page_size: 1000, status: "ok", total: 2500 })
    expect(first.json.session_id).toMatch(/^\d+-[0-9A-Z]+$/)
    const profiles = await all({})
    expect(profiles).toHaveLength(2500)
    const p = profiles[0].$properties
    for (const k of [
      "$created",
      "$last_seen",
      "$email",
      "$name",
      "plan",
      "$city",
      "mp_country_code",
    ])
      expect(p).toHaveProperty(k)
    expect(p.$created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/)
    const truth = await sim.profileTruth()
    expect({
      count: profiles.length,
      checksum: profileChecksum(profiles.map((x) => x.$distinct_id)),
    }).toEqual(truth)
  })

  it("later pages require the session id", async () => {
    const r = await engage(sim, { page: "1" })
    expect(r.status).toBe(400)
    expect(r.json.status).toBe("error")
    expect((await engage(sim, { page: "1", session_id: "nope" })).status).toBe(400)
  })

  it("filters by where, distinct ids, cohorts and groups like the truth", async () => {
    const cases: Array<[Record<string, string>, Parameters<Simulator["profileTruth"]>[0]]> = [
      [{ where: 'properties["plan"] == "pro"' }, { where: 'properties["plan"] == "pro"' }],
      [
        { distinct_ids: JSON.stringify(["u-1", "u-2", "missing"]) },
        { distinctIds: ["u-1", "u-2", "missing"] },
      ],
      [{ filter_by_cohort: JSON.stringify({ id: 102 }) }, { cohortId: 102 }],
      [
        { filter_by_cohort: JSON.stringify({ id: 103 }), include_all_users: "false" },
        { cohortId: 103, includeAllUsers: false },
      ],
      [{ data_group_id: "1" }, { groupId: "1" }],
    ]
    for (const [form, req] of cases) {
      const got = await all(form)
      const truth = await sim.profileTruth(req)
      expect(truth.count).toBeGreaterThan(0)
      expect({
        count: got.length,
        checksum: profileChecksum(got.map((x) => x.$distinct_id)),
      }).toEqual(truth)
    }
    const groups = await all({ data_group_id: "1" })
    expect(groups[0].$distinct_id).toMatch(/^c-\d+$/)
  })

  it("output_properties limits the properties", async () => {
    const r = await engage(sim, { output_properties: JSON.stringify(["$email", "plan"]) })
    expect(Object.keys(r.json.results[0].$properties).sort()).toEqual(["$email", "plan"])
  })

  it("behaviors need as_of_timestamp past 1000 profiles", async () => {
    const behaviors = JSON.stringify([
      { window: "30d", name: "b", event_selectors: [{ event: "App Open" }] },
    ])
    const without = await engage(sim, { behaviors, where: 'behaviors["b"] >= 0' })
    expect(without.status).toBe(400)
    const asOf = String(Date.UTC(2024, 0, 4) / 1000)
    const got = await all({ behaviors, where: 'behaviors["b"] > 0', as_of_timestamp: asOf })
    const truth = await sim.profileTruth({
      behaviors: JSON.parse(behaviors),
      where: 'behaviors["b"] > 0',
      asOfTimestamp: Number(asOf),
    })
    expect(got.length).toBe(truth.count)
    expect(truth.count).toBeGreaterThan(0)
    expect(truth.count).toBeLessThan(2500)
  })

  it("serves the legacy path, and only it in legacy-only mode", async () => {
    expect((await engage(sim, {}, "/api/2.0/engage")).json.total).toBe(2500)
    const legacy = await startSimulator({ users: 10, days: 1, engagePaths: "legacy-only" })
    try {
      const r = await raw(legacy, "/api/query/engage?project_id=1", { method: "POST" })
      expect(r.status).toBe(404)
      expect((await raw(legacy, "/api/2.0/engage?project_id=1", { method: "POST" })).status).toBe(
        200,
      )
    } finally {
      await legacy.close()
    }
  })
})

describe("auth", () => {
  const path = "/api/2.0/export?from_date=2024-01-01&to_date=2024-01-01"
  it("answers 401, 400 and 403 like Mixpanel, and takes the legacy secret", async () => {
    const bad = await raw(sim, `${path}&project_id=1`, {
      headers: { authorization: basic("sim-user", "wrong") },
    })
    expect(bad.status).toBe(401)
    expect(JSON.parse(bad.body.toString())).toMatchObject({ status: "error" })
    expect(
      (await raw(sim, `${path}&project_id=1`, { headers: { authorization: "" } })).status,
    ).toBe(401)
    expect((await raw(sim, path)).status).toBe(400)
    expect((await raw(sim, `${path}&project_id=2`)).status).toBe(403)
    expect(
      (await raw(sim, path, { headers: { authorization: basic("sim-secret", "") } })).status,
    ).toBe(200)
    expect(sim.stats().authFailures["401"]).toBeGreaterThanOrEqual(2)
  })
})

describe("discovery", () => {
  const get = async (path: string, method = "GET") => {
    const r = await raw(sim, `${path}${path.includes("?") ? "&" : "?"}project_id=1`, { method })
    expect(r.status).toBe(200)
    return JSON.parse(r.body.toString())
  }
  it("lists names, properties, values, top events, cohorts, funnels and schemas", async () => {
    const names = await get("/api/query/events/names?type=general")
    expect(names).toContain("Purchase")
    const props = await get("/api/query/events/properties/top?event=Purchase")
    expect(props.amount.count).toBeGreaterThan(0)
    expect(Object.keys(props)).toHaveLength(10)
    expect(await get("/api/query/events/properties/values?event=Purchase&name=currency")).toContain(
      "USD",
    )
    const top = await get("/api/query/events/top?type=general&limit=3")
    expect(top.events).toHaveLength(3)
    const cohorts = await get("/api/query/cohorts/list", "POST")
    expect(cohorts.map((c: any) => c.id)).toEqual([101, 102, 103, 104])
    expect(cohorts[0].count).toBe((await sim.profileTruth({ cohortId: 101 })).count)
    expect((await get("/api/query/funnels/list"))[0]).toHaveProperty("funnel_id")
    const schemas = await raw(sim, "/api/app/projects/1/schemas/event")
    expect(
      JSON.parse(schemas.body.toString()).results.some((r: any) => r.name === "Purchase"),
    ).toBe(true)
  })

  it("limits lexicon to 5 a minute", async () => {
    const s = await startSimulator({ users: 20, days: 1 })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 6; i++)
        statuses.push((await raw(s, "/api/app/projects/1/schemas")).status)
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
      expect((await raw(s, "/api/app/projects/2/schemas")).status).toBe(403)
      expect(s.stats().lexicon.rateLimited).toBe(1)
    } finally {
      await s.close()
    }
  })
})
