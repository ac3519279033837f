import { gunzipSync } from "node:zlib"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type FaultKind, manualClock, type Simulator, startSimulator } from "../src/index.js"
import { engage, exportPath, raw } from "./helpers.js"

let sim: Simulator
const day = { from_date: "2024-01-02", to_date: "2024-01-02" }

beforeAll(async () => {
  sim = await startSimulator({ users: 300, days: 4, limits: false })
})
afterAll(() => sim.close())

const once = async (fault: FaultKind, gzip = false) => {
  sim.setFaults({ script: [{ match: { nth: 1 }, fault }] })
  return raw(sim, exportPath(day), { headers: gzip ? { "accept-encoding": "gzip" } : {} })
}

describe("faults", () => {
  it("answers status faults with Mixpanel bodies", async () => {
    const expected: Array<[FaultKind, number]> = [
      ["429", 429],
      ["500", 500],
      ["502", 502],
      ["503", 503],
      ["401", 401],
      ["402", 402],
      ["403", 403],
      ["400-unable-to-authenticate", 400],
    ]
    for (const [kind, status] of expected) {
      const r = await once(kind)
      expect(r.status).toBe(status)
      expect(JSON.parse(r.body.toString())).toMatchObject({ status: "error" })
      expect(r.headers["retry-after"]).toBeUndefined()
    }
    expect(JSON.parse((await once("400-unable-to-authenticate")).body.toString()).error).toContain(
      "Unable to authenticate request",
    )
    const ra = await once("429-retry-after")
    expect(ra.status).toBe(429)
    expect(ra.headers["retry-after"]).toBe("1")
    // The next request is healthy.
    expect((await raw(sim, exportPath(day))).status).toBe(200)
  })

  it("breaks bodies in each way a client must detect", async () => {
    sim.setFaults({})
    const good = (await raw(sim, exportPath(day))).body.toString()
    const reset = await once("reset-mid-body")
    expect(reset.status).toBe(200)
    expect(reset.error).toBeDefined()
    expect(reset.body.length).toBeLessThan(good.length)
    const early = (await once("terminated-early")).body.toString()
    expect(early.endsWith("\nterminated early\n")).toBe(true)
    expect(good.startsWith(early.slice(0, -"terminated early\n".length))).toBe(true)
    const cut = (await once("cut-line")).body.toString()
    expect(cut.endsWith("\n")).toBe(false)
    expect(() => JSON.parse(cut.slice(cut.lastIndexOf("\n") + 1))).toThrow()
    const gz = await once("cut-gzip", true)
    expect(gz.headers["content-encoding"]).toBe("gzip")
    expect(() => gunzipSync(gz.body)).toThrow()
    const slow = await once("slow-trickle")
    expect(slow.body.toString()).toBe(good)
    expect(sim.stats().export.faults["slow-trickle"]).toBe(1)
  })

  it("scripts by day, nth and every; the random part is deterministic per request", async () => {
    sim.setFaults({
      script: [
        { match: { day: "2024-01-03", nth: 1 }, fault: "reset-mid-body" },
        { match: { path: "/api/2.0/export", every: 3 }, fault: "503" },
      ],
    })
    const statuses: string[] = []
    for (const d of [
      "2024-01-03",
      "2024-01-01",
      "2024-01-03",
      "2024-01-02",
      "2024-01-01",
      "2024-01-03",
    ]) {
      const r = await raw(sim, exportPath({ from_date: d, to_date: d }))
      statuses.push(r.error ? "reset" : String(r.status))
    }
    expect(statuses).toEqual(["reset", "200", "503", "200", "200", "503"])
    const draw = async () => {
      sim.setFaults({ random: { seed: 7, rate: 0.5, kinds: ["500"] } })
      const out: number[] = []
      for (const d of ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]) {
        for (let attempt = 0; attempt < 4; attempt++) {
          out.push((await raw(sim, exportPath({ from_date: d, to_date: d, limit: "1" }))).status)
        }
      }
      return out
    }
    const a = await draw()
    expect(a).toContain(500)
    expect(a).toContain(200)
    expect(await draw()).toEqual(a)
    sim.setFaults({})
  })

  it("faults engage too", async () => {
    sim.setFaults({ script: [{ match: { path: "/api/query/engage" }, fault: "cut-line" }] })
    const r = await engage(sim, {})
    expect(r.status).toBe(200)
    expect(r.json).toBeUndefined()
    sim.setFaults({})
  })
})

