import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { baseEnv, errorLine, requireBundle, runMp } from "./harness.js"

/** Epoch seconds of a wall-clock time read as UTC (an export's `time`). */
const seconds = (iso: string) => Date.parse(`${iso}Z`) / 1000

const line = (
  event: string,
  user: string,
  time: string,
  insertId: string,
  extra: Record<string, unknown> = {},
) =>
  JSON.stringify({
    event,
    properties: { time: seconds(time), distinct_id: user, $insert_id: insertId, ...extra },
  })

// A UTC project. 2024-01-01 is a Monday.
const events = [
  line("Sign Up", "u1", "2024-01-01T10:00:00", "s1", { plan: "pro" }),
  line("Sign Up", "u1", "2024-01-01T10:00:00", "s1", { plan: "pro" }), // a duplicate: merged
  line("Sign Up", "u2", "2024-01-01T11:00:00", "s2", { plan: "free" }),
  line("Sign Up", "u3", "2024-01-01T23:30:00", "s3"),
  line("Purchase", "u1", "2024-01-01T10:30:00", "p1"),
  line("Purchase", "u1", "2024-01-01T12:10:00", "p2"),
  line("Purchase", "u2", "2024-01-02T09:00:00", "p3"),
  line("Sign Up", "u4", "2024-01-02T00:15:00", "s4", { plan: "pro" }),
  line("Login", "u1", "2024-01-02T08:00:00", "l1"),
  line("Login", "u2", "2024-01-03T10:00:00", "l2"),
]

// A legacy project in New York: times are wall-clock times there. DST starts 2024-03-10 02:00.
const legacy = [
  line("E", "a", "2024-03-09T23:30:00", "e1"),
  line("E", "a", "2024-03-10T00:30:00", "e2"),
  line("E", "b", "2024-03-10T03:30:00", "e3"),
  line("E", "b", "2024-03-10T23:30:00", "e4"),
  line("E", "c", "2024-03-11T00:30:00", "e5"),
]

const days = { "2024-01-01": 0, "2024-01-02": 0, "2024-01-03": 0 }
const range = ["--from", "2024-01-01", "--to", "2024-01-03"]

