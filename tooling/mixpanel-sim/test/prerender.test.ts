import { constants, gunzipSync } from "node:zlib"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Fault, type Simulator, startSimulator } from "../src/index.js"
import { exportPath, exportText, raw } from "./helpers.js"

const dataset = { users: 300, days: 3, limits: false as const }
let generated: Simulator
let prerendered: Simulator

beforeAll(async () => {
  generated = await startSimulator(dataset)
  prerendered = await startSimulator({ ...dataset, prerender: true })
})
afterAll(async () => {
  await generated.close()
  await prerendered.close()
})

const day = (d: string, extra: Record<string, string> = {}) => ({
  from_date: d,
  to_date: d,
  ...extra,
})

/** Whatever a broken gzip stream inflates to. */
const inflatePrefix = (b: Buffer): string =>
  gunzipSync(b, { finishFlush: constants.Z_SYNC_FLUSH }).toString("utf8")

describe("prerender", () => {
  it("serves bytes identical to the generated ones, plain and gzip, in both time precisions", async () => {
    for (const ms of [{ time_in_ms: "true" }, {}]) {
      const params = day("2024-01-02", ms)
      const expected = (await raw(generated, exportPath(params))).body
      expect(expected.length).toBeGreaterThan(100_000)
      const plain = await raw(prerendered, exportPath(params))
      expect(plain.body.equals(expected)).toBe(true)
      const gz = await raw(prerendered, exportPath(params), {
        headers: { "accept-encoding": "gzip" },
      })
      expect(gz.headers["content-encoding"]).toBe("gzip")
      expect(gunzipSync(gz.body).equals(expected)).toBe(true)
    }
    const stats = prerendered.stats().prerender!
    expect(stats.bodies).toBe(2)
    expect(stats.renders).toBe(2)
    expect(stats.lines).toBeGreaterThan(500)
    expect(stats.gzipBytes).toBeLessThan(stats.plainBytes / 4)
    expect(generated.stats().prerender).toBeUndefined()
  })

  it("renders a day once for concurrent requests", async () => {
    const s = await startSimulator({ ...dataset, prerender: true })
    try {
      const bodies = await Promise.all(
        Array.from({ length: 4 }, () => exportText(s, day("2024-01-03"), true)),
      )
      expect(new Set(bodies).size).toBe(1)
      expect(bodies[0]).toBe(await exportText(generated, day("2024-01-03")))
      expect(s.stats().prerender).toMatchObject({ bodies: 1, renders: 1, overCap: 0 })
    } finally {
      await s.close()
    }
  })

  it("takes filtered requests and ranges down the generating path with the same bytes", async () => {
    const before = prerendered.stats().prerender!.renders
    const requests = [
      day("2024-01-01", { event: JSON.stringify(["Page View"]) }),
      day("2024-01-01", { where: 'properties["$os"]=="iOS"' }),
      day("2024-01-01", { limit: "20" }),
      { from_date: "2024-01-01", to_date: "2024-01-03", time_in_ms: "true" },
    ]
    for (const params of requests) {
      for (const gzip of [false, true]) {
        expect(await exportText(prerendered, params, gzip)).toBe(
          await exportText(generated, params, gzip),
        )
      }
    }
    expect(prerendered.stats().prerender!.renders).toBe(before)
  })

  it("applies every fault to prerendered bodies exactly as to generated ones", async () => {
    const params = day("2024-01-02", { time_in_ms: "true" })
    const good = (await raw(generated, exportPath(params))).body.toString("utf8")
    const faults: Array<[Fault, boolean]> = [
      ["terminated-early", false],
      ["terminated-early", true],
      ["cut-line", false],
      ["cut-line", true],
      [{ kind: "cut-line", afterBytes: 10_000_000 }, false],
      [{ kind: "terminated-early", afterBytes: 1 }, false],
      ["reset-mid-body", false],
      ["reset-mid-body", true],
      ["cut-gzip", true],
      ["cut-gzip", false],
      [{ kind: "slow-trickle", trickleBytes: 600, pieceBytes: 200, tickMs: 1 }, true],
      ["503", true],
    ]
    for (const [fault, gzip] of faults) {
      const answers = []
      for (const sim of [generated, prerendered]) {
        sim.setFaults({ script: [{ match: { nth: 1 }, fault }] })
        const r = await raw(sim, exportPath(params), {
          headers: gzip ? { "accept-encoding": "gzip" } : {},
        })
        const text =
          r.headers["content-encoding"] === "gzip" ? inflatePrefix(r.body) : r.body.toString("utf8")
        answers.push({ status: r.status, encoding: r.headers["content-encoding"], text })
        if (typeof fault === "object" && fault.kind === "slow-trickle") expect(text).toBe(good)
        if (fault === "cut-gzip" && gzip) expect(() => gunzipSync(r.body)).toThrow()
        if (fault === "reset-mid-body") expect(r.error).toBeDefined()
        sim.setFaults({})
      }
      const [a, b] = answers
      expect(b!.status, JSON.stringify(fault)).toBe(a!.status)
      expect(b!.encoding).toBe(a!.encoding)
      if (fault === "reset-mid-body" || fault === "cut-gzip") {
        // What arrives before a reset or a cut compressed stream depends on flushing: a prefix.
        expect(good.startsWith(b!.text)).toBe(true)
        expect(b!.text.length).toBeLessThan(good.length)
      } else expect(b!.text, JSON.stringify([fault, gzip])).toBe(a!.text)
    }
    const cut = (await raw(prerendered, exportPath(params))).body.toString("utf8")
    expect(cut).toBe(good)
  })

  it("stops keeping days past the memory cap and generates them instead", async () => {
    const s = await startSimulator({ ...dataset, prerender: true, prerenderMaxBytes: 1000 })
    try {
      for (let i = 0; i < 2; i++) {
        expect(await exportText(s, day("2024-01-02"), true)).toBe(
          await exportText(generated, day("2024-01-02")),
        )
      }
      expect(s.stats().prerender).toMatchObject({ bodies: 0, renders: 1, overCap: 1 })
    } finally {
      await s.close()
    }
  })
})
