import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { manualClock, numericBuckets, type Simulator, startSimulator } from "../src/index.js"
import { countBy, dayOf, exportedEvents, query, type ReadEvent } from "./query-helpers.js"

let sim: Simulator
let events: ReadEvent[]
const range = { from_date: "2024-01-01", to_date: "2024-01-10" }
const days = Array.from({ length: 10 }, (_, i) => `2024-01-${String(i + 1).padStart(2, "0")}`)

beforeAll(async () => {
  sim = await startSimulator({ users: 300, days: 10, today: "2024-01-10", limits: false })
  events = await exportedEvents(sim, range.from_date, range.to_date)
})
afterAll(() => sim.close())

/** Per day of one event: events, distinct users, or their ratio, without the empty days. */
const perDay = (
  name: string,
  type: "general" | "unique" | "average",
  filter: (e: ReadEvent) => boolean = () => true,
): Record<string, number> => {
  const by = countBy(
    events.filter((e) => e.event === name && filter(e)),
    (e) => dayOf(e.servedMs),
  )
  return Object.fromEntries(
    [...by].map(([day, c]) => [
      day,
      type === "general" ? c.events : type === "unique" ? c.users.size : c.events / c.users.size,
    ]),
  )
}

const sorted = (xs: ReadonlyArray<string>): string[] => [...xs].sort()