describe("mp report", () => {
  let home: string
  let db: string
  const mp = (args: ReadonlyArray<string>) => runMp(["--db", db, ...args], { env: baseEnv(home) })
  const json = async (args: ReadonlyArray<string>) => {
    const r = await mp(["--format", "json", "report", ...args])
    expect(r.code, r.stderr).toBe(0)
    return JSON.parse(r.stdout)
  }

  beforeAll(async () => {
    requireBundle()
    home = mkdtempSync(join(tmpdir(), "mp-report-"))
    db = join(home, "reports.duckdb")
    const write = (name: string, lines: ReadonlyArray<string>) => {
      const path = join(home, name)
      writeFileSync(path, `${lines.join("\n")}\n`)
      return path
    }
    const imports = [
      ["import", "events", write("events.jsonl", events)],
      [
        "import",
        "events",
        write("legacy.jsonl", legacy),
        "--table",
        "legacy",
        "--project-timezone",
        "America/New_York",
      ],
      [
        "import",
        "profiles",
        write("people.jsonl", [JSON.stringify({ $distinct_id: "u1", $properties: {} })]),
        "--table",
        "people",
      ],
    ]
    for (const args of imports) {
      const r = await mp(["-q", ...args])
      expect(r.code, r.stderr).toBe(0)
    }
  })
  afterAll(() => rmSync(home, { recursive: true, force: true }))

  it("segmentation --format json: Mixpanel's answer, duplicates counted once", async () => {
    expect(await json(["segmentation", "Sign Up", ...range])).toEqual({
      data: {
        series: ["2024-01-01", "2024-01-02", "2024-01-03"],
        values: { "Sign Up": { "2024-01-01": 3, "2024-01-02": 1, "2024-01-03": 0 } },
      },
      legend_size: 1,
    })
    const byPlan = await json(["segmentation", "Sign Up", ...range, "--on", "plan"])
    expect(Object.keys(byPlan.data.values)).toEqual(["pro", "free", "undefined"])
    expect(byPlan.data.values).toEqual({
      pro: { ...days, "2024-01-01": 1, "2024-01-02": 1 },
      free: { ...days, "2024-01-01": 1 },
      undefined: { ...days, "2024-01-01": 1 },
    })
    expect(byPlan.legend_size).toBe(3)
    // global options after the command work as well
    const after = await mp([
      "report",
      "segmentation",
      "Purchase",
      ...range,
      "--type",
      "average",
      "--format",
      "json",
    ])
    expect(after.code, after.stderr).toBe(0)
    // day 1: two purchases by u1; day 2: one by u2
    expect(JSON.parse(after.stdout).data.values.Purchase).toEqual({
      "2024-01-01": 2,
      "2024-01-02": 1,
      "2024-01-03": 0,
    })
  })

  it("segmentation as a table for people, and as CSV and JSONL rows", async () => {
    const table = await mp(["report", "segmentation", "Sign Up", ...range, "--type", "unique"])
    expect(table.code, table.stderr).toBe(0)
    const lines = table.stdout.trimEnd().split("\n")
    expect(lines[0]).toMatch(/^bucket\s+segment\s+value$/)
    expect(lines.slice(2, 5).map((l) => l.split(/\s{2,}/))).toEqual([
      ["2024-01-01", "Sign Up", "3"],
      ["2024-01-02", "Sign Up", "1"],
      ["2024-01-03", "Sign Up", "0"],
    ])
    const csv = await mp([
      "--format",
      "csv",
      "report",
      "segmentation",
      "Sign Up",
      ...range,
      "--on",
      "plan",
      "--limit",
      "1",
    ])
    expect(csv.code, csv.stderr).toBe(0)
    // RFC 4180 records, as every CSV the CLI writes
    expect(csv.stdout).toBe(
      "bucket,segment,value\r\n2024-01-01,pro,1\r\n2024-01-02,pro,1\r\n2024-01-03,pro,0\r\n",
    )
    const jsonl = await mp(["--format", "jsonl", "report", "active", ...range])
    expect(jsonl.code, jsonl.stderr).toBe(0)
    expect(
      jsonl.stdout
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { date: "2024-01-01", users: 3 },
      { date: "2024-01-02", users: 3 },
      { date: "2024-01-03", users: 1 },
    ])
  })

  it("segmentation --where filters with SQL over the table's columns", async () => {
    const pro = await json([
      "segmentation",
      "Sign Up",
      ...range,
      "--where",
      "properties ->> 'plan' = 'pro'",
    ])
    expect(pro.data.values["Sign Up"]).toEqual({ ...days, "2024-01-01": 1, "2024-01-02": 1 })
  })

  it("active users by day and by week", async () => {
    expect(await json(["active", ...range])).toEqual({
      data: {
        series: ["2024-01-01", "2024-01-02", "2024-01-03"],
        values: { "active users": { "2024-01-01": 3, "2024-01-02": 3, "2024-01-03": 1 } },
      },
      legend_size: 1,
    })
    const week = await json(["active", ...range, "--unit", "week"])
    expect(week.data.values["active users"]).toEqual({ "2024-01-01": 4 })
  })

  it("frequency: users in at least 1, 2, ... distinct hours of each day", async () => {
    const answer = await json([
      "frequency",
      "Purchase",
      ...range,
      "--unit",
      "day",
      "--sub-unit",
      "hour",
    ])
    const zeros = (head: ReadonlyArray<number>) => [...head, ...Array(24 - head.length).fill(0)]
    expect(answer).toEqual({
      data: {
        "2024-01-01": zeros([1, 1]), // u1 in hours 10 and 12
        "2024-01-02": zeros([1]),
        "2024-01-03": zeros([]),
      },
    })
  })

  it("funnel and retention run from the same command", async () => {
    const funnel = await json(["funnel", "Sign Up", "Purchase", ...range])
    expect(funnel.meta.dates).toEqual(["2024-01-01"])
    // entered: u1..u4; purchased after signing up: u1 (30 min), u2 (22 h)
    expect(funnel.data["2024-01-01"].steps.map((s: { count: number }) => s.count)).toEqual([4, 2])
    expect(funnel.data["2024-01-01"].steps[1].avg_time).toBe((1800 + 79_200) / 2)
    const retention = await json([
      "retention",
      "--born",
      "Sign Up",
      "--return",
      "Purchase",
      ...range,
      "--intervals",
      "1",
    ])
    // cohort of day 1: u1, u2, u3; both purchases within 24 h of signing up
    expect(retention["2024-01-01"]).toEqual({ counts: [2, 0], first: 3 })
    expect(retention["2024-01-02"]).toEqual({ counts: [0, 0], first: 1 })
  })

  it("buckets a legacy project's table in its zone, across the DST change", async () => {
    const day = await json([
      "segmentation",
      "E",
      "--table",
      "legacy",
      "--from",
      "2024-03-09",
      "--to",
      "2024-03-11",
    ])
    expect(day.data.values.E).toEqual({ "2024-03-09": 1, "2024-03-10": 3, "2024-03-11": 1 })
    const hours = await json([
      "segmentation",
      "E",
      "--table",
      "legacy",
      "--from",
      "2024-03-10",
      "--to",
      "2024-03-10",
      "--unit",
      "hour",
    ])
    const nonZero = Object.entries(hours.data.values.E).filter(([, n]) => n !== 0)
    expect(nonZero).toEqual([
      ["2024-03-10 00:00:00", 1],
      ["2024-03-10 03:00:00", 1],
      ["2024-03-10 23:00:00", 1],
    ])
  })

  it("bad options exit 3, a missing table 4, each with one error line", async () => {
    const cases: Array<[ReadonlyArray<string>, number, RegExp]> = [
      [
        ["segmentation", "E", "--from", "2024-01-03", "--to", "2024-01-01"],
        3,
        /InvalidReportOptions.*"from"/,
      ],
      [["segmentation", "E", ...range, "--unit", "minute"], 3, /InvalidReportOptions.*"unit"/],
      [["segmentation", "E", ...range, "--limit", "0"], 3, /InvalidReportOptions.*"limit"/],
      [["segmentation", "E", ...range, "--limit", "ten"], 3, /InvalidReportOptions.*"limit"/],
      [["segmentation", "E", ...range, "--where", "true; DROP TABLE events"], 3, /"where"/],
      [["segmentation", "E", ...range, "--where", "nope = 1"], 3, /"where"/],
      [["funnel", "A", ...range], 3, /InvalidReportOptions.*"steps"/],
      [["funnel", "A", "B", ...range, "--window", "soon"], 3, /InvalidReportOptions.*"window"/],
      [["frequency", "E", ...range, "--unit", "day", "--sub-unit", "week"], 3, /"subUnit"/],
      [["frequency", "E", ...range, "--unit", "day"], 3, /BadArguments.*--sub-unit/],
      [["active", "--to", "2024-01-01"], 3, /BadArguments.*--from/],
      [["active", ...range, "--table", "people"], 3, /TableTypeMismatch/],
      [["active", ...range, "--table", "bad-name"], 3, /InvalidTableName/],
      [["active", ...range, "--table", "nope"], 4, /TableNotFound/],
    ]
    for (const [args, code, message] of cases) {
      const r = await mp(["report", ...args])
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(code)
      expect(errorLine(r), args.join(" ")).toMatch(message)
      expect(r.stdout).toBe("")
    }
    // the table is still there
    const after = await json(["active", ...range])
    expect(after.data.values["active users"]["2024-01-01"]).toBe(3)
  })

  it("--help shows an example of each report", async () => {
    for (const kind of ["segmentation", "funnel", "retention", "frequency", "active"]) {
      const r = await mp(["report", kind, "--help"])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`mp report ${kind}`)
      expect(r.stdout).toContain("--from")
    }
  })
})
