import { join } from "node:path"
import { DuckDBInstance } from "@duckdb/node-api"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Fixture, startFixture } from "./harness.js"
import { eventsTruthOf } from "./truth.js"

const FROM = "2024-03-01"
const TO = "2024-03-04"

/** Runs SQL on the database file directly (what `mp query` refuses: a change). */
const onDb = async (path: string, sql: string) => {
  const instance = await DuckDBInstance.create(path)
  try {
    const conn = await instance.connect()
    const result = await conn.runAndReadAll(sql)
    conn.closeSync()
    return result.getRowObjectsJson()
  } finally {
    instance.closeSync()
  }
}

interface VerifyJson {
  readonly differingDays: ReadonlyArray<string>
  readonly repairedDays?: ReadonlyArray<string>
  readonly events: ReadonlyArray<string>
  readonly rows: ReadonlyArray<{
    day: string
    event: string
    local: number
    mixpanel: number
    difference: number
  }>
}

for (const timeZone of [undefined, "America/Los_Angeles"] as const) {
  describe(`mp verify events${timeZone ? ` (${timeZone})` : ""}`, () => {
    let f: Fixture
    let db: string
    const mp = (args: ReadonlyArray<string>) => f.mp(["--db", db, ...args])
    const verifyJson = async (args: ReadonlyArray<string> = []) => {
      const r = await mp(["--format", "json", "verify", "events", ...args])
      return { r, json: JSON.parse(r.stdout) as VerifyJson }
    }

    beforeAll(async () => {
      f = await startFixture({
        seed: 23,
        startDate: FROM,
        days: 5,
        users: 150,
        profiles: 10,
        today: "2024-03-06",
        limits: false,
        ...(timeZone !== undefined ? { timeZone } : {}),
      })
      db = join(f.dir, "verify.duckdb")
      const zone = timeZone !== undefined ? ["--project-timezone", timeZone] : []
      const r = await mp(["fetch", "events", "--from", FROM, "--to", TO, ...zone])
      if (r.code !== 0) throw new Error(`fetch failed: ${r.stderr}`)
    })
    afterAll(() => f.close())

    it("a complete table matches Mixpanel's count of every event on every day", async () => {
      const { r, json } = await verifyJson(["--all"])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toContain("every count matches Mixpanel")
      expect(json.differingDays).toEqual([])
      const counts = f.sim.eventCounts(FROM, TO)
      const expected = Object.entries(counts)
        .flatMap(([event, byDay]) => Object.entries(byDay).map(([day, n]) => ({ day, event, n })))
        .filter((x) => x.n > 0)
      expect(json.rows.length).toBe(expected.length)
      for (const row of json.rows) {
        expect(row.local).toBe(counts[row.event]?.[row.day])
        expect(row.difference).toBe(0)
      }
      const total = json.rows.reduce((s, row) => s + row.local, 0)
      expect(total).toBe((await f.sim.truth({ from: FROM, to: TO })).count)
    })

    it("names the days that differ, exits 6, and --repair makes the table exact", async () => {
      // rows of one day lost locally, and a late event upstream on another day
      await onDb(
        db,
        `DELETE FROM events WHERE insert_id IN (
           SELECT insert_id FROM events
           WHERE strftime(${timeZone ? `timezone('${timeZone}', event_time::TIMESTAMPTZ)` : "event_time"}, '%Y-%m-%d') = '2024-03-02'
           ORDER BY insert_id LIMIT 3)`,
      )
      const noon = Date.parse("2024-03-03T12:00:00Z") + (timeZone ? 8 * 3_600_000 : 0)
      // one of a known name, one of a name Mixpanel never saw before
      const known = Object.keys(f.sim.eventCounts("2024-03-03", "2024-03-03")).sort()[0]!
      const knownBefore = f.sim.eventCounts("2024-03-03", "2024-03-03")[known]!["2024-03-03"]!
      f.sim.addEvents([
        { name: "Late Event", userIndex: 3, timeMs: noon, insertId: "late-0001" },
        { name: known, userIndex: 4, timeMs: noon + 1000, insertId: "late-0002" },
      ])

      const table = await mp(["verify", "events"])
      expect(table.code).toBe(6)
      expect(table.stderr).toContain("2 day(s) differ from Mixpanel")
      expect(table.stdout).toContain("2024-03-02")
      expect(table.stdout).toContain("Late Event")

      const { r, json } = await verifyJson()
      expect(r.code).toBe(6)
      expect(json.differingDays).toEqual(["2024-03-02", "2024-03-03"])
      const late = json.rows.find((row) => row.event === "Late Event")
      expect(late).toMatchObject({ day: "2024-03-03", local: 0, mixpanel: 1, difference: -1 })
      expect(json.rows.find((row) => row.event === known && row.day === "2024-03-03")).toEqual({
        day: "2024-03-03",
        event: known,
        local: knownBefore,
        mixpanel: knownBefore + 1,
        difference: -1,
      })
      const lost = json.rows.filter((row) => row.day === "2024-03-02")
      expect(lost.reduce((s, row) => s + row.difference, 0)).toBe(-3)

      const repaired = await verifyJson(["--repair"])
      expect(repaired.r.code, repaired.r.stderr).toBe(0)
      expect(repaired.json.repairedDays).toEqual(["2024-03-02", "2024-03-03"])
      expect(repaired.r.stderr).toContain("After the repair")

      const again = await mp(["verify", "events"])
      expect(again.code, again.stderr).toBe(0)
      expect(await eventsTruthOf(f.mp, db)).toEqual(await f.sim.truth({ from: FROM, to: TO }))
      const tables = await mp(["--format", "json", "inspect", "tables"])
      expect(JSON.parse(tables.stdout)).toContainEqual(
        expect.objectContaining({ name: "events", complete: true }),
      )
    })

    it("spends one query for the names and one per 50 events; filtered tables stay filtered", async () => {
      f.sim.resetStats()
      const all = await mp(["verify", "events", "--from", "2024-03-04"])
      expect(all.code, all.stderr).toBe(0)
      // the names, then every event name of the range in one /events query
      expect(f.sim.stats().query.endpoints).toEqual({
        "/api/query/events/names": 1,
        "/api/query/events": 1,
      })
      const where = 'properties["$os"] == "iOS"'
      const fetched = await mp([
        "fetch",
        "events",
        "ios",
        "--from",
        "2024-03-04",
        "--to",
        TO,
        "--events",
        "Sign Up,Purchase",
        "--where",
        where,
        ...(timeZone !== undefined ? ["--project-timezone", timeZone] : []),
      ])
      expect(fetched.code, fetched.stderr).toBe(0)
      f.sim.resetStats()
      const filtered = await mp(["--format", "json", "verify", "events", "ios", "--all"])
      expect(filtered.code, filtered.stderr).toBe(0)
      const json = JSON.parse(filtered.stdout) as VerifyJson
      expect(json.events).toEqual(["Sign Up", "Purchase"])
      expect(json.rows.length).toBeGreaterThan(0)
      // with a where: one segmentation per event name, and no names query
      expect(f.sim.stats().query.endpoints).toEqual({ "/api/query/segmentation": 2 })
    })

    it("checks its range against the table's", async () => {
      const r = await mp(["verify", "events", "--from", "2024-02-01"])
      expect(r.code).toBe(3)
      expect(r.stderr).toContain("CannotVerify")
      const missing = await mp(["verify", "events", "nosuch"])
      expect(missing.code).toBe(4)
    })
  })
}