describe("segmentation", () => {
  it("counts events, distinct users and their ratio per day, as the deduplicated export has them", async () => {
    for (const type of ["general", "unique", "average"] as const) {
      const r = await query(sim, "/api/query/segmentation", { ...range, event: "View Item", type })
      expect(r.status).toBe(200)
      expect(r.json.legend_size).toBe(1)
      expect(sorted(r.json.data.series)).toEqual(days)
      expect(Object.keys(r.json.data.values)).toEqual(["View Item"])
      const got = r.json.data.values["View Item"]
      const want = perDay("View Item", type)
      expect(sorted(Object.keys(got))).toEqual(sorted(Object.keys(want)))
      for (const d of Object.keys(want)) expect(got[d]).toBeCloseTo(want[d]!, 10)
    }
    const general = (await query(sim, "/api/query/segmentation", { ...range, event: "View Item" }))
      .json.data.values["View Item"]
    const unique = (
      await query(sim, "/api/query/segmentation", { ...range, event: "View Item", type: "unique" })
    ).json.data.values["View Item"]
    for (const d of days) expect(unique[d]).toBeLessThan(general[d])
  })

  it("sends series unsorted, in the same order each time", async () => {
    const a = await query(sim, "/api/query/segmentation", { ...range, event: "Search" })
    const b = await query(sim, "/api/2.0/segmentation", { ...range, event: "Search" })
    expect(a.json.data.series).not.toEqual(days)
    expect(b.json).toEqual(a.json)
  })

  it("breaks down by `on`, keeping the top `limit` values by their total over the range", async () => {
    const on = 'properties["mp_country_code"]'
    const country = (e: ReadEvent) => String(e.properties.mp_country_code)
    const r = await query(sim, "/api/query/segmentation", { ...range, event: "Search", on })
    const totals = countBy(
      events.filter((e) => e.event === "Search"),
      country,
    )
    expect(r.json.legend_size).toBe(totals.size)
    for (const [c] of totals)
      expect(r.json.data.values[c]).toEqual(perDay("Search", "general", (e) => country(e) === c))
    const byEvents = [...totals]
      .sort((x, y) => y[1].events - x[1].events || (x[0] < y[0] ? -1 : 1))
      .map(([c]) => c)
    const top = await query(sim, "/api/query/segmentation", {
      ...range,
      event: "Search",
      on,
      limit: "3",
    })
    expect(top.json.legend_size).toBe(3)
    expect(Object.keys(top.json.data.values)).toEqual(byEvents.slice(0, 3))
    const byUsers = [...totals]
      .sort((x, y) => y[1].users.size - x[1].users.size || (x[0] < y[0] ? -1 : 1))
      .map(([c]) => c)
    const unique = await query(sim, "/api/query/segmentation", {
      ...range,
      event: "Search",
      on,
      type: "unique",
      limit: "2",
    })
    expect(Object.keys(unique.json.data.values)).toEqual(byUsers.slice(0, 2))
    // a property an event lacks segments as "undefined"
    const missing = await query(sim, "/api/query/segmentation", {
      ...range,
      event: "Search",
      on: 'properties["company_id"]',
    })
    expect(missing.json.data.values.undefined).toEqual(
      perDay("Search", "general", (e) => e.properties.company_id === undefined),
    )
  })

  it("filters with `where`", async () => {
    const r = await query(sim, "/api/query/segmentation", {
      ...range,
      event: "Page View",
      type: "unique",
      where: 'properties["$os"] == "Windows" and properties["$browser"] != "Edge"',
    })
    expect(r.json.data.values["Page View"]).toEqual(
      perDay(
        "Page View",
        "unique",
        (e) => e.properties.$os === "Windows" && e.properties.$browser !== "Edge",
      ),
    )
  })

  it("buckets by minute, hour, week and month with Mixpanel's keys", async () => {
    const byDay = perDay("Purchase", "general")
    const hour = await query(sim, "/api/query/segmentation", {
      ...range,
      event: "Purchase",
      unit: "hour",
    })
    expect(hour.json.data.series).toHaveLength(240)
    for (const k of hour.json.data.series) expect(k).toMatch(/^2024-01-\d\d \d\d:00:00$/)
    const hourly = hour.json.data.values.Purchase as Record<string, number>
    const want = countBy(
      events.filter((e) => e.event === "Purchase"),
      (e) => `${dayOf(e.servedMs)} ${new Date(e.servedMs).toISOString().slice(11, 13)}:00:00`,
    )
    expect(hourly).toEqual(Object.fromEntries([...want].map(([k, c]) => [k, c.events])))
    const minute = await query(sim, "/api/query/segmentation", {
      from_date: "2024-01-02",
      to_date: "2024-01-02",
      event: "Purchase",
      unit: "minute",
    })
    expect(minute.json.data.series).toHaveLength(1440)
    expect(minute.json.data.series).toContain("2024-01-02 13:07:00")
    const perMinute = Object.values(minute.json.data.values.Purchase as Record<string, number>)
    expect(perMinute.reduce((a, b) => a + b, 0)).toBe(byDay["2024-01-02"])
    const week = await query(sim, "/api/query/segmentation", {
      ...range,
      event: "Purchase",
      unit: "week",
    })
    expect(sorted(week.json.data.series)).toEqual(["2024-01-01", "2024-01-08"])
    const sum = (from: number, to: number) =>
      days.slice(from, to).reduce((t, d) => t + (byDay[d] ?? 0), 0)
    expect(week.json.data.values.Purchase).toEqual({
      "2024-01-01": sum(0, 7),
      "2024-01-08": sum(7, 10),
    })
    // a range starting mid-week keys the week by its Monday, counting only the range's days
    const midWeek = await query(sim, "/api/query/segmentation", {
      from_date: "2024-01-03",
      to_date: "2024-01-09",
      event: "Purchase",
      unit: "week",
    })
    expect(midWeek.json.data.values.Purchase).toEqual({
      "2024-01-01": sum(2, 7),
      "2024-01-08": sum(7, 9),
    })
    const month = await query(sim, "/api/query/segmentation", {
      ...range,
      event: "Purchase",
      unit: "month",
    })
    expect(month.json.data).toEqual({
      series: ["2024-01-01"],
      values: { Purchase: { "2024-01-01": sum(0, 10) } },
    })
  })

  it("puts numeric values in buckets of a round width", async () => {
    expect(numericBuckets(2000, 2950).label(20)).toBe("2,000 - 2,100")
    expect(numericBuckets(0, 1).index(0.3)).toBe(3)
    expect(numericBuckets(0, 1).label(3)).toBe("0.3 - 0.4")
    expect(numericBuckets(5, 5).label(numericBuckets(5, 5).index(5))).toBe("5 - 5.5")
    const r = await query(sim, "/api/query/segmentation/numeric", {
      ...range,
      event: "Purchase",
      on: 'properties["amount"]',
    })
    expect(r.status).toBe(200)
    const amounts = events
      .filter((e) => e.event === "Purchase" && typeof e.properties.amount === "number")
      .map((e) => [dayOf(e.servedMs), e.properties.amount as number] as const)
    const nb = numericBuckets(
      Math.min(...amounts.map(([, a]) => a)),
      Math.max(...amounts.map(([, a]) => a)),
    )
    const want: Record<string, Record<string, number>> = {}
    for (const [day, a] of amounts) {
      const label = nb.label(nb.index(a))
      want[label] ??= {}
      want[label]![day] = (want[label]![day] ?? 0) + 1
    }
    expect(r.json.data.values).toEqual(want)
    expect(r.json.legend_size).toBe(Object.keys(want).length)
    for (const label of Object.keys(want)) expect(label).toMatch(/^[\d,.]+ - [\d,.]+$/)
  })

  it("sums and averages a numeric property per bucket", async () => {
    const on = 'properties["amount"]'
    const sum = await query(sim, "/api/query/segmentation/sum", { ...range, event: "Purchase", on })
    const avg = await query(sim, "/api/query/segmentation/average", {
      ...range,
      event: "Purchase",
      on,
    })
    expect(sum.json.status).toBe("ok")
    expect(sum.json.computed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/)
    const purchases = events.filter((e) => e.event === "Purchase")
    for (const d of days) {
      const of = purchases.filter((e) => dayOf(e.servedMs) === d)
      if (of.length === 0) {
        expect(sum.json.results[d]).toBeUndefined()
        continue
      }
      const total = of.reduce((t, e) => t + (e.properties.amount as number), 0)
      expect(sum.json.results[d]).toBeCloseTo(total, 6)
      expect(avg.json.results[d]).toBeCloseTo(total / of.length, 6)
    }
  })
})

