import { join } from "node:path"
import { type Simulator, startSimulator } from "@mixpanel-data/mixpanel-sim"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  cleanEnv,
  postJob,
  type RunningServer,
  readSse,
  removeDir,
  requireBundle,
  startServer,
  tempDir,
  waitForJob,
} from "./harness.js"

const FROM = "2024-03-01"
const TO = "2024-03-06"
const STALLED_DAY = "2024-03-06"

let dir: string
let sim: Simulator
let server: RunningServer

beforeAll(async () => {
  requireBundle()
  dir = tempDir()
  sim = await startSimulator({
    port: 0,
    seed: 7,
    startDate: FROM,
    days: 6,
    users: 150,
    profiles: 200,
    today: "2024-06-01",
    limits: false,
  })
  server = await startServer({
    db: join(dir, "data.duckdb"),
    env: cleanEnv({
      MP_API_URL: sim.url,
      MP_USERNAME: sim.auth.username,
      MP_SECRET: sim.auth.secret,
      MP_PROJECT_ID: String(sim.auth.projectId),
      MP_SERVER_TOKEN: "jobs-test-token",
    }),
  })
})

afterAll(async () => {
  await server?.stop()
  await sim?.close()
  if (dir) removeDir(dir)
})

const countRows = async (table: string): Promise<number> => {
  const { status, body } = await server.query({ sql: `SELECT count(*)::INTEGER FROM ${table}` })
  expect(status, JSON.stringify(body)).toBe(200)
  return body.rows[0][0]
}

