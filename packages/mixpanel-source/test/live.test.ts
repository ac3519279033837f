import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import {
  AuthenticationError,
  BadRequestError,
  PermissionError,
  PlanLimitError,
  Progress,
  type ProgressEvent,
  ServerError,
  type SourceError,
} from "@mixpanel-data/core"
import { funnelDefinitions, insightsBookmarks } from "@mixpanel-data/mixpanel-sim"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { MixpanelSource } from "../src/index.js"
import { configFor, failureOf, useSimulator, withSource } from "./helpers.js"

const FROM = "2024-05-01"
const TO = "2024-05-04"
const DAYS = ["2024-05-01", "2024-05-02", "2024-05-03", "2024-05-04"]
const DATASET = { seed: 23, startDate: FROM, days: 6, users: 80 }

const sum = (values: Readonly<Record<string, number>>) =>
  Object.values(values).reduce((a, b) => a + b, 0)

describe("live queries against the simulator", () => {
  // as Mixpanel sends answers: series unsorted, empty buckets left out, frequency in `data`
  const env = useSimulator(DATASET)
  // the same data, every answer in its other shape
  const other = useSimulator({
    ...DATASET,
    queryShape: { sortedSeries: true, zeroBuckets: true, frequencyWrapper: false },
  })

  const live = <A, E>(f: (source: MixpanelSource) => Effect.Effect<A, E>, sim = env) =>
    withSource(configFor(sim.sim.url, sim.spool), f)

  /** The simulator's own count of an event per day, 0 where it has none. */
  const truth = (event: string) => {
    const counts = env.sim.eventCounts(FROM, TO)[event] ?? {}
    return Object.fromEntries(DAYS.map((d) => [d, counts[d] ?? 0]))
  }

  const requestsTo = (path: string) => env.sim.stats().query.endpoints[path] ?? 0

  it("segmentation: every day of the range, sorted, the event's counts the simulator's own", async () => {
    const before = requestsTo("/api/query/segmentation")
    const answer = await live((s) =>
      s.live.segmentation({ event: "Add to Cart", from: FROM, to: TO }),
    )
    expect(requestsTo("/api/query/segmentation")).toBe(before + 1)
    expect(answer).toEqual({
      data: { series: DAYS, values: { "Add to Cart": truth("Add to Cart") } },
      legend_size: 1,
    })
    expect(sum(truth("Add to Cart"))).toBeGreaterThan(0)
    // an event nobody sent: its one series, all zeros
    const none = await live((s) => s.live.segmentation({ event: "Nope", from: FROM, to: TO }))
    expect(none.data.values).toEqual({ Nope: Object.fromEntries(DAYS.map((d) => [d, 0])) })
  })

  it("segmentation by a property, filtered, limited, by hour and by week, unique", async () => {
    const total = truth("Add to Cart")
    const byCategory = await live((s) =>
      s.live.segmentation({
        event: "Add to Cart",
        from: FROM,
        to: TO,
        on: 'properties["category"]',
      }),
    )
    const segments = Object.keys(byCategory.data.values)
    expect(segments.length).toBeGreaterThan(1)
    expect(byCategory.legend_size).toBe(segments.length)
    for (const day of DAYS) {
      expect(
        sum(Object.fromEntries(segments.map((s) => [s, byCategory.data.values[s]![day]!]))),
      ).toBe(total[day])
    }
    // ranked by total over the range
    const totals = segments.map((s) => sum(byCategory.data.values[s]!))
    expect(totals).toEqual([...totals].sort((a, b) => b - a))

    const top = segments[0]!
    const filtered = await live((s) =>
      s.live.segmentation({
        event: "Add to Cart",
        from: FROM,
        to: TO,
        where: `properties["category"] == ${JSON.stringify(top)}`,
      }),
    )
    expect(filtered.data.values["Add to Cart"]).toEqual(byCategory.data.values[top])

    const limited = await live((s) =>
      s.live.segmentation({
        event: "Add to Cart",
        from: FROM,
        to: TO,
        on: 'properties["category"]',
        limit: 2,
      }),
    )
    expect(limited.legend_size).toBe(2)
    expect(Object.keys(limited.data.values)).toEqual(segments.slice(0, 2))

    const hours = await live((s) =>
      s.live.segmentation({ event: "Add to Cart", from: FROM, to: FROM, unit: "hour" }),
    )
    expect(hours.data.series).toHaveLength(24)
    expect(hours.data.series[13]).toBe(`${FROM} 13:00:00`)
    expect(sum(hours.data.values["Add to Cart"]!)).toBe(total[FROM])

    // 2024-05-01 is a Wednesday: weeks keyed by their Monday
    const weeks = await live((s) =>
      s.live.segmentation({ event: "Add to Cart", from: FROM, to: "2024-05-06", unit: "week" }),
    )
    expect(weeks.data.series).toEqual(["2024-04-29", "2024-05-06"])

    const unique = await live((s) =>
      s.live.segmentation({ event: "Add to Cart", from: FROM, to: TO, type: "unique" }),
    )
    for (const day of DAYS) {
      expect(unique.data.values["Add to Cart"]![day]).toBeLessThanOrEqual(total[day]!)
    }
  })

  it("events: many names in one request, each its own segment, an unknown one all zeros", async () => {
    const before = requestsTo("/api/query/events")
    const names = ["Add to Cart", "Purchase", "Sign Up", "No Such Event"]
    const answer = await live((s) => s.live.events({ events: names, from: FROM, to: TO }))
    expect(requestsTo("/api/query/events")).toBe(before + 1)
    expect(answer.data.series).toEqual(DAYS)
    expect(answer.legend_size).toBe(4)
    expect(Object.keys(answer.data.values).sort()).toEqual([...names].sort())
    for (const name of names) expect(answer.data.values[name]).toEqual(truth(name))
  })

  it("event properties: one event by a property's values, only those asked for", async () => {
    const all = await live((s) =>
      s.live.eventProperties({ event: "Add to Cart", name: "category", from: FROM, to: TO }),
    )
    const segments = Object.keys(all.data.values)
    const total = truth("Add to Cart")
    for (const day of DAYS) {
      expect(segments.reduce((n, s) => n + all.data.values[s]![day]!, 0)).toBe(total[day])
    }
    const first = segments[0]!
    const some = await live((s) =>
      s.live.eventProperties({
        event: "Add to Cart",
        name: "category",
        values: [first, "no such value"],
        from: FROM,
        to: TO,
      }),
    )
    expect(some.data.values).toEqual({
      [first]: all.data.values[first],
      "no such value": Object.fromEntries(DAYS.map((d) => [d, 0])),
    })
  })

  it("numeric, sum and average segmentation: ranges in order, every day listed", async () => {
    const on = 'properties["price"]'
    const numeric = await live((s) =>
      s.live.segmentationNumeric({ event: "Add to Cart", from: FROM, to: TO, on }),
    )
    const labels = Object.keys(numeric.data.values)
    const lower = labels.map((l) => Number(l.split(" - ")[0]!.replaceAll(",", "")))
    expect(lower).toEqual([...lower].sort((a, b) => a - b))
    expect(numeric.data.series).toEqual(DAYS)
    const totals = await live((s) =>
      s.live.segmentationSum({ event: "Add to Cart", from: FROM, to: TO, on }),
    )
    const means = await live((s) =>
      s.live.segmentationAverage({ event: "Add to Cart", from: FROM, to: TO, on }),
    )
    expect(Object.keys(totals.results)).toEqual(DAYS)
    expect(Object.keys(means.results)).toEqual(DAYS)
    const count = truth("Add to Cart")
    for (const day of DAYS) {
      // the mean per event, times the events, is the sum
      expect((means.results[day] ?? 0) * (count[day] ?? 0)).toBeCloseTo(totals.results[day] ?? 0, 6)
    }
  })

  it("funnel: a saved funnel in core's shape, every day of the range, its steps in order", async () => {
    const def = funnelDefinitions[0]!
    const answer = await live((s) =>
      s.live.funnel({ funnelId: def.funnel_id, from: FROM, to: TO, unit: "day" }),
    )
    expect(answer.meta.dates).toEqual(DAYS)
    expect(Object.keys(answer.data)).toEqual(DAYS)
    let entered = 0
    for (const day of DAYS) {
      const bucket = answer.data[day]!
      expect(bucket.steps.map((s) => s.event)).toEqual(def.steps)
      expect(bucket.steps[0]).toMatchObject({ avg_time: null, avg_time_from_start: null })
      const counts = bucket.steps.map((s) => s.count)
      expect(counts).toEqual([...counts].sort((a, b) => b - a))
      expect(bucket.analysis.starting_amount).toBe(counts[0])
      expect(bucket.analysis.completion).toBe(counts[counts.length - 1])
      entered += counts[0]!
    }
    expect(entered).toBeGreaterThan(0)
    // a one-second window converts no more than the saved one
    const tight = await live((s) =>
      s.live.funnel({
        funnelId: def.funnel_id,
        from: FROM,
        to: TO,
        unit: "day",
        length: 1,
        lengthUnit: "second",
      }),
    )
    for (const day of DAYS) {
      expect(tight.data[day]!.steps[1]!.count).toBeLessThanOrEqual(
        answer.data[day]!.steps[1]!.count,
      )
    }
    // a breakdown: each date's $overall, every segment kept
    const split = await live((s) =>
      s.live.funnel({
        funnelId: def.funnel_id,
        from: FROM,
        to: TO,
        unit: "day",
        on: 'properties["$os"]',
      }),
    )
    for (const day of DAYS) {
      expect(split.data[day]!.steps.map((s) => s.count)).toEqual(
        answer.data[day]!.steps.map((s) => s.count),
      )
      expect(Object.keys(split.segments?.[day] ?? {})).toContain("$overall")
    }
  })

  it("retention and frequency: every bucket listed, counts of the intervals asked for", async () => {
    const birth = await live((s) =>
      s.live.retention({ born: "Sign Up", from: FROM, to: TO, intervals: 2 }),
    )
    expect(Object.keys(birth)).toEqual(DAYS)
    for (const day of DAYS) expect(birth[day]!.counts).toHaveLength(3)
    const compounded = await live((s) =>
      s.live.retention({
        type: "compounded",
        returning: "Add to Cart",
        from: FROM,
        to: TO,
        unit: "week",
        unbounded: true,
      }),
    )
    expect(Object.keys(compounded)).toEqual(["2024-04-29"])
    const frequency = await live((s) =>
      s.live.frequency({ event: "Add to Cart", from: FROM, to: TO, unit: "day", subUnit: "hour" }),
    )
    expect(Object.keys(frequency.data)).toEqual(DAYS)
    for (const day of DAYS) {
      const users = frequency.data[day]!
      expect(users).toHaveLength(24)
      expect(users).toEqual([...users].sort((a, b) => b - a))
    }
  })

  it("insights: a saved report as Mixpanel gives it, its series keys sorted", async () => {
    const answer = await live((s) => s.live.insights(insightsBookmarks[0]!.bookmark_id))
    expect(answer.headers).toEqual(["$event"])
    expect(typeof answer.computed_at).toBe("string")
    expect(typeof answer.date_range.from_date).toBe("string")
    const metrics = Object.keys(answer.series)
    expect(metrics).toEqual([...metrics].sort())
    expect(metrics.sort()).toEqual([...insightsBookmarks[0]!.events].sort())
    for (const metric of metrics) {
      const dates = Object.keys(answer.series[metric] as object)
      expect(dates).toEqual([...dates].sort())
    }
  })

  it("the same answers whatever shape Mixpanel sends them in", async () => {
    const ask = (s: MixpanelSource) =>
      Effect.all({
        segmentation: s.live.segmentation({
          event: "Add to Cart",
          from: FROM,
          to: TO,
          on: 'properties["category"]',
        }),
        events: s.live.events({
          events: ["Purchase", "Sign Up"],
          from: FROM,
          to: TO,
          unit: "hour",
        }),
        sum: s.live.segmentationSum({
          event: "Add to Cart",
          from: FROM,
          to: TO,
          on: 'properties["price"]',
        }),
        frequency: s.live.frequency({
          event: "Add to Cart",
          from: FROM,
          to: TO,
          unit: "week",
          subUnit: "day",
        }),
      })
    // computed_at is the moment each answered
    const asked = (sim: typeof env) =>
      live(ask, sim).then(({ sum: { computed_at: _, ...sum }, ...rest }) => ({ ...rest, sum }))
    const usual = await asked(env)
    const otherwise = await asked(other)
    expect(otherwise).toEqual(usual)
    expect(JSON.stringify(otherwise)).toBe(JSON.stringify(usual))
  })

  it("waits for a 429's Retry-After on the query API, then answers, the wait reported", async () => {
    const expected = await live((s) =>
      s.live.segmentation({ event: "Purchase", from: FROM, to: TO }),
    )
    env.sim.setFaults({
      script: [
        {
          match: { path: "/api/query/segmentation", times: 1 },
          fault: { kind: "429-retry-after", retryAfterSeconds: 1 },
        },
      ],
    })
    const events: Array<ProgressEvent> = []
    const reporter = { report: (e: ProgressEvent) => Effect.sync(() => void events.push(e)) }
    const before = env.sim.stats().query.byStatus["429"] ?? 0
    try {
      const started = Date.now()
      const answer = await live((s) =>
        s.live
          .segmentation({ event: "Purchase", from: FROM, to: TO })
          .pipe(Effect.provideService(Progress, reporter)),
      )
      expect(Date.now() - started).toBeGreaterThanOrEqual(950)
      expect(answer).toEqual(expected)
      expect(env.sim.stats().query.byStatus["429"]).toBe(before + 1)
      expect(events).toContainEqual(
        expect.objectContaining({ _tag: "Retrying", what: "/api/query/segmentation" }),
      )
    } finally {
      env.sim.setFaults({})
    }
  })

  it("fails with typed errors: 401, 402, 403 and 400 answers, and options refused before asking", async () => {
    const config = configFor(env.sim.url, env.spool)
    const ask = (s: MixpanelSource) =>
      s.live.segmentation({ event: "Purchase", from: FROM, to: TO })
    const cases = [
      ["401", AuthenticationError, 401],
      ["402", PlanLimitError, 402],
      ["403", PermissionError, 403],
    ] as const
    try {
      for (const [kind, type, status] of cases) {
        env.sim.setFaults({ script: [{ match: { path: "/api/query/segmentation" }, fault: kind }] })
        const error = await failureOf(config, ask)
        expect(error, kind).toBeInstanceOf(type)
        expect((error as InstanceType<typeof type>).status).toBe(status)
      }
    } finally {
      env.sim.setFaults({})
    }
    // Mixpanel's own 400: an expression it cannot read, a to_date after its today
    const where = await failureOf(config, (s) =>
      s.live.segmentation({ event: "Purchase", from: FROM, to: TO, where: "properties[" }),
    )
    expect(where).toBeInstanceOf(BadRequestError)
    expect((where as BadRequestError).status).toBe(400)
    const future = await failureOf(config, (s) =>
      s.live.events({ events: ["Purchase"], from: FROM, to: "2999-01-01" }),
    )
    expect(future).toBeInstanceOf(BadRequestError)
    expect((future as BadRequestError).status).toBe(400)
    // refused here, no query spent
    const spent = env.sim.stats().query.requests
    const refusals: Array<(s: MixpanelSource) => Effect.Effect<unknown, SourceError>> = [
      (s) => s.live.segmentation({ event: "Purchase", from: TO, to: FROM }),
      (s) => s.live.segmentation({ event: "", from: FROM, to: TO }),
      (s) => s.live.events({ events: [], from: FROM, to: TO }),
      (s) => s.live.retention({ from: FROM, to: TO }),
      (s) =>
        s.live.frequency({ event: "E", from: FROM, to: TO, unit: "year" as "day", subUnit: "day" }),
    ]
    for (const refused of refusals) {
      const error = await failureOf(config, refused)
      expect(error).toBeInstanceOf(BadRequestError)
    }
    expect(env.sim.stats().query.requests).toBe(spent)
  })
})