describe("events", () => {
  it("counts several events per bucket, as eventCounts has them", async () => {
    const names = ["View Item", "Add to Cart", "Sign Up", "Never Sent"]
    const r = await query(sim, "/api/query/events", {
      ...range,
      event: JSON.stringify(names),
      type: "general",
      unit: "day",
    })
    expect(r.status).toBe(200)
    expect(r.json.legend_size).toBe(4)
    const counts = sim.eventCounts(range.from_date, range.to_date)
    for (const n of names) expect(r.json.data.values[n]).toEqual(counts[n] ?? {})
    for (const n of ["View Item", "Add to Cart", "Sign Up"])
      expect(counts[n]).toEqual(perDay(n, "general"))
    // every event the export has, and no other
    expect(sorted(Object.keys(counts))).toEqual(sorted([...new Set(events.map((e) => e.event))]))
    const unique = await query(sim, "/api/query/events", {
      ...range,
      event: JSON.stringify(["Share"]),
      type: "unique",
      unit: "day",
    })
    expect(unique.json.data.values.Share).toEqual(perDay("Share", "unique"))
  })

  it("reads `interval` as that many units ending with today's", async () => {
    const counts = sim.eventCounts("2024-01-08", "2024-01-10")
    const r = await query(sim, "/api/query/events", {
      event: JSON.stringify(["Search"]),
      type: "general",
      unit: "day",
      interval: "3",
    })
    expect(sorted(r.json.data.series)).toEqual(["2024-01-08", "2024-01-09", "2024-01-10"])
    expect(r.json.data.values.Search).toEqual(counts.Search)
    const weeks = await query(sim, "/api/query/events", {
      event: JSON.stringify(["Search"]),
      type: "general",
      unit: "week",
      interval: "2",
    })
    expect(sorted(weeks.json.data.series)).toEqual(["2024-01-01", "2024-01-08"])
  })

  it("breaks one event down by a property's values", async () => {
    const r = await query(sim, "/api/query/events/properties", {
      ...range,
      event: "Purchase",
      name: "currency",
      values: JSON.stringify(["USD", "EUR", "XXX"]),
      type: "unique",
      unit: "day",
    })
    expect(r.status).toBe(200)
    expect(sorted(Object.keys(r.json.data.values))).toEqual(["EUR", "USD"])
    for (const c of ["USD", "EUR"])
      expect(r.json.data.values[c]).toEqual(
        perDay("Purchase", "unique", (e) => e.properties.currency === c),
      )
    const top = await query(sim, "/api/query/events/properties", {
      ...range,
      event: "Purchase",
      name: "currency",
      type: "general",
      unit: "month",
      limit: "1",
    })
    expect(Object.keys(top.json.data.values)).toEqual(["USD"])
  })
})

describe("shape variants", () => {
  it("sorts series and writes zero buckets when asked", async () => {
    const s = await startSimulator({
      users: 300,
      days: 10,
      today: "2024-01-10",
      limits: false,
      queryShape: { sortedSeries: true, zeroBuckets: true },
    })
    try {
      const where = 'properties["mp_country_code"] == "SG"'
      const params = { ...range, event: "Purchase", where }
      const plain = await query(sim, "/api/query/segmentation", params)
      const zeros = await query(s, "/api/query/segmentation", params)
      expect(zeros.json.data.series).toEqual(days)
      const want = perDay("Purchase", "general", (e) => e.properties.mp_country_code === "SG")
      expect(plain.json.data.values.Purchase).toEqual(want)
      expect(zeros.json.data.values.Purchase).toEqual(
        Object.fromEntries(days.map((d) => [d, want[d] ?? 0])),
      )
      const sum = await query(s, "/api/query/segmentation/sum", {
        ...params,
        on: 'properties["amount"]',
      })
      expect(Object.keys(sum.json.results)).toEqual(days)
    } finally {
      await s.close()
    }
  })
})

