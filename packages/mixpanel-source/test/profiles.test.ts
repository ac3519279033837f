import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { type ProfilesRequest, rawJsonOf } from "@mixpanel-data/core"
import { DATA_GROUP_ID, profileChecksum, startSimulator } from "@mixpanel-data/mixpanel-sim"
import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { configFor, failureOf, simAuth, tempSpool, useSimulator, withSource } from "./helpers.js"

describe("profiles and discovery", () => {
  const env = useSimulator({
    seed: 21,
    startDate: "2024-02-01",
    days: 10,
    users: 2600,
  })

  const config = () => configFor(env.sim.url, env.spool)
  const fetch = (request: ProfilesRequest) =>
    withSource(config(), (s) => Stream.runCollect(s.profiles(request)))

  const summary = (records: ReadonlyArray<{ distinctId: string }>) => ({
    count: records.length,
    checksum: profileChecksum(records.map((r) => r.distinctId)),
  })

  it("pages through every profile, equal to the truth", async () => {
    env.sim.resetStats()
    const records = await fetch({})
    expect(new Set(records.map((r) => r.distinctId)).size).toBe(records.length)
    expect(summary(records)).toEqual(await env.sim.profileTruth({}))
    const sample = records.find((r) => r.properties.$last_seen !== undefined)
    expect(sample?.lastSeen).toBeInstanceOf(Date)
    expect(sample?.lastSeen?.toISOString().slice(0, 19)).toBe(sample?.properties.$last_seen)
  })

  it("filters with where, output properties and distinct ids", async () => {
    const where = 'properties["plan"] == "pro"'
    const pro = await fetch({ where })
    expect(pro.length).toBeGreaterThan(0)
    expect(summary(pro)).toEqual(await env.sim.profileTruth({ where }))
    for (const p of pro) expect(p.properties.plan).toBe("pro")

    const slim = await fetch({ outputProperties: ["$email"] })
    for (const p of slim) expect(Object.keys(p.properties).every((k) => k === "$email")).toBe(true)

    const ids = pro.slice(0, 3).map((p) => p.distinctId)
    const some = await fetch({ distinctIds: ids })
    expect(some.map((p) => p.distinctId).sort()).toEqual([...ids].sort())
    const one = await fetch({ distinctIds: ids.slice(0, 1) })
    expect(one.map((p) => p.distinctId)).toEqual(ids.slice(0, 1))
  })

  it("filters by cohort, behaviours and group", async () => {
    const cohorts = await withSource(config(), (s) => s.cohorts())
    expect(cohorts.length).toBeGreaterThan(0)
    const cohortId = cohorts[0]!.id
    const inCohort = await fetch({ cohortId, includeAllUsers: false })
    expect(summary(inCohort)).toEqual(
      await env.sim.profileTruth({ cohortId, includeAllUsers: false }),
    )

    const behaviors = [{ window: "30d", name: "buyers", event_selectors: [{ event: "Purchase" }] }]
    const asOfTimestamp = Date.parse("2024-02-11T00:00:00Z") / 1000
    const buyers = await fetch({ behaviors, asOfTimestamp })
    expect(summary(buyers)).toEqual(await env.sim.profileTruth({ behaviors, asOfTimestamp }))

    const groups = await fetch({ groupId: DATA_GROUP_ID })
    expect(groups.length).toBeGreaterThan(0)
    expect(summary(groups)).toEqual(await env.sim.profileTruth({ groupId: DATA_GROUP_ID }))
  })

  it("falls back to /api/2.0/engage when the host lacks /api/query/engage", async () => {
    const legacy = await startSimulator({
      port: 0,
      seed: 21,
      startDate: "2024-02-01",
      days: 10,
      users: 1200,
      auth: simAuth,
      limits: false,
      engagePaths: "legacy-only",
    })
    try {
      const records = await withSource(configFor(legacy.url, env.spool), (s) =>
        Stream.runCollect(s.profiles({})),
      )
      expect(summary(records)).toEqual(await legacy.profileTruth({}))
    } finally {
      await legacy.close()
    }
  })

  it("lists event names, top properties, values, top events, cohorts and funnels", async () => {
    const found = await withSource(config(), (s) =>
      Effect.gen(function* () {
        const few = yield* s.eventNames({ limit: 5 })
        const names = yield* s.eventNames()
        const event = names.includes("Purchase") ? "Purchase" : names[0]!
        const top = yield* s.topProperties(event)
        const property = Object.keys(top)[0]!
        const values = yield* s.propertyValues(event, property)
        const topEvents = yield* s.topEvents({ limit: 3 })
        const funnels = yield* s.funnels()
        return { few, names, top, values, topEvents, funnels }
      }),
    )
    expect(found.few.length).toBeGreaterThan(0)
    expect(found.few.length).toBeLessThanOrEqual(5)
    expect(found.names).toContain("Purchase")
    expect(Object.values(found.top).every((v) => typeof v.count === "number")).toBe(true)
    expect(found.values.length).toBeGreaterThan(0)
    expect(found.topEvents.length).toBeGreaterThan(0)
    expect(typeof found.topEvents[0]!.event).toBe("string")
    expect(found.funnels.length).toBeGreaterThan(0)
  })
})

describe("an engage page holding a result that is not a profile", () => {
  it("fails naming the page and the result: no profile is dropped", async () => {
    const pages = [
      [
        { $distinct_id: "a", $properties: {} },
        { $distinct_id: 5, $properties: {} },
      ],
      [{ $distinct_id: "b", $properties: [] }],
      [{ $distinct_id: "c" }, 42],
    ]
    const failures = []
    for (const results of pages) {
      const server = createServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({ page: 0, page_size: 1000, session_id: "s", total: 2, results }))
      })
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      const { port } = server.address() as AddressInfo
      try {
        failures.push(
          await failureOf(configFor(`http://127.0.0.1:${port}`, tempSpool()), (s) =>
            Stream.runCollect(s.profiles({})),
          ),
        )
      } finally {
        server.close()
      }
    }
    expect(failures.map((f) => [f._tag, f.message])).toEqual([
      [
        "InvalidSourceInput",
        'engage page 0: results[1]: "$distinct_id" is missing or not a non-empty string',
      ],
      ["InvalidSourceInput", 'engage page 0: results[0]: "$properties" must be an object'],
      ["InvalidSourceInput", "engage page 0: results[1]: expected a profile object"],
    ])
  })
})

describe("an engage page holding integers beyond 2^53", () => {
  it("hands each profile's properties on with their exact text", async () => {
    const body =
      '{"page":0,"page_size":1000,"session_id":"s","total":2,"results":[{"$distinct_id":"a","$properties":{"id":9007199254740993}},{"$distinct_id":"b","$properties":{"n":1}}]}'
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" })
      res.end(body)
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const { port } = server.address() as AddressInfo
    try {
      const records = await withSource(configFor(`http://127.0.0.1:${port}`, tempSpool()), (s) =>
        Stream.runCollect(s.profiles({})),
      )
      expect(records.map((r) => [r.distinctId, rawJsonOf(r.properties)])).toEqual([
        ["a", '{"id":9007199254740993}'],
        ["b", undefined],
      ])
    } finally {
      server.close()
    }
  })
})