describe("live queries share the query limits", () => {
  // Mixpanel's limits enforced: a sixth request at once would be refused with a 429
  const env = useSimulator({
    ...DATASET,
    latencyMs: 150,
    limits: { query: { perHour: 60, concurrent: 5 } },
  })

  it("8 concurrent live calls never have more than 5 in flight, and all answer", async () => {
    const answers = await withSource(configFor(env.sim.url, env.spool), (s) =>
      Effect.all(
        [
          s.live.segmentation({ event: "Purchase", from: FROM, to: TO }),
          s.live.segmentation({ event: "Sign Up", from: FROM, to: TO, type: "unique" }),
          s.live.events({ events: ["Purchase", "Sign Up"], from: FROM, to: TO }),
          s.live.eventProperties({ event: "Add to Cart", name: "category", from: FROM, to: TO }),
          s.live.funnel({ funnelId: funnelDefinitions[0]!.funnel_id, from: FROM, to: TO }),
          s.live.retention({ born: "Sign Up", from: FROM, to: TO }),
          s.live.frequency({ event: "Purchase", from: FROM, to: TO, unit: "day", subUnit: "hour" }),
          s.live.insights(insightsBookmarks[0]!.bookmark_id),
        ],
        { concurrency: "unbounded" },
      ).pipe(Effect.map((all) => ({ all, started: s.schedulers.query.started() }))),
    )
    expect(answers.all).toHaveLength(8)
    expect(answers.started).toBe(8)
    const stats = env.sim.stats().query
    expect(stats.maxConcurrent).toBe(5)
    expect(stats.rateLimited).toBe(0)
    expect(stats.byStatus["429"] ?? 0).toBe(0)
  })
})

describe("answers Mixpanel does not give", () => {
  let server: Server
  let url: string
  let body = ""
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" })
      res.end(body)
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it("fails with a ServerError naming the endpoint: a wrong shape at once, unreadable after retries", async () => {
    const config = configFor(url, "/tmp", {
      retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 },
    })
    body = JSON.stringify({ data: 5 })
    const shape = await failureOf(config, (s) =>
      s.live.segmentation({ event: "Purchase", from: FROM, to: TO }),
    )
    expect(shape).toBeInstanceOf(ServerError)
    expect((shape as ServerError).status).toBe(200)
    expect((shape as ServerError).body).toBe(
      "unexpected answer from /api/query/segmentation: data is not an object",
    )
    body = '{"data":{"series":["2024-05-01"],"val'
    const cut = await failureOf(config, (s) =>
      s.live.retention({ born: "Sign Up", from: FROM, to: TO }),
    )
    expect(cut).toBeInstanceOf(ServerError)
    expect((cut as ServerError).body).toMatch(/^unreadable answer from \/api\/query\/retention/)
  })
})
