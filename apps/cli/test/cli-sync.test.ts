import { spawn } from "node:child_process"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Fixture, MP, startFixture } from "./harness.js"
import { eventsTruthOf } from "./truth.js"

const FROM = "2024-03-01"

describe("mp sync", () => {
  let f: Fixture
  let db: string
  const mp = (args: ReadonlyArray<string>, env?: Record<string, string>) =>
    f.mp(["--db", db, ...args], env !== undefined ? { env } : {})
  const exportRequests = () => f.sim.stats().export.requests
  const state = async () => ({
    events: await eventsTruthOf(f.mp, db),
    filtered: await eventsTruthOf(f.mp, db, "signups"),
    profiles: (await mp(["query", "--scalar", "SELECT count(*) FROM people"])).stdout.trim(),
  })

  beforeAll(async () => {
    f = await startFixture({
      seed: 31,
      startDate: FROM,
      days: 12,
      users: 100,
      profiles: 40,
      today: "2024-03-05",
      limits: false,
    })
    db = join(f.dir, "sync.duckdb")
    for (const args of [
      ["fetch", "events", "--from", FROM, "--to", "2024-03-02"],
      ["fetch", "events", "signups", "--from", FROM, "--to", "2024-03-02", "--events", "Sign Up"],
      ["fetch", "profiles", "people"],
      ["import", "events", "-", "--table", "local"],
    ]) {
      const input =
        args[0] === "import"
          ? `${JSON.stringify({ event: "x", properties: { time: 1709251200, distinct_id: "a", $insert_id: "i" } })}\n`
          : undefined
      const r = await f.mp(["--db", db, ...args], input !== undefined ? { input } : {})
      if (r.code !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`)
    }
  })
  afterAll(() => f.close())

  it("brings every Mixpanel table up to date with its recorded filters", async () => {
    const r = await mp(["sync", "--to", "2024-03-04"])
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.trim().split("\n")
    expect(lines).toHaveLength(4)
    expect(lines).toContain("local: skipped, its source is file, not mixpanel")
    expect(lines.find((l) => l.startsWith("events:"))).toContain("events 2024-03-03..2024-03-04")
    expect(lines.find((l) => l.startsWith("people:"))).toContain("profiles")
    const now = await state()
    expect(now.events).toEqual(await f.sim.truth({ from: FROM, to: "2024-03-04" }))
    expect(now.filtered).toEqual(
      await f.sim.truth({ from: FROM, to: "2024-03-04", events: ["Sign Up"] }),
    )
    expect(Number(now.profiles)).toBe((await f.sim.profileTruth()).count)
  })

  it("a second sync right after changes nothing and fetches only the lookback", async () => {
    const before = await state()
    const requests = exportRequests()
    const r = await mp(["sync", "--to", "2024-03-04"])
    expect(r.code, r.stderr).toBe(0)
    // two tables from the export, two lookback days each
    expect(exportRequests() - requests).toBe(4)
    expect(await state()).toEqual(before)
  })

  it("after Mixpanel's today moves on, fetches only the new days and the lookback", async () => {
    f.sim.setToday("2024-03-08")
    const requests = exportRequests()
    const r = await mp(["sync", "--to", "2024-03-07", "--lookback", "1", "--table", "events"])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim()).toMatch(/^events: events 2024-03-05\.\.2024-03-07, 3 day\(s\) fetched/)
    expect(exportRequests() - requests).toBe(3)
    expect(await eventsTruthOf(f.mp, db)).toEqual(
      await f.sim.truth({ from: FROM, to: "2024-03-07" }),
    )
  })

  it("a killed sync resumes", async () => {
    // a slow Mixpanel, so the kill lands mid-sync
    const slow = await startFixture({
      seed: 31,
      startDate: FROM,
      days: 12,
      users: 100,
      profiles: 0,
      today: "2024-03-13",
      limits: false,
      latencyMs: 700,
    })
    try {
      const slowDb = join(slow.dir, "slow.duckdb")
      const first = await slow.mp(["--db", slowDb, "fetch", "events", "--from", FROM, "--to", FROM])
      expect(first.code, first.stderr).toBe(0)
      const child = spawn(process.execPath, [MP, "--db", slowDb, "sync", "--to", "2024-03-12"], {
        env: slow.env as NodeJS.ProcessEnv,
        stdio: "ignore",
      })
      await new Promise((resolve) => setTimeout(resolve, 2500))
      child.kill("SIGKILL")
      await new Promise((resolve) => child.on("close", resolve))
      const days = await slow.mp([
        "--db",
        slowDb,
        "query",
        "--scalar",
        "SELECT count(DISTINCT event_time::DATE) FROM events",
      ])
      expect(Number(days.stdout.trim())).toBeLessThan(12)
      const r = await slow.mp(["--db", slowDb, "sync", "--to", "2024-03-12"])
      expect(r.code, r.stderr).toBe(0)
      expect(await eventsTruthOf(slow.mp, slowDb)).toEqual(
        await slow.sim.truth({ from: FROM, to: "2024-03-12" }),
      )
    } finally {
      await slow.close()
    }
  })

  it("exits with the failure's code for cron, and names the table", async () => {
    const r = await mp(["sync", "--to", "2024-03-12"], { MP_SECRET: "wrong" })
    expect(r.code).toBe(2)
    expect(r.stdout).toMatch(/events: FAILED \[AuthenticationError\]/)
    expect(r.stdout).toContain("local: skipped")
  })
})
