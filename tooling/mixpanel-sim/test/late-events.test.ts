import { gunzipSync } from "node:zlib"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Simulator, startSimulator } from "../src/index.js"
import { exportPath, exportText, naiveTruth, parseLines, raw } from "./helpers.js"
import { query, utcMs } from "./query-helpers.js"

let sim: Simulator
const day = { from_date: "2024-01-03", to_date: "2024-01-03" }

beforeAll(async () => {
  sim = await startSimulator({
    users: 200,
    days: 5,
    today: "2024-01-05",
    limits: false,
    prerender: true,
  })
})
afterAll(() => sim.close())

describe("addEvents", () => {
  it("serves late events from then on: export, truth, eventCounts and the query endpoints", async () => {
    const before = await exportText(sim, { ...day, time_in_ms: "true" })
    const beforeGzip = await exportText(sim, { ...day, time_in_ms: "true" }, true)
    expect(beforeGzip).toBe(before)
    const rendersBefore = sim.stats().prerender!.renders
    const truthBefore = await sim.truth({ from: "2024-01-01", to: "2024-01-05" })
    const countsBefore = sim.eventCounts("2024-01-01", "2024-01-05")
    expect(countsBefore.Refund).toBeUndefined()

    const at = utcMs("2024-01-03T12:34:56.789")
    sim.addEvents([
      {
        name: "Refund",
        userIndex: 3,
        timeMs: at,
        insertId: "late-1",
        properties: { amount: 12.5, reason: "damaged 📦" },
      },
      { name: "Purchase", userIndex: 7, timeMs: at + 1000, insertId: "late-2" },
    ])

    const after = await exportText(sim, { ...day, time_in_ms: "true" })
    expect(after.startsWith(before)).toBe(true)
    const added = parseLines(after.slice(before.length))
    expect(added.map((l) => l.event)).toEqual(["Refund", "Purchase"])
    const properties = {
      time: at,
      distinct_id: sim.dataset.user(3).distinctId,
      $insert_id: "late-1",
      mp_processing_time_ms: utcMs("2024-01-05T00:00:00"),
      ...sim.dataset.user(3).eventProps,
      amount: 12.5,
      reason: "damaged 📦",
    }
    expect(added[0]).toEqual({ event: "Refund", properties })
    expect(Object.keys(added[0]!.properties)).toEqual(Object.keys(properties))
    // the prerendered day was dropped and rendered again, plain and gzip alike
    expect(await exportText(sim, { ...day, time_in_ms: "true" }, true)).toBe(after)
    expect(sim.stats().prerender!.renders).toBeGreaterThan(rendersBefore)
    const seconds = await exportText(sim, day)
    expect(parseLines(seconds).at(-2)!.properties.time).toBe(Math.floor(at / 1000))
    // filtered and ranged requests, generated, have it too
    const filtered = parseLines(await exportText(sim, { ...day, event: '["Refund"]' }))
    expect(filtered).toHaveLength(1)
    const where = parseLines(
      await exportText(sim, { ...day, where: 'properties["reason"] == "damaged 📦"' }),
    )
    expect(where.map((l) => l.properties.$insert_id)).toEqual(["late-1"])
    const all = await exportText(sim, {
      from_date: "2024-01-01",
      to_date: "2024-01-05",
      time_in_ms: "true",
    })
    expect(all).toContain('"$insert_id":"late-2"')

    const truth = await sim.truth({ from: "2024-01-01", to: "2024-01-05" })
    expect(truth.count).toBe(truthBefore.count + 2)
    expect(truth).toEqual(naiveTruth(parseLines(all), (t) => t))
    expect(
      await sim.truth({
        from: "2024-01-03",
        to: "2024-01-03",
        events: ["Refund"],
        timeInMs: false,
      }),
    ).toEqual(naiveTruth(filtered, (t) => t * 1000))

    const counts = sim.eventCounts("2024-01-01", "2024-01-05")
    expect(counts.Refund).toEqual({ "2024-01-03": 1 })
    expect(counts.Purchase!["2024-01-03"]).toBe((countsBefore.Purchase!["2024-01-03"] ?? 0) + 1)
    const events = await query(sim, "/api/query/events", {
      from_date: "2024-01-01",
      to_date: "2024-01-05",
      event: '["Refund","Purchase"]',
      type: "general",
      unit: "day",
    })
    expect(events.json.data.values).toEqual({ Refund: counts.Refund, Purchase: counts.Purchase })
    const sum = await query(sim, "/api/query/segmentation/sum", {
      ...day,
      event: "Refund",
      on: 'properties["amount"]',
    })
    expect(sum.json.results).toEqual({ "2024-01-03": 12.5 })
  })

  it("refuses events it cannot serve, adding none of a refused batch", async () => {
    const ok = {
      name: "Refund",
      userIndex: 1,
      timeMs: utcMs("2024-01-04T08:00:00"),
      insertId: "late-ok",
    }
    const bad = [
      { ...ok, timeMs: utcMs("2024-01-06T00:00:00") },
      { ...ok, insertId: 'with "quote"' },
      { ...ok, properties: { $os: "BeOS" } },
      { ...ok, properties: { time: 1 } },
      { ...ok, userIndex: -1 },
      { ...ok, name: "" },
    ]
    for (const b of bad) expect(() => sim.addEvents([ok, b])).toThrow()
    expect(sim.eventCounts("2024-01-04", "2024-01-04").Refund).toBeUndefined()
  })

  it("files an event under its day in a legacy zone's calendar", async () => {
    const s = await startSimulator({
      users: 50,
      startDate: "2024-03-09",
      days: 3,
      timeZone: "America/Los_Angeles",
      today: "2024-03-11",
      limits: false,
    })
    try {
      // 07:30 UTC on the 10th is 23:30 on the 9th in Los Angeles (UTC-8 before the change)
      s.addEvents([
        { name: "Refund", userIndex: 2, timeMs: utcMs("2024-03-10T07:30:00"), insertId: "z-1" },
      ])
      const lines = parseLines(
        await exportText(s, { from_date: "2024-03-09", to_date: "2024-03-09", time_in_ms: "true" }),
      )
      expect(lines.at(-1)!.properties.time).toBe(utcMs("2024-03-09T23:30:00"))
      expect(s.eventCounts("2024-03-09", "2024-03-11").Refund).toEqual({ "2024-03-09": 1 })
    } finally {
      await s.close()
    }
  })
})