describe("errors", () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ["/api/query/segmentation", { ...range }, /^event is required$/],
    ["/api/query/segmentation", { event: "Search" }, /from_date and to_date are required/],
    [
      "/api/query/segmentation",
      { from_date: "2024-01-01", to_date: "2024-01-11", event: "Search" },
      /^to_date cannot be later than today$/,
    ],
    ["/api/query/segmentation", { ...range, event: "Search", unit: "year" }, /invalid unit: year/],
    ["/api/query/segmentation", { ...range, event: "Search", type: "sum" }, /invalid type: sum/],
    ["/api/query/segmentation", { ...range, event: "Search", limit: "0" }, /invalid limit: 0/],
    [
      "/api/query/segmentation",
      { ...range, event: "Search", where: 'properties["x"] ==' },
      /^invalid where expression/,
    ],
    [
      "/api/query/segmentation",
      { from_date: "2023-01-01", to_date: "2024-01-10", event: "Search", unit: "minute" },
      /^too many minute buckets: \d+ \(at most 100000\)$/,
    ],
    ["/api/query/segmentation/numeric", { ...range, event: "Purchase" }, /^on is required$/],
    [
      "/api/query/segmentation/sum",
      { ...range, event: "Purchase", on: 'properties["amount"]', unit: "week" },
      /invalid unit: week/,
    ],
    ["/api/query/events", { ...range, event: '["Search"]', unit: "day" }, /^type is required/],
    [
      "/api/query/events",
      { ...range, event: "Search", type: "general", unit: "day" },
      /JSON array/,
    ],
    [
      "/api/query/events",
      { event: '["Search"]', type: "general", unit: "day" },
      /from_date and to_date, or interval, are required/,
    ],
    [
      "/api/query/events/properties",
      { ...range, event: "Purchase", type: "general", unit: "day" },
      /^name is required$/,
    ],
  ]

  it("answers 400 with the query API's body naming the request", async () => {
    for (const [path, params, message] of cases) {
      const r = await query(sim, path, params)
      expect(r.status, `${path} ${JSON.stringify(params)}`).toBe(400)
      expect(Object.keys(r.json)).toEqual(["request", "error"])
      expect(r.json.request).toBe(`${path}?${new URLSearchParams({ project_id: "1", ...params })}`)
      expect(r.json.error).toMatch(message)
    }
    const legacy = await query(sim, "/api/2.0/segmentation", { ...range })
    expect(legacy.status).toBe(400)
    expect(legacy.json.request).toMatch(/^\/api\/2\.0\/segmentation\?/)
  })

  it("refuses past the query family's hourly budget with Retry-After, and injects faults", async () => {
    const clock = manualClock()
    const s = await startSimulator({
      users: 50,
      days: 3,
      today: "2024-01-03",
      clock,
      limits: { query: { perHour: 2, concurrent: 5 } },
    })
    try {
      const params = { from_date: "2024-01-01", to_date: "2024-01-03", event: "Search" }
      expect((await query(s, "/api/query/segmentation", params)).status).toBe(200)
      expect((await query(s, "/api/query/funnels", { ...params, funnel_id: "7002" })).status).toBe(
        200,
      )
      const refused = await query(s, "/api/query/retention", { ...params, born_event: "Sign Up" })
      expect(refused.status).toBe(429)
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(3000)
      expect(refused.json.request).toMatch(/^\/api\/query\/retention\?/)
      expect(refused.json.error).toMatch(
        /^Query rate limit exceeded for project_id: 1\. \d\/5 queries running concurrently and 3\/2 queries/,
      )
      expect(s.stats().query).toMatchObject({ rateLimited: 1, sent429: 1 })
      clock.advance(3_600_001)
      expect((await query(s, "/api/query/insights", { bookmark_id: "9001" })).status).toBe(200)
    } finally {
      await s.close()
    }
    sim.setFaults({
      script: [
        { match: { path: "/api/query/segmentation", nth: 1 }, fault: "503" },
        { match: { path: "/api/query/segmentation", nth: 2 }, fault: "cut-line" },
        { match: { path: "/api/query/funnels", nth: 1 }, fault: "429-retry-after" },
      ],
    })
    try {
      const params = { ...range, event: "Search" }
      expect((await query(sim, "/api/query/segmentation", params)).status).toBe(503)
      const cut = await query(sim, "/api/query/segmentation", params)
      expect(cut.status).toBe(200)
      expect(cut.json).toBeUndefined()
      expect((await query(sim, "/api/query/segmentation", params)).json.legend_size).toBe(1)
      const limited = await query(sim, "/api/query/funnels", { ...range, funnel_id: "7001" })
      expect(limited.status).toBe(429)
      expect(limited.headers["retry-after"]).toBe("1")
      // a refused parameter is answered before any fault is drawn
      sim.setFaults({ script: [{ match: { path: "/api/query/segmentation" }, fault: "503" }] })
      expect((await query(sim, "/api/query/segmentation", range)).status).toBe(400)
    } finally {
      sim.setFaults({})
    }
  })
})

