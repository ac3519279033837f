import { join } from "node:path"
import { type FaultKind, insightsBookmarks } from "@mixpanel-data/mixpanel-sim"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { errorLine, type Fixture, SMALL, startFixture } from "./harness.js"

const FROM = SMALL.startDate!
const TO = "2024-03-04"
const range = ["--from", FROM, "--to", TO]

/** Numbers to 9 significant digits, at any depth. */
const rounded = (value: unknown): unknown =>
  typeof value === "number"
    ? Number(value.toPrecision(9))
    : Array.isArray(value)
      ? value.map(rounded)
      : typeof value === "object" && value !== null
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]))
        : value

describe("mp live against the simulator", () => {
  let f: Fixture
  let db: string
  const mp = (args: ReadonlyArray<string>) => f.mp(["--db", db, ...args])
  const json = async (args: ReadonlyArray<string>) => {
    const r = await mp(["--format", "json", ...args])
    expect(r.code, r.stderr).toBe(0)
    return JSON.parse(r.stdout)
  }
  const queries = () => f.sim.stats().query.requests

  beforeAll(async () => {
    f = await startFixture()
    db = join(f.dir, "live.duckdb")
    const r = await mp(["-q", "fetch", "events", ...range])
    if (r.code !== 0) throw new Error(`fetch failed: ${r.stderr}`)
  })
  afterAll(() => f.close())

  it("events --format json: each event's count per day as the fetched table's report gives it", async () => {
    const names = ["Purchase", "Add to Cart", "Sign Up"]
    const before = queries()
    const live = await json(["live", "events", ...names, ...range])
    expect(queries()).toBe(before + 1)
    expect(live.legend_size).toBe(3)
    const truth = f.sim.eventCounts(FROM, TO)
    for (const name of names) {
      const local = await json(["report", "segmentation", name, ...range])
      expect(live.data.series).toEqual(local.data.series)
      expect(live.data.values[name], name).toEqual(local.data.values[name])
      for (const day of local.data.series as Array<string>) {
        expect(live.data.values[name][day]).toBe(truth[name]?.[day] ?? 0)
      }
    }
  })

  it("segmentation --format json is the text mp report prints for the same question", async () => {
    for (const args of [
      ["Purchase"],
      ["Add to Cart", "--type", "unique"],
      ["Add to Cart", "--on", "category", "--limit", "3"],
      ["Purchase", "--unit", "hour", "--to", FROM],
      ["Page View", "--unit", "week"],
    ]) {
      const question = ["segmentation", ...args.slice(0, 1), ...range, ...args.slice(1)]
      const [live, local] = await Promise.all([
        mp(["--format", "json", "live", ...question]),
        mp(["--format", "json", "report", ...question]),
      ])
      expect(live.code, live.stderr).toBe(0)
      expect(local.code, local.stderr).toBe(0)
      expect(live.stdout, args.join(" ")).toBe(local.stdout)
    }
  })

  it("table, csv and jsonl print the rows mp report prints", async () => {
    for (const format of ["csv", "jsonl", "table"]) {
      const question = ["segmentation", "Add to Cart", ...range, "--on", "category"]
      const live = await mp(["--format", format, "live", ...question])
      const local = await mp(["--format", format, "report", ...question])
      expect(live.code, live.stderr).toBe(0)
      expect(live.stdout, format).toBe(local.stdout)
    }
    const csv = await mp(["--format", "csv", "live", "events", "Purchase", ...range])
    expect(csv.stdout.split("\r\n")[0]).toBe("bucket,segment,value")
  })

  it("funnel, retention and frequency: the answers mp report gives for the same question", async () => {
    const funnel = await json([
      "live",
      "funnel",
      "--id",
      "7001",
      ...range,
      "--unit",
      "day",
      "--window",
      "14d",
    ])
    expect(funnel.meta.dates).toEqual(["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"])
    const local = await json([
      "report",
      "funnel",
      "Sign Up",
      "Add to Cart",
      "Purchase",
      ...range,
      "--unit",
      "day",
      "--window",
      "14d",
    ])
    // the same answer, mean times summed in another order
    expect(rounded(funnel)).toEqual(rounded(local))
    const rows = await mp(["--format", "jsonl", "live", "funnel", "--id", "7001", ...range])
    expect(rows.code, rows.stderr).toBe(0)
    expect(Object.keys(JSON.parse(rows.stdout.split("\n")[0]!))).toEqual([
      "date",
      "step",
      "event",
      "count",
      "step_conv_ratio",
      "overall_conv_ratio",
      "avg_time",
      "avg_time_from_start",
    ])

    const retention = ["retention", "--born", "Sign Up", ...range, "--intervals", "2"]
    const liveRetention = await json(["live", ...retention])
    expect(liveRetention).toEqual(await json(["report", ...retention]))
    for (const cohort of Object.values(liveRetention) as Array<{ counts: number[] }>) {
      expect(cohort.counts).toHaveLength(3)
    }

    const frequency = ["frequency", "Purchase", ...range, "--unit", "day", "--sub-unit", "hour"]
    expect(await json(["live", ...frequency])).toEqual(await json(["report", ...frequency]))
  })

  it("insights: the saved report, series sorted; as rows one per value", async () => {
    const bookmark = insightsBookmarks[0]!
    const answer = await json(["live", "insights", "--id", String(bookmark.bookmark_id)])
    expect(answer.headers).toEqual(["$event"])
    expect(Object.keys(answer.series)).toEqual([...bookmark.events].sort())
    const csv = await mp([
      "--format",
      "csv",
      "live",
      "insights",
      "--id",
      String(bookmark.bookmark_id),
    ])
    expect(csv.code, csv.stderr).toBe(0)
    const lines = csv.stdout.trimEnd().split("\r\n")
    expect(lines[0]).toBe("$event,date,value")
    const values = Object.values(answer.series).flatMap((s) => Object.values(s as object))
    expect(lines).toHaveLength(values.length + 1)
  })

  it("a 429 with Retry-After is waited for on stderr, stdout holding the answer only", async () => {
    const expected = await json(["live", "segmentation", "Purchase", ...range])
    f.sim.setFaults({
      script: [
        {
          match: { path: "/api/query/segmentation", times: 1 },
          fault: { kind: "429-retry-after", retryAfterSeconds: 1 },
        },
      ],
    })
    try {
      const r = await mp(["--format", "json", "live", "segmentation", "Purchase", ...range])
      expect(r.code, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout)).toEqual(expected)
      expect(r.stderr).toMatch(/retry 1 of \/api\/query\/segmentation: 429/)
    } finally {
      f.sim.setFaults({})
    }
  })

  it("exit codes: 401 and 403 are 2, a 400 is 3, a 429 after the retries is 5", async () => {
    const question = ["live", "segmentation", "Purchase", ...range]
    const cases: Array<[FaultKind, number, RegExp]> = [
      ["401", 2, /AuthenticationError/],
      ["402", 2, /PlanLimitError/],
      ["403", 2, /PermissionError/],
      ["429", 5, /RateLimitedError/],
    ]
    try {
      for (const [kind, code, message] of cases) {
        f.sim.setFaults({ script: [{ match: { path: "/api/query/segmentation" }, fault: kind }] })
        const r = await mp(["--max-retries", "1", ...question])
        expect(r.code, `${kind}: ${r.stderr}`).toBe(code)
        expect(errorLine(r), kind).toMatch(message)
        expect(r.stdout).toBe("")
      }
    } finally {
      f.sim.setFaults({})
    }
    const bad = await mp([...question, "--where", "properties["])
    expect(bad.code, bad.stderr).toBe(3)
    expect(errorLine(bad)).toMatch(/BadRequestError/)
    // refused before a query is spent
    const before = queries()
    for (const args of [
      ["live", "segmentation", "Purchase", "--from", TO, "--to", FROM],
      ["live", "frequency", "Purchase", ...range, "--unit", "day", "--sub-unit", "week"],
      ["live", "funnel", "--id", "x", ...range],
      ["live", "funnel", "--id", "7001", ...range, "--window", "soon"],
    ]) {
      const r = await mp(args)
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(3)
      expect(r.stdout).toBe("")
    }
    expect(queries()).toBe(before)
  })

  it("--help shows an example of each", async () => {
    for (const kind of ["segmentation", "events", "funnel", "retention", "frequency", "insights"]) {
      const r = await mp(["live", kind, "--help"])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`mp live ${kind}`)
    }
    const top = await mp(["live", "--help"])
    expect(top.stdout).toMatch(/expression language, not SQL/)
  })
})
