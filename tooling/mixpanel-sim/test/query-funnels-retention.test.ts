import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  funnelDefinitions,
  funnels,
  insightsBookmarks,
  type LateEventInput,
  type Simulator,
  startSimulator,
} from "../src/index.js"
import { query, utcMs } from "./query-helpers.js"

let sim: Simulator
const range = { from_date: "2024-01-01", to_date: "2024-01-10" }
const days = Array.from({ length: 10 }, (_, i) => `2024-01-${String(i + 1).padStart(2, "0")}`)

/** Late events of a scenario: users far past the dataset's own, so only these are theirs. */
const scenario = (
  tag: string,
  rows: ReadonlyArray<readonly [user: number, name: string, at: string, variant?: string]>,
): LateEventInput[] =>
  rows.map(([user, name, at, variant], i) => ({
    name,
    userIndex: user,
    timeMs: utcMs(at),
    insertId: `${tag}-${i}`,
    properties: { scenario: tag, ...(variant === undefined ? {} : { variant }) },
  }))

beforeAll(async () => {
  sim = await startSimulator({ users: 300, days: 10, today: "2024-01-10", limits: false })
  sim.addEvents(
    scenario("f", [
      // A: converts within minutes
      [200_001, "Add to Cart", "2024-01-02T10:00:00", "x"],
      [200_001, "Checkout Started", "2024-01-02T10:05:00", "x"],
      [200_001, "Purchase", "2024-01-02T10:20:00", "x"],
      // B: checks out 25 hours later, out of the 1-day window
      [200_002, "Add to Cart", "2024-01-02T11:00:00", "y"],
      [200_002, "Checkout Started", "2024-01-03T12:00:00", "y"],
      // C: enters late on the 2nd, enters again on the 3rd, converts once for both
      [200_003, "Add to Cart", "2024-01-02T23:00:00", "x"],
      [200_003, "Add to Cart", "2024-01-03T01:00:00", "x"],
      [200_003, "Checkout Started", "2024-01-03T02:00:00", "x"],
      [200_003, "Purchase", "2024-01-03T03:00:00", "x"],
      // D: purchases before checking out: steps out of order stop at the checkout
      [200_004, "Add to Cart", "2024-01-02T09:00:00", "y"],
      [200_004, "Purchase", "2024-01-02T09:10:00", "y"],
      [200_004, "Checkout Started", "2024-01-02T09:20:00", "y"],
      // E: enters on the range's last day, converts after it
      [200_005, "Add to Cart", "2024-01-03T22:00:00", "y"],
      [200_005, "Checkout Started", "2024-01-04T01:00:00", "y"],
      [200_005, "Purchase", "2024-01-04T02:00:00", "y"],
    ]),
  )
  sim.addEvents(
    scenario("r", [
      // P: returns after 1 h, 25 h and 71 h
      [300_001, "Sign Up", "2024-01-02T12:00:00"],
      [300_001, "App Open", "2024-01-02T13:00:00"],
      [300_001, "App Open", "2024-01-03T13:00:00"],
      [300_001, "App Open", "2024-01-05T11:00:00"],
      // Q: signs up twice, returns after 49 h
      [300_002, "Sign Up", "2024-01-02T20:00:00"],
      [300_002, "Sign Up", "2024-01-03T09:00:00"],
      [300_002, "App Open", "2024-01-04T21:00:00"],
      // R: never returns
      [300_003, "Sign Up", "2024-01-03T08:00:00"],
    ]),
  )
  sim.addEvents(
    scenario("a", [
      [400_001, "Ping", "2024-01-02T01:10:00"],
      [400_001, "Ping", "2024-01-02T01:50:00"],
      [400_001, "Ping", "2024-01-02T03:00:00"],
      [400_001, "Ping", "2024-01-02T05:00:00"],
      [400_002, "Ping", "2024-01-02T10:00:00"],
      [400_002, "Ping", "2024-01-04T10:00:00"],
    ]),
  )
})
afterAll(() => sim.close())

const step = (
  event: string,
  count: number,
  avgTime: number | null,
  fromStart: number | null,
  stepRatio: number,
  overallRatio: number,
) => ({
  count,
  avg_time: avgTime,
  avg_time_from_start: fromStart,
  step_conv_ratio: stepRatio,
  overall_conv_ratio: overallRatio,
  goal: event,
  event,
})

const checkout = ["Add to Cart", "Checkout Started", "Purchase"] as const