describe("legacy time zone project", () => {
  it("buckets in the zone's wall clock, across its clock change", async () => {
    const s = await startSimulator({
      users: 200,
      startDate: "2024-03-08",
      days: 4,
      timeZone: "America/Los_Angeles",
      today: "2024-03-11",
      limits: false,
    })
    try {
      const from = "2024-03-08"
      const to = "2024-03-11"
      const read = await exportedEvents(s, from, to)
      const name = "Page View"
      const want = countBy(
        read.filter((e) => e.event === name),
        (e) => dayOf(e.servedMs),
      )
      const counts = s.eventCounts(from, to)
      expect(counts[name]).toEqual(Object.fromEntries([...want].map(([d, c]) => [d, c.events])))
      const hours = await query(s, "/api/query/segmentation", {
        from_date: from,
        to_date: to,
        event: name,
        unit: "hour",
        type: "unique",
      })
      // every wall-clock hour is a bucket, the one the zone skips on 2024-03-10 too (empty)
      expect(hours.json.data.series).toHaveLength(96)
      expect(hours.json.data.series).toContain("2024-03-10 02:00:00")
      expect(hours.json.data.values[name]["2024-03-10 02:00:00"]).toBeUndefined()
      const byHour = countBy(
        read.filter((e) => e.event === name),
        (e) => `${dayOf(e.servedMs)} ${new Date(e.servedMs).toISOString().slice(11, 13)}:00:00`,
      )
      expect(hours.json.data.values[name]).toEqual(
        Object.fromEntries([...byHour].map(([k, c]) => [k, c.users.size])),
      )
      const insights = await query(s, "/api/query/insights", { bookmark_id: "9003" })
      expect(insights.json.date_range).toEqual({
        from_date: "2024-03-08T00:00:00-08:00",
        to_date: "2024-03-11T23:59:59.999000-07:00",
      })
      expect(Object.keys(insights.json.series.Purchase)).toEqual([
        "2024-03-08T00:00:00-08:00",
        "2024-03-09T00:00:00-08:00",
        "2024-03-10T00:00:00-08:00",
        "2024-03-11T00:00:00-07:00",
      ])
    } finally {
      await s.close()
    }
  })
})

describe("performance", () => {
  it("answers a month of 5,000 events a day well under a second once its days are read", async () => {
    const s = await startSimulator({ users: 1000, days: 30, today: "2024-01-30", limits: false })
    try {
      const month = { from_date: "2024-01-01", to_date: "2024-01-30" }
      const t0 = performance.now()
      const first = await query(s, "/api/query/events", {
        ...month,
        event: JSON.stringify(["View Item", "Purchase"]),
        type: "unique",
        unit: "day",
      })
      const cold = performance.now() - t0
      expect(first.status).toBe(200)
      expect(cold).toBeLessThan(3000)
      const requests: Array<[string, Record<string, string>]> = [
        ["/api/query/segmentation", { ...month, event: "Page View", type: "unique", unit: "hour" }],
        [
          "/api/query/events",
          { ...month, event: '["Search","Share"]', type: "average", unit: "week" },
        ],
        ["/api/query/funnels", { ...month, funnel_id: "7001" }],
        ["/api/query/retention", { ...month, born_event: "Sign Up", interval_count: "7" }],
        ["/api/query/retention/addiction", { ...month, unit: "week", addiction_unit: "day" }],
        ["/api/query/insights", { bookmark_id: "9001" }],
      ]
      for (const [path, params] of requests) {
        const t = performance.now()
        const r = await query(s, path, params)
        expect(r.status).toBe(200)
        expect(performance.now() - t, path).toBeLessThan(1000)
      }
    } finally {
      await s.close()
    }
  })
})