describe("setToday", () => {
  it("moves the day after which to_date is refused, and where intervals end", async () => {
    const s = await startSimulator({ users: 50, days: 5, today: "2024-01-05", limits: false })
    try {
      const to4 = { from_date: "2024-01-01", to_date: "2024-01-04" }
      expect((await raw(s, exportPath({ ...to4, limit: "1" }))).status).toBe(200)
      s.setToday("2024-01-03")
      const refused = await raw(s, exportPath({ ...to4, limit: "1" }))
      expect(refused.status).toBe(400)
      expect(JSON.parse(refused.body.toString()).error).toBe("to_date cannot be later than today")
      const seg = await query(s, "/api/query/segmentation", { ...to4, event: "Search" })
      expect(seg.status).toBe(400)
      expect(seg.json.error).toBe("to_date cannot be later than today")
      const interval = await query(s, "/api/query/events", {
        event: '["Search"]',
        type: "general",
        unit: "day",
        interval: "2",
      })
      expect([...interval.json.data.series].sort()).toEqual(["2024-01-02", "2024-01-03"])
      const insights = await query(s, "/api/query/insights", { bookmark_id: "9003" })
      expect(insights.json.date_range.to_date).toBe("2024-01-03T23:59:59.999000+00:00")
      s.setToday("2024-01-04")
      const gz = await raw(s, exportPath(to4), { headers: { "accept-encoding": "gzip" } })
      expect(gz.status).toBe(200)
      expect(gunzipSync(gz.body).length).toBeGreaterThan(1000)
      expect(() => s.setToday("2024-13-01")).toThrow()
    } finally {
      await s.close()
    }
  })
})