describe("funnels", () => {
  const f = { from_date: "2024-01-02", to_date: "2024-01-03", funnel_id: "7003" }
  const where = 'properties["scenario"] == "f"'

  it("has saved funnels over the dataset's events", async () => {
    expect(funnels.map((x) => x.funnel_id)).toEqual([7001, 7002, 7003])
    expect(funnelDefinitions.find((d) => d.funnel_id === 7003)).toMatchObject({
      steps: checkout,
      length: 1,
      length_unit: "day",
    })
    const list = await query(sim, "/api/query/funnels/list")
    expect(list.json).toEqual(funnels)
    const names = new Set(Object.keys(sim.eventCounts(range.from_date, range.to_date)))
    for (const d of funnelDefinitions) for (const s of d.steps) expect(names).toContain(s)
  })

  it("counts users per entry bucket, in order, within the window, past to_date", async () => {
    const r = await query(sim, "/api/query/funnels", { ...f, where })
    expect(r.status).toBe(200)
    expect(r.json.meta).toEqual({ dates: ["2024-01-02", "2024-01-03"] })
    expect(r.json.data["2024-01-02"]).toEqual({
      steps: [
        step(checkout[0], 4, null, null, 1, 1),
        step(checkout[1], 3, 4100, 4100, 0.75, 0.75),
        step(checkout[2], 2, 2250, 7800, 2 / 3, 0.5),
      ],
      analysis: { completion: 2, starting_amount: 4, steps: 3, worst: 2 },
    })
    expect(r.json.data["2024-01-03"]).toEqual({
      steps: [
        step(checkout[0], 2, null, null, 1, 1),
        step(checkout[1], 2, 7200, 7200, 1, 1),
        step(checkout[2], 2, 3600, 10_800, 1, 1),
      ],
      analysis: { completion: 2, starting_amount: 2, steps: 3, worst: 1 },
    })
  })

  it("takes the window, buckets and breakdown from the request", async () => {
    const short = await query(sim, "/api/query/funnels", {
      ...f,
      where,
      length: "2",
      length_unit: "hour",
    })
    expect(short.json.data["2024-01-02"].steps.map((s: any) => s.count)).toEqual([4, 2, 1])
    const twoDays = await query(sim, "/api/query/funnels", { ...f, where, interval: "2" })
    expect(twoDays.json.meta.dates).toEqual(["2024-01-02"])
    expect(twoDays.json.data["2024-01-02"].steps.map((s: any) => s.count)).toEqual([5, 4, 3])
    const week = await query(sim, "/api/query/funnels", { ...f, where, unit: "week" })
    expect(week.json.meta.dates).toEqual(["2024-01-01"])
    expect(week.json.data["2024-01-01"]).toEqual(twoDays.json.data["2024-01-02"])
    const on = await query(sim, "/api/query/funnels", { ...f, where, on: 'properties["variant"]' })
    const day = on.json.data["2024-01-02"]
    expect(Object.keys(day)).toEqual(["$overall", "x", "y"])
    const counts = (b: any) => b.steps.map((s: any) => s.count)
    expect(counts(day.$overall)).toEqual([4, 3, 2])
    expect(counts(day.x)).toEqual([2, 2, 2])
    expect(counts(day.y)).toEqual([2, 1, 0])
    expect(day.y.analysis).toEqual({ completion: 0, starting_amount: 2, steps: 3, worst: 2 })
  })

  it("enters each user once per day: step 1's users are the day's unique users of its event", async () => {
    const r = await query(sim, "/api/query/funnels", { ...range, funnel_id: "7002" })
    const unique = await query(sim, "/api/query/segmentation", {
      ...range,
      event: "View Item",
      type: "unique",
    })
    expect(r.json.meta.dates).toEqual(days)
    for (const d of days) {
      const steps = r.json.data[d].steps as Array<{ count: number }>
      expect(steps[0]!.count).toBe(unique.json.data.values["View Item"][d])
      expect(steps[1]!.count).toBeLessThanOrEqual(steps[0]!.count)
      expect(steps[1]!.count).toBeGreaterThan(0)
    }
  })

  it("refuses unknown funnels and windows past 90 days", async () => {
    const unknown = await query(sim, "/api/query/funnels", { ...f, funnel_id: "42" })
    expect(unknown.status).toBe(400)
    expect(unknown.json).toEqual({
      request: `/api/query/funnels?${new URLSearchParams({ project_id: "1", ...f, funnel_id: "42" })}`,
      error: "invalid funnel_id: 42 (no saved funnel has it)",
    })
    const long = await query(sim, "/api/query/funnels", { ...f, length: "91", length_unit: "day" })
    expect(long.status).toBe(400)
    expect((await query(sim, "/api/query/funnels", { ...f, unit: "hour" })).status).toBe(400)
    expect((await query(sim, "/api/query/funnels", { funnel_id: "7001" })).status).toBe(400)
  })
})

