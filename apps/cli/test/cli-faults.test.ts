import { spawn } from "node:child_process"
import { join } from "node:path"
import { type Simulator, startSimulator } from "@mixpanel-data/mixpanel-sim"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { errorLine, type Fixture, MP, SMALL, simEnv, startFixture } from "./harness.js"
import { eventsTruthOf } from "./truth.js"

const FROM = "2024-03-01"
const TO = "2024-03-04"

describe("mp exit codes for upstream failures", () => {
  let f: Fixture
  beforeAll(async () => {
    f = await startFixture()
  })
  afterAll(() => f.close())

  const fetch = (extra: ReadonlyArray<string> = [], env: Record<string, string> = {}) =>
    f.mp(
      ["--db", join(f.dir, "x.duckdb"), ...extra, "fetch", "events", "--from", FROM, "--to", TO],
      { env },
    )

  it("a wrong secret (401) exits 2", async () => {
    const r = await fetch([], { MP_SECRET: "wrong" })
    expect(r.code).toBe(2)
    expect(errorLine(r)).toMatch(/^error \[AuthenticationError\]: .*Check the username, secret/)
  })

  it("402 (plan) and 403 (permission) exit 2; 429 past the retries exits 5", async () => {
    const cases: Array<[string, number, RegExp]> = [
      ["402", 2, /PlanLimitError/],
      ["403", 2, /PermissionError/],
      ["400-unable-to-authenticate", 2, /AuthenticationError/],
      ["429", 5, /RateLimitedError/],
    ]
    for (const [fault, code, tag] of cases) {
      f.sim.setFaults({ script: [{ match: { path: "/api/2.0/export" }, fault: fault as "429" }] })
      const r = await fetch(["--max-retries", "0"])
      expect(r.code, `${fault}: ${r.stderr}`).toBe(code)
      expect(errorLine(r)).toMatch(tag)
      expect(r.stderr).not.toContain("    at ")
    }
    f.sim.setFaults({})
  })

  it("a bad where expression (400) exits 3", async () => {
    const r = await f.mp([
      "--db",
      join(f.dir, "y.duckdb"),
      "fetch",
      "events",
      "--from",
      FROM,
      "--to",
      TO,
      "--where",
      "properties[[",
    ])
    expect(r.code, r.stderr).toBe(3)
    expect(errorLine(r)).toMatch(/BadRequestError/)
  })

  it("transient faults are retried and the fetch still ends exact", async () => {
    f.sim.setFaults({
      random: {
        seed: 3,
        rate: 0.5,
        kinds: ["500", "reset-mid-body", "terminated-early", "cut-gzip"],
      },
    })
    const db = join(f.dir, "retried.duckdb")
    const r = await f.mp(["--db", db, "fetch", "events", "--from", FROM, "--to", TO], {
      env: {},
    })
    f.sim.setFaults({})
    expect(r.code, r.stderr).toBe(0)
    expect(await eventsTruthOf(f.mp, db)).toEqual(await f.sim.truth({ from: FROM, to: TO }))
  })
})

describe("mp fetch resumes and refreshes", () => {
  let f: Fixture
  beforeAll(async () => {
    f = await startFixture({ ...SMALL, days: 8, latencyMs: 400 })
  })
  afterAll(() => f.close())

  it("after a SIGKILL mid-fetch, the same command finishes exact", async () => {
    const db = join(f.dir, "killed.duckdb")
    const to = "2024-03-08"
    const args = [MP, "--db", db, "fetch", "events", "--from", FROM, "--to", to, "--workers", "1"]
    f.sim.resetStats()
    const killed = await new Promise<NodeJS.Signals | null>((resolve, reject) => {
      const child = spawn(process.execPath, args, { env: f.env, stdio: "ignore" })
      child.on("error", reject)
      child.on("close", (_code, signal) => resolve(signal))
      // Kill once a few day requests have been answered, so some days are committed.
      const poll = setInterval(() => {
        if (f.sim.stats().export.requests >= 4) {
          clearInterval(poll)
          child.kill("SIGKILL")
        }
      }, 50)
      child.on("close", () => clearInterval(poll))
    })
    expect(killed).toBe("SIGKILL")
    const listing = JSON.parse(
      (await f.mp(["--db", db, "--format", "json", "inspect", "tables"])).stdout,
    )
    expect(listing).toEqual([expect.objectContaining({ name: "events", complete: false })])

    const again = await f.mp([
      "--db",
      db,
      "fetch",
      "events",
      "--from",
      FROM,
      "--to",
      to,
      "--workers",
      "1",
    ])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).toMatch(/already there/)
    expect(await eventsTruthOf(f.mp, db)).toEqual(await f.sim.truth({ from: FROM, to }))
  })

  it("Ctrl-C (SIGINT) stops with 130, keeps committed days, and a rerun ends exact", async () => {
    const db = join(f.dir, "interrupted.duckdb")
    const to = "2024-03-08"
    const args = [MP, "--db", db, "fetch", "events", "--from", FROM, "--to", to, "--workers", "1"]
    f.sim.resetStats()
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, args, {
        env: f.env,
        stdio: ["ignore", "ignore", "pipe"],
      })
      let stderr = ""
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d
      })
      child.on("error", reject)
      const poll = setInterval(() => {
        if (f.sim.stats().export.requests >= 3) {
          clearInterval(poll)
          child.kill("SIGINT")
        }
      }, 50)
      child.on("close", (code) => {
        clearInterval(poll)
        resolve({ code, stderr })
      })
    })
    expect(result.code).toBe(130)
    expect(result.stderr).toMatch(/error \[Interrupted\]: .*run the same command again/)
    const again = await f.mp(["--db", db, "fetch", "events", "--from", FROM, "--to", to])
    expect(again.code, again.stderr).toBe(0)
    expect(await eventsTruthOf(f.mp, db)).toEqual(await f.sim.truth({ from: FROM, to }))
  })

  it("--lookback N replaces the last N days with what the API holds now", async () => {
    const db = join(f.dir, "lookback.duckdb")
    const to = "2024-03-06"
    const options = { ...SMALL, days: 8 }
    const first = await startSimulator({ ...options, port: 0 })
    const port = first.port
    const mp = (sim: Simulator, extra: ReadonlyArray<string> = []) =>
      f.mp(["--db", db, "fetch", "events", "--from", FROM, "--to", to, ...extra], {
        env: simEnv(sim, f.dir),
      })
    let early: { count: number; checksum: string }
    try {
      expect((await mp(first)).code).toBe(0)
      early = await first.truth({ from: FROM, to: "2024-03-04" })
    } finally {
      await first.close()
    }
    // The same project at the same address now answers differently (late events, changed
    // data): another seed. Only the last two days of the table may change.
    const second = await startSimulator({ ...options, seed: 99, port })
    try {
      const r = await mp(second, ["--lookback", "2"])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toMatch(/2\/6 days fetched/)
      const late = await second.truth({ from: "2024-03-05", to })
      const sum = (BigInt(`0x${early.checksum}`) + BigInt(`0x${late.checksum}`)) % 2n ** 64n
      expect(await eventsTruthOf(f.mp, db)).toEqual({
        count: early.count + late.count,
        checksum: sum.toString(16).padStart(16, "0"),
      })
    } finally {
      await second.close()
    }
  })
})
