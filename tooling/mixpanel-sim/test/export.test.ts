import { gunzipSync } from "node:zlib"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Simulator, startSimulator } from "../src/index.js"
import { exportPath, exportText, naiveTruth, parseLines, raw } from "./helpers.js"

let sim: Simulator
const range = { from_date: "2024-01-01", to_date: "2024-01-03" }

beforeAll(async () => {
  sim = await startSimulator({ users: 400, days: 5, limits: false })
})
afterAll(() => sim.close())

describe("export", () => {
  it("is deterministic: same seed, same bytes; another seed, other bytes", async () => {
    const other = await startSimulator({ users: 400, days: 5, limits: false })
    const third = await startSimulator({ users: 400, days: 5, seed: 2, limits: false })
    try {
      const a = await exportText(sim, { from_date: "2024-01-02", to_date: "2024-01-02" })
      const b = await exportText(other, { from_date: "2024-01-02", to_date: "2024-01-02" })
      const c = await exportText(third, { from_date: "2024-01-02", to_date: "2024-01-02" })
      expect(a.length).toBeGreaterThan(10_000)
      expect(b).toBe(a)
      expect(c).not.toBe(a)
    } finally {
      await other.close()
      await third.close()
    }
  })

  it("gzips large bodies when asked, and the content is the same", async () => {
    const r = await raw(sim, exportPath(range), { headers: { "accept-encoding": "gzip" } })
    expect(r.headers["content-encoding"]).toBe("gzip")
    const plain = await exportText(sim, range)
    expect(gunzipSync(r.body).toString("utf8")).toBe(plain)
    const small = await raw(sim, exportPath({ ...range, limit: "1" }), {
      headers: { "accept-encoding": "gzip" },
    })
    expect(small.headers["content-encoding"]).toBeUndefined()
    expect(parseLines(small.body.toString())).toHaveLength(1)
  })

  it("writes Mixpanel-shaped lines with the dataset's features", async () => {
    const lines = parseLines(
      await exportText(sim, { from_date: "2024-01-01", to_date: "2024-01-05" }),
    )
    const first = JSON.stringify(lines[0])
    expect(first.startsWith('{"event":')).toBe(true)
    expect(Object.keys(lines[0]!.properties).slice(0, 2)).toEqual(["time", "distinct_id"])
    expect(Number.isInteger(lines[0]!.properties.time)).toBe(true)
    const names = new Set(lines.map((l) => l.event))
    for (const n of ["App Open", "Sign Up", "Page View", "Add to Cart", "Purchase"])
      expect(names).toContain(n)
    const noId = lines.filter((l) => l.properties.$insert_id === undefined).length
    expect(noId / lines.length).toBeGreaterThan(0.003)
    expect(noId / lines.length).toBeLessThan(0.03)
    const late = lines.filter(
      (l) => l.properties.mp_processing_time_ms - l.properties.time * 1000 > 86_400_000,
    )
    expect(late.length / lines.length).toBeGreaterThan(0.005)
    const purchase = lines.find((l) => l.event === "Purchase")!
    expect(typeof purchase.properties.amount).toBe("number")
    expect(typeof purchase.properties.currency).toBe("string")
    expect(Array.isArray(purchase.properties.items)).toBe(true)
    expect(
      lines.some((l) =>
        /[\u4e00-\u9fff]|[\u0590-\u05ff]|\p{Extended_Pictographic}/u.test(JSON.stringify(l)),
      ),
    ).toBe(true)
    for (const l of lines.slice(0, 200)) {
      expect(l.properties.$os).toBeTypeOf("string")
      expect(l.properties.mp_country_code).toBeTypeOf("string")
      expect(l.properties.$city).toBeTypeOf("string")
    }
    const keys = lines.map(
      (l) =>
        `${l.event}|${l.properties.distinct_id}|${l.properties.time}|${l.properties.$insert_id}`,
    )
    expect(new Set(keys).size).toBeLessThan(keys.length)
  })

  it("time_in_ms serves milliseconds", async () => {
    const s = parseLines(await exportText(sim, { ...range, limit: "50" }))
    const ms = parseLines(await exportText(sim, { ...range, limit: "50", time_in_ms: "true" }))
    expect(ms.map((l) => Math.floor(l.properties.time / 1000))).toEqual(
      s.map((l) => l.properties.time),
    )
    expect(ms.some((l) => l.properties.time % 1000 !== 0)).toBe(true)
  })

  it("truth equals a naive full download deduplicated (ms and seconds)", async () => {
    const ms = parseLines(await exportText(sim, { ...range, time_in_ms: "true" }, true))
    expect(naiveTruth(ms, (t) => t)).toEqual(
      await sim.truth({ from: range.from_date, to: range.to_date }),
    )
    const s = parseLines(await exportText(sim, range))
    expect(naiveTruth(s, (t) => t * 1000)).toEqual(
      await sim.truth({ from: range.from_date, to: range.to_date, timeInMs: false }),
    )
  })

  const filters: Array<[string, Record<string, string>, (l: any) => boolean]> = [
    [
      "event names",
      { event: JSON.stringify(["Purchase", "Sign Up"]) },
      (l) => ["Purchase", "Sign Up"].includes(l.event),
    ],
    ["==", { where: 'properties["$os"]=="iOS"' }, (l) => l.properties.$os === "iOS"],
    ["!=", { where: 'properties["$os"] != "iOS"' }, (l) => l.properties.$os !== "iOS"],
    [
      "and/or",
      {
        where:
          '(properties["mp_country_code"] == "JP" or properties["mp_country_code"] == "BR") and properties["mp_lib"] == "web"',
      },
      (l) => ["JP", "BR"].includes(l.properties.mp_country_code) && l.properties.mp_lib === "web",
    ],
    ["defined", { where: 'defined(properties["utm"])' }, (l) => l.properties.utm !== undefined],
    [
      "numeric",
      { where: 'properties["amount"] > 100' },
      (l) => typeof l.properties.amount === "number" && l.properties.amount > 100,
    ],
    [
      "nested",
      { where: 'properties["item"]["category"] == "sport"' },
      (l) => l.properties.item?.category === "sport",
    ],
    [
      "$time window",
      {
        where:
          'properties["$time"] >= datetime(1704110400) and properties["$time"] < datetime(1704124800)',
      },
      (l) => l.properties.time >= 1704110400 && l.properties.time < 1704124800,
    ],
  ]
  for (const [name, params, check] of filters) {
    it(`filters: ${name}`, async () => {
      const all = parseLines(await exportText(sim, range))
      const got = parseLines(await exportText(sim, { ...range, ...params, time_in_ms: "true" }))
      const expected = all.filter(check)
      expect(got.length).toBe(expected.length)
      expect(got.length).toBeGreaterThan(0)
      const events = params.event ? (JSON.parse(params.event) as string[]) : undefined
      expect(naiveTruth(got, (t) => t)).toEqual(
        await sim.truth({
          from: range.from_date,
          to: range.to_date,
          ...(events ? { events } : {}),
          ...(params.where ? { where: params.where } : {}),
        }),
      )
    })
  }

  it("limit caps lines", async () => {
    expect(parseLines(await exportText(sim, { ...range, limit: "7" }))).toHaveLength(7)
  })

  it("empty ranges answer 200 with an empty body; bad requests 400 with Mixpanel bodies", async () => {
    const empty = await raw(sim, exportPath({ from_date: "2023-06-01", to_date: "2023-06-02" }))
    expect(empty.status).toBe(200)
    expect(empty.body.length).toBe(0)
    const bad = await raw(sim, exportPath({ ...range, where: 'properties["x"] ~= 3' }))
    expect(bad.status).toBe(400)
    expect(JSON.parse(bad.body.toString())).toMatchObject({ status: "error" })
    expect((await raw(sim, exportPath({ from_date: "2024-01-01" }))).status).toBe(400)
    expect((await raw(sim, exportPath({ ...range, event: "Purchase" }))).status).toBe(400)
    expect((await raw(sim, exportPath({ ...range, limit: "100001" }))).status).toBe(400)
  })

  it("refuses to_date later than today", async () => {
    const s = await startSimulator({ users: 50, days: 5, today: "2024-01-03" })
    try {
      const r = await raw(s, exportPath({ from_date: "2024-01-01", to_date: "2024-01-04" }))
      expect(r.status).toBe(400)
      expect(JSON.parse(r.body.toString()).error).toBe("to_date cannot be later than today")
    } finally {
      await s.close()
    }
  })
})