describe("retention", () => {
  const r2 = { from_date: "2024-01-02", to_date: "2024-01-03" }
  const where = 'properties["scenario"] == "r"'
  const birth = {
    ...r2,
    born_event: "Sign Up",
    event: "App Open",
    born_where: where,
    where,
    interval_count: "3",
  }

  it("counts birth cohorts' returns in intervals rolling from each user's born time", async () => {
    const r = await query(sim, "/api/query/retention", birth)
    expect(r.status).toBe(200)
    expect(r.json).toEqual({
      "2024-01-02": { counts: [1, 1, 2, 0], first: 2 },
      "2024-01-03": { counts: [0, 0, 0, 0], first: 1 },
    })
    expect(Object.keys(r.json["2024-01-02"])).toEqual(["counts", "first"])
    const unbounded = await query(sim, "/api/query/retention", {
      ...birth,
      unbounded_retention: "true",
    })
    expect(unbounded.json["2024-01-02"]).toEqual({ counts: [2, 2, 2, 0], first: 2 })
    // any event returns, a second born event too, but never the born event itself
    const { event: _, ...anyEvent } = birth
    const any = await query(sim, "/api/query/retention", anyEvent)
    expect(any.json["2024-01-02"]).toEqual({ counts: [2, 1, 2, 0], first: 2 })
    const week = await query(sim, "/api/query/retention", {
      ...birth,
      unit: "week",
      interval_count: "1",
    })
    expect(week.json).toEqual({ "2024-01-01": { counts: [2, 0], first: 3 } })
  })

  it("counts compounded cohorts from each bucket's first event", async () => {
    const r = await query(sim, "/api/query/retention", {
      from_date: "2024-01-02",
      to_date: "2024-01-05",
      retention_type: "compounded",
      event: "App Open",
      where,
      interval_count: "2",
    })
    expect(r.json).toEqual({
      "2024-01-02": { counts: [0, 1, 1], first: 1 },
      "2024-01-03": { counts: [0, 1, 0], first: 1 },
      "2024-01-04": { counts: [0, 0, 0], first: 1 },
      "2024-01-05": { counts: [0, 0, 0], first: 1 },
    })
  })

  it("has cohort sizes of the day's first-time users, and counts interval_count + 1 long", async () => {
    const r = await query(sim, "/api/query/retention", {
      ...range,
      born_event: "Sign Up",
      interval_count: "5",
    })
    expect(Object.keys(r.json)).toEqual(days)
    const signups = sim.eventCounts(range.from_date, range.to_date)["Sign Up"]!
    let total = 0
    for (const d of days) {
      expect(r.json[d].counts).toHaveLength(6)
      for (const c of r.json[d].counts) expect(c).toBeLessThanOrEqual(r.json[d].first)
      total += r.json[d].first
      expect(r.json[d].first).toBeLessThanOrEqual(signups[d] ?? 0)
    }
    expect(total).toBeGreaterThan(0)
    const segmented = await query(sim, "/api/query/retention", {
      ...birth,
      on: 'properties["scenario"]',
    })
    expect(segmented.json["2024-01-02"]).toEqual({
      $overall: { counts: [1, 1, 2, 0], first: 2 },
      r: { counts: [1, 1, 2, 0], first: 2 },
    })
  })

  it("refuses birth retention without born_event", async () => {
    const r = await query(sim, "/api/query/retention", r2)
    expect(r.status).toBe(400)
    expect(r.json.error).toBe("born_event is required for birth retention")
    const bad = await query(sim, "/api/query/retention", { ...birth, interval: "91" })
    expect(bad.status).toBe(400)
  })
})

