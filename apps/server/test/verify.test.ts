import { join } from "node:path"
import { type Simulator, startSimulator } from "@mixpanel-data/mixpanel-sim"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  cleanEnv,
  postJob,
  type RunningServer,
  removeDir,
  requireBundle,
  startServer,
  tempDir,
  waitForJob,
} from "./harness.js"

const FROM = "2024-03-01"
const TO = "2024-03-03"

let dir: string
let sim: Simulator
let server: RunningServer

beforeAll(async () => {
  requireBundle()
  dir = tempDir()
  sim = await startSimulator({
    port: 0,
    seed: 17,
    startDate: FROM,
    days: 4,
    users: 120,
    profiles: 10,
    today: "2024-03-05",
    limits: false,
  })
  server = await startServer({
    db: join(dir, "data.duckdb"),
    env: cleanEnv({
      MP_API_URL: sim.url,
      MP_USERNAME: sim.auth.username,
      MP_SECRET: sim.auth.secret,
      MP_PROJECT_ID: String(sim.auth.projectId),
      MP_SERVER_TOKEN: "verify-test-token",
    }),
  })
  const fetch = await postJob(server, {
    source: "mixpanel",
    kind: "events",
    table: "ev",
    from: FROM,
    to: TO,
  })
  expect(fetch.status).toBe(202)
  const done = await waitForJob(server, fetch.body.id)
  expect(done.status, JSON.stringify(done.error)).toBe("succeeded")
})

afterAll(async () => {
  await server?.stop()
  await sim?.close()
  if (dir) removeDir(dir)
})

describe("GET /tables/{name}/verify", () => {
  it("queues a job whose result compares every day's counts with Mixpanel's", async () => {
    const { status, body } = await server.json("/tables/ev/verify")
    expect(status).toBe(202)
    expect(body.request).toMatchObject({ table: "ev", verify: true })
    const job = await waitForJob(server, body.id)
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded")
    expect(job.result).toMatchObject({ table: "ev", from: FROM, to: TO, differingDays: [] })
    expect(job.result.rows.length).toBeGreaterThan(0)
  })

  it("finds a late event upstream, and repairs its day", async () => {
    const known = Object.keys(sim.eventCounts("2024-03-02", "2024-03-02")).sort()[0]!
    sim.addEvents([
      {
        name: known,
        userIndex: 1,
        timeMs: Date.parse("2024-03-02T08:00:00Z"),
        insertId: "late-server-1",
      },
    ])
    const found = await server.json("/tables/ev/verify?from=2024-03-02&to=2024-03-03")
    const job = await waitForJob(server, found.body.id)
    expect(job.status).toBe("succeeded")
    expect(job.result.differingDays).toEqual(["2024-03-02"])

    const repair = await server.json("/tables/ev/verify?repair=true")
    const repaired = await waitForJob(server, repair.body.id)
    expect(repaired.status, JSON.stringify(repaired.error)).toBe("succeeded")
    expect(repaired.result.before.differingDays).toEqual(["2024-03-02"])
    expect(repaired.result.after.differingDays).toEqual([])
    const { body: count } = await server.query({
      sql: `SELECT count(*)::INTEGER FROM ev WHERE insert_id = 'late-server-1'`,
    })
    expect(count.rows[0][0]).toBe(1)
  })

  it("refuses bad requests with 400s and needs the token", async () => {
    expect((await server.json("/tables/ev/verify?from=2024-13-01")).status).toBe(400)
    expect((await server.json("/tables/bad%20name/verify")).status).toBe(400)
    const viaJobs = await postJob(server, {
      source: "mixpanel",
      kind: "profiles",
      table: "ev",
      verify: true,
    })
    expect(viaJobs.status).toBe(400)
    const anonymous = await fetch(`${server.url}/tables/ev/verify`)
    expect(anonymous.status).toBe(401)
    const missing = await server.json("/tables/nosuch/verify")
    const failed = await waitForJob(server, missing.body.id)
    expect(failed.status).toBe("failed")
    expect(failed.error._tag).toBe("TableNotFound")
  })
})