describe("limits", () => {
  it("refuses a sixth concurrent query and counts it", async () => {
    const s = await startSimulator({ users: 3000, days: 2, latencyMs: 300 })
    try {
      const statuses = await Promise.all(
        Array.from({ length: 6 }, () => engage(s, {}).then((r) => r.status)),
      )
      expect(statuses.filter((x) => x === 429)).toHaveLength(1)
      const r = (await Promise.all(Array.from({ length: 6 }, () => engage(s, {})))).find(
        (x) => x.status === 429,
      )!
      expect(r.json.error).toMatch(
        /^Query rate limit exceeded for project_id: 1\. \d+\/5 queries running concurrently/,
      )
      const st = s.stats().query
      expect(st.maxConcurrent).toBe(5)
      expect(st.rateLimited).toBe(2)
      expect(st.limitViolations).toBe(0)
    } finally {
      await s.close()
    }
  })

  it("enforces 3 exports a second and the hourly budget, with Retry-After, on a fast clock", async () => {
    // the limiter's clock moves only when the test says: no burst can straddle a real second
    const clock = manualClock()
    const s = await startSimulator({
      users: 20,
      days: 2,
      clock,
      limits: {
        export: { perHour: 5, perSecond: 3, concurrent: 100 },
        query: { perHour: 60, concurrent: 5 },
      },
    })
    try {
      const burst = await Promise.all(
        Array.from({ length: 4 }, () => raw(s, exportPath({ ...day, limit: "1" }))),
      )
      expect(burst.map((r) => r.status).sort()).toEqual([200, 200, 200, 429])
      clock.advance(1100)
      const more = await Promise.all(
        Array.from({ length: 3 }, () => raw(s, exportPath({ ...day, limit: "1" }))),
      )
      const refused = more.filter((r) => r.status === 429)
      expect(refused).toHaveLength(1)
      expect(Number(refused[0]!.headers["retry-after"])).toBeGreaterThan(3000)
      expect(s.stats().export).toMatchObject({ maxPerSecond: 3, maxPerHour: 5, limitViolations: 0 })
    } finally {
      await s.close()
    }
    // a clock 36,000 times faster than real time: an hour's wait is a tenth of a real second
    const base = manualClock()
    const fastClock = { ...base, speed: 36_000, toRealMs: (simMs: number) => simMs / 36_000 }
    const fast = await startSimulator({
      users: 20,
      days: 2,
      clock: fastClock,
      limits: { export: { perHour: 2, perSecond: 100, concurrent: 100 } },
    })
    try {
      expect((await raw(fast, exportPath({ ...day, limit: "1" }))).status).toBe(200)
      expect((await raw(fast, exportPath({ ...day, limit: "1" }))).status).toBe(200)
      const third = await raw(fast, exportPath({ ...day, limit: "1" }))
      expect(third.status).toBe(429)
      expect(third.headers["retry-after"]).toBe("1")
      base.advance(3_600_000 + 1)
      expect((await raw(fast, exportPath({ ...day, limit: "1" }))).status).toBe(200)
    } finally {
      await fast.close()
    }
  })

  it("when unlimited, still counts what Mixpanel would have refused", async () => {
    const s = await startSimulator({ users: 20, days: 2, limits: false })
    try {
      await Promise.all(Array.from({ length: 5 }, () => raw(s, exportPath({ ...day, limit: "1" }))))
      expect(s.stats().export.limitViolations).toBe(2)
      s.resetStats()
      expect(s.stats().export.requests).toBe(0)
    } finally {
      await s.close()
    }
  })
})