describe("frequency", () => {
  const a = { from_date: "2024-01-02", to_date: "2024-01-04", event: "Ping" }

  it("counts users active in at least k+1 sub-units of each period", async () => {
    const hours = await query(sim, "/api/query/retention/addiction", {
      ...a,
      unit: "day",
      addiction_unit: "hour",
    })
    const zeros = (n: number) => new Array<number>(n).fill(0)
    expect(hours.json).toEqual({
      data: {
        "2024-01-02": [2, 1, 1, ...zeros(21)],
        "2024-01-03": zeros(24),
        "2024-01-04": [1, ...zeros(23)],
      },
    })
    const week = await query(sim, "/api/query/retention/addiction", {
      ...a,
      unit: "week",
      addiction_unit: "day",
    })
    expect(week.json).toEqual({ data: { "2024-01-01": [2, 1, ...zeros(5)] } })
    const month = await query(sim, "/api/query/retention/addiction", {
      ...a,
      unit: "month",
      addiction_unit: "day",
    })
    expect(month.json.data["2024-01-01"]).toEqual([2, 1, ...zeros(29)])
  })

  it("never increases, on the dataset's events", async () => {
    const r = await query(sim, "/api/query/retention/addiction", {
      ...range,
      unit: "day",
      addiction_unit: "hour",
    })
    const unique = await query(sim, "/api/query/segmentation", {
      ...range,
      event: "Search",
      type: "unique",
    })
    const search = await query(sim, "/api/query/retention/addiction", {
      ...range,
      event: "Search",
      unit: "day",
      addiction_unit: "hour",
    })
    for (const d of days) {
      const arr = r.json.data[d] as number[]
      expect(arr).toHaveLength(24)
      for (let k = 1; k < arr.length; k++) expect(arr[k]).toBeLessThanOrEqual(arr[k - 1]!)
      expect(arr[1]).toBeGreaterThan(0)
      expect(search.json.data[d][0]).toBe(unique.json.data.values.Search[d])
    }
  })

  it("drops the data wrapper when asked, and refuses missing units", async () => {
    const s = await startSimulator({
      users: 50,
      days: 3,
      today: "2024-01-03",
      limits: false,
      queryShape: { frequencyWrapper: false },
    })
    try {
      const r = await query(s, "/api/query/retention/addiction", {
        from_date: "2024-01-01",
        to_date: "2024-01-03",
        unit: "day",
        addiction_unit: "day",
      })
      expect(Object.keys(r.json)).toEqual(["2024-01-01", "2024-01-02", "2024-01-03"])
      expect(r.json["2024-01-01"]).toHaveLength(1)
    } finally {
      await s.close()
    }
    const missing = await query(sim, "/api/query/retention/addiction", { ...a, unit: "day" })
    expect(missing.status).toBe(400)
    expect(missing.json.error).toMatch(/^addiction_unit is required/)
  })
})

describe("insights", () => {
  it("answers saved reports by week, with ISO keys in the project's offset", async () => {
    expect(insightsBookmarks.map((b) => b.bookmark_id)).toEqual([9001, 9002, 9003])
    const counts = sim.eventCounts(range.from_date, range.to_date)
    const weekly = (name: string) => {
      const c = counts[name] ?? {}
      const sum = (from: number, to: number) =>
        days.slice(from, to).reduce((t, d) => t + (c[d] ?? 0), 0)
      return { "2024-01-01T00:00:00+00:00": sum(0, 7), "2024-01-08T00:00:00+00:00": sum(7, 10) }
    }
    const r = await query(sim, "/api/query/insights", { bookmark_id: "9001" })
    expect(r.status).toBe(200)
    expect(r.json.computed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/)
    expect(r.json.date_range).toEqual({
      from_date: "2024-01-01T00:00:00+00:00",
      to_date: "2024-01-10T23:59:59.999000+00:00",
    })
    expect(r.json.headers).toEqual(["$event"])
    expect(r.json.series).toEqual({
      "View Item": weekly("View Item"),
      "Add to Cart": weekly("Add to Cart"),
    })
    const broken = await query(sim, "/api/query/insights", { bookmark_id: "9002" })
    expect(broken.json.headers).toEqual(["$event", "mp_country_code"])
    const purchase = broken.json.series.Purchase as Record<string, Record<string, number>>
    expect(purchase.$overall).toEqual(weekly("Purchase"))
    const segments = Object.entries(purchase).filter(([k]) => k !== "$overall")
    expect(segments.length).toBeGreaterThan(3)
    for (const week of Object.keys(purchase.$overall!))
      expect(segments.reduce((t, [, v]) => t + v[week]!, 0)).toBe(purchase.$overall![week])
    const daily = await query(sim, "/api/query/insights", { bookmark_id: "9003" })
    const unique = await query(sim, "/api/query/segmentation", {
      ...range,
      event: "Purchase",
      type: "unique",
    })
    for (const d of days)
      expect(daily.json.series.Purchase[`${d}T00:00:00+00:00`]).toBe(
        unique.json.data.values.Purchase[d] ?? 0,
      )
  })

  it("refuses unknown bookmarks", async () => {
    const r = await query(sim, "/api/query/insights", { bookmark_id: "1" })
    expect(r.status).toBe(400)
    expect(r.json.error).toBe("invalid bookmark_id: 1 (no saved report has it)")
    expect((await query(sim, "/api/query/insights")).status).toBe(400)
  })
})