describe("fetch jobs against the simulator", () => {
  it("queues FIFO, answers queries while a job runs, cancels consistently, then resumes exactly", async () => {
    // One day of the range trickles in slowly, so the job stays running after the other days
    // are committed: a deterministic window to query in and to cancel.
    sim.setFaults({
      script: [
        {
          match: { path: "/api/2.0/export", day: STALLED_DAY },
          fault: { kind: "slow-trickle", trickleBytes: 1_000_000, pieceBytes: 1, tickMs: 200 },
        },
      ],
    })
    const events = await postJob(server, {
      source: "mixpanel",
      kind: "events",
      table: "ev",
      from: FROM,
      to: TO,
    })
    expect(events.status).toBe(202)
    expect(events.body.status).toBe("queued")
    const profiles = await postJob(server, {
      source: "mixpanel",
      kind: "profiles",
      table: "people",
    })
    expect(profiles.status).toBe(202)
    const profileEvents = server.call(`/jobs/${profiles.body.id}/events`).then(readSse)

    const running = await waitForJob(
      server,
      events.body.id,
      (job) => job.status === "running" && job.progress.unitsDone >= 5,
    )
    expect(running.progress).toMatchObject({ unit: "days", unitsTotal: 6 })
    // Days are done, so the pace is known: the status carries the time left.
    expect(running.progress.etaMs).toBeGreaterThanOrEqual(0)
    expect((await server.json(`/jobs/${profiles.body.id}`)).body.status).toBe("queued")
    expect((await server.json("/health")).body.jobs).toEqual({ queued: 1, running: 1 })

    // Reads answer while the job holds the writer.
    for (let i = 0; i < 5; i++) {
      const { status } = await server.query({ sql: "SELECT count(*) FROM ev" })
      expect(status).toBe(200)
    }
    expect((await server.json(`/jobs/${events.body.id}`)).body.status).toBe("running")

    const cancelled = await server.json(`/jobs/${events.body.id}`, { method: "DELETE" })
    expect(cancelled.status).toBe(200)
    expect(cancelled.body.status).toBe("cancelled")
    expect(cancelled.body.progress.etaMs).toBeNull()

    // The table holds exactly the committed days and says it is incomplete.
    const { body: tables } = await server.json("/tables")
    expect(tables.find((t: any) => t.name === "ev")).toMatchObject({ complete: false })
    const perDay = await server.query({
      sql: "SELECT strftime(event_time, '%Y-%m-%d') AS day, count(*)::INTEGER FROM ev GROUP BY 1 ORDER BY 1",
    })
    expect(perDay.body.rows.map((r: any) => r[0])).not.toContain(STALLED_DAY)
    for (const [day, rows] of perDay.body.rows) {
      expect(rows).toBe((await sim.truth({ from: day, to: day })).count)
    }

    // The queued job ran next; its progress came as server-sent events.
    const messages = await profileEvents
    expect(messages[0]!.event).toBe("status")
    expect(messages.at(-1)!.event).toBe("done")
    expect(messages.at(-1)!.data.status).toBe("succeeded")
    expect(messages.some((m) => m.data.status === "running")).toBe(true)
    const people = await waitForJob(server, profiles.body.id)
    expect(people.result.tableRows).toBe((await sim.profileTruth()).count)
    expect(new Date(people.startedAt).getTime()).toBeGreaterThanOrEqual(
      new Date(cancelled.body.finishedAt).getTime(),
    )

    // The same request again fetches only the missing day and ends exact; queries keep
    // answering while it writes.
    sim.setFaults({})
    const resumed = await postJob(server, {
      source: "mixpanel",
      kind: "events",
      table: "ev",
      from: FROM,
      to: TO,
    })
    for (let i = 0; i < 200; i++) {
      const { status } = await server.query({ sql: "SELECT count(*) FROM ev" })
      expect(status).toBe(200)
      const now = (await server.json(`/jobs/${resumed.body.id}`)).body.status
      if (now !== "queued" && now !== "running") break
    }
    const done = await waitForJob(server, resumed.body.id)
    expect(done.status, JSON.stringify(done.error)).toBe("succeeded")
    expect(done.result).toMatchObject({ daysFetched: 1, daysSkipped: 5, complete: true })
    expect(await countRows("ev")).toBe((await sim.truth({ from: FROM, to: TO })).count)
    expect((await server.json("/tables")).body.find((t: any) => t.name === "ev").complete).toBe(
      true,
    )
  })

  it("refetches the last days of the range with lookbackDays, from and to given", async () => {
    const job = await postJob(server, {
      source: "mixpanel",
      kind: "events",
      table: "ev",
      from: FROM,
      to: TO,
      lookbackDays: 2,
    })
    expect(job.status, JSON.stringify(job.body)).toBe(202)
    const done = await waitForJob(server, job.body.id)
    expect(done.status, JSON.stringify(done.error)).toBe("succeeded")
    expect(done.result).toMatchObject({ daysFetched: 2, daysSkipped: 4, complete: true })
    expect(done.progress).toMatchObject({ unit: "days", unitsTotal: 2, unitsDone: 2, etaMs: 0 })
    expect(await countRows("ev")).toBe((await sim.truth({ from: FROM, to: TO })).count)
  })

  it("cancels a queued job without running it", async () => {
    sim.setFaults({
      script: [
        {
          match: { path: "/api/2.0/export", day: FROM },
          fault: { kind: "slow-trickle", trickleBytes: 1_000_000, pieceBytes: 1, tickMs: 200 },
        },
      ],
    })
    const first = await postJob(server, {
      source: "mixpanel",
      kind: "events",
      table: "slow",
      from: FROM,
      to: FROM,
    })
    const second = await postJob(server, {
      source: "mixpanel",
      kind: "events",
      table: "never",
      from: FROM,
      to: TO,
    })
    await waitForJob(server, first.body.id, (job) => job.status === "running")
    const dropped = await server.json(`/jobs/${second.body.id}`, { method: "DELETE" })
    expect(dropped.body).toMatchObject({ status: "cancelled", startedAt: null })
    const stopped = await server.json(`/jobs/${first.body.id}`, { method: "DELETE" })
    expect(stopped.body.status).toBe("cancelled")
    sim.setFaults({})
    const { body: tables } = await server.json("/tables")
    expect(tables.map((t: any) => t.name)).not.toContain("never")
    expect(tables.map((t: any) => t.name)).not.toContain("slow")
    const events = await readSse(await server.call(`/jobs/${second.body.id}/events`))
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ event: "done", data: { status: "cancelled" } })
  })

  it("reports a failing fetch as a failed job with the source's error", async () => {
    sim.setFaults({ script: [{ match: { path: "/api/2.0/export" }, fault: "401" }] })
    const job = await postJob(server, {
      source: "mixpanel",
      kind: "events",
      table: "denied",
      from: FROM,
      to: FROM,
    })
    const done = await waitForJob(server, job.body.id)
    sim.setFaults({})
    expect(done.status).toBe("failed")
    expect(done.error._tag).toBe("AuthenticationError")
    expect(JSON.stringify(done)).not.toContain(sim.auth.secret)
  })
})
