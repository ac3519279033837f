import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { startSimulator } from "@mixpanel-data/mixpanel-sim"
import { queries } from "./queries.js"
import { startServerProcess } from "./server-process.js"
import { percentile, round } from "./stats.js"

/**
 * Load test of `mp-server` (not a test: it measures). A real server process on loopback over
 * a realistic table fetched from the simulator through the server's own job API, then CLIENTS
 * concurrent clients cycling through an analyst's queries for SECONDS. Every loop is bounded by
 * the deadline and a request cap. Prints a summary, then one JSON line; exits 1 on any error.
 */
const CLIENTS = Number(process.env.LOAD_CLIENTS ?? 50)
const SECONDS = Number(process.env.LOAD_SECONDS ?? 30)
const DAYS = 30
const EVENTS_PER_DAY = Number(process.env.LOAD_EVENTS_PER_DAY ?? 8_000)
const PROFILES = 20_000
const MAX_REQUESTS_PER_CLIENT = 1_000_000

const bundle = fileURLToPath(new URL("../../../apps/server/dist/mp-server.js", import.meta.url))

interface Sample {
  readonly query: string
  readonly ms: number
  readonly ok: boolean
}

const log = (line: string) => process.stderr.write(`${line}\n`)

const main = async () => {
  const dir = mkdtempSync(join(tmpdir(), "mp-load-"))
  const sim = await startSimulator({
    port: 0,
    seed: 42,
    startDate: "2024-03-01",
    days: DAYS,
    eventsPerDay: EVENTS_PER_DAY,
    profiles: PROFILES,
    today: "2024-06-01",
    limits: false,
  })
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("MP_")) env[k] = v
  }
  const server = await startServerProcess(bundle, join(dir, "load.duckdb"), {
    ...env,
    MP_API_URL: sim.url,
    MP_USERNAME: sim.auth.username,
    MP_SECRET: sim.auth.secret,
    MP_PROJECT_ID: String(sim.auth.projectId),
  })
  const headers = { authorization: `Bearer ${server.token}`, "content-type": "application/json" }
  const getJson = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${server.url}${path}`, { ...init, headers })
    return (await response.json()) as any
  }
  try {
    // The table: a month of events and the profiles, through POST /jobs like any client.
    const fetchStarted = performance.now()
    for (const job of [
      { source: "mixpanel", kind: "events", table: "events", from: "2024-03-01", to: "2024-03-30" },
      { source: "mixpanel", kind: "profiles", table: "profiles" },
    ]) {
      const created = await getJson("/jobs", { method: "POST", body: JSON.stringify(job) })
      let state = created
      for (
        let i = 0;
        i < 6000 && !["succeeded", "failed", "cancelled"].includes(state.status);
        i++
      ) {
        await new Promise((r) => setTimeout(r, 100))
        state = await getJson(`/jobs/${created.id}`)
      }
      if (state.status !== "succeeded")
        throw new Error(`job failed: ${JSON.stringify(state.error)}`)
    }
    const tables = (await getJson("/tables")) as Array<{ name: string; rowCount: number }>
    const rows = Object.fromEntries(tables.map((t) => [t.name, t.rowCount]))
    const truth = await sim.truth({ from: "2024-03-01", to: "2024-03-30" })
    if (rows.events !== truth.count) {
      throw new Error(`the table holds ${rows.events} events, the simulator sent ${truth.count}`)
    }
    log(
      `table: ${rows.events} events over ${DAYS} days and ${rows.profiles} profiles, fetched in ${round((performance.now() - fetchStarted) / 1000)} s`,
    )

    for (const q of queries) {
      const response = await fetch(`${server.url}/query`, {
        method: "POST",
        headers,
        body: JSON.stringify(q.body),
      })
      const text = await response.text()
      if (response.status !== 200) throw new Error(`${q.name}: ${response.status} ${text}`)
    }

    log(`load: ${CLIENTS} clients for ${SECONDS} s against ${server.url}`)
    const samples: Array<Sample> = []
    const errors: Array<string> = []
    const started = performance.now()
    const deadline = started + SECONDS * 1000
    const client = async (id: number) => {
      for (let n = 0; n < MAX_REQUESTS_PER_CLIENT && performance.now() < deadline; n++) {
        const q = queries[(id + n) % queries.length]!
        const t0 = performance.now()
        try {
          const response = await fetch(`${server.url}/query`, {
            method: "POST",
            headers,
            body: JSON.stringify(q.body),
          })
          const body = await response.arrayBuffer()
          const ok = response.status === 200
          if (!ok) errors.push(`${q.name}: ${response.status} ${Buffer.from(body).toString()}`)
          samples.push({ query: q.name, ms: performance.now() - t0, ok })
        } catch (error) {
          errors.push(`${q.name}: ${error instanceof Error ? error.message : String(error)}`)
          samples.push({ query: q.name, ms: performance.now() - t0, ok: false })
        }
      }
    }
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)))
    const elapsed = (performance.now() - started) / 1000
    const health = await getJson("/health")

    const all = samples.map((s) => s.ms).sort((a, b) => a - b)
    log("")
    log("query                          requests     p50 ms     p99 ms")
    for (const q of queries) {
      const ms = samples
        .filter((s) => s.query === q.name)
        .map((s) => s.ms)
        .sort((a, b) => a - b)
      log(
        `${q.name.padEnd(30)} ${String(ms.length).padStart(8)} ${String(round(percentile(ms, 50))).padStart(10)} ${String(round(percentile(ms, 99))).padStart(10)}`,
      )
    }
    const summary = {
      clients: CLIENTS,
      seconds: round(elapsed),
      events: rows.events,
      profiles: rows.profiles,
      requests: samples.length,
      errors: errors.length,
      rps: round(samples.length / elapsed),
      p50_ms: round(percentile(all, 50)),
      p90_ms: round(percentile(all, 90)),
      p99_ms: round(percentile(all, 99)),
      max_ms: round(all.at(-1) ?? Number.NaN),
      server_peak_rss_mb: round(health.memory.peakRssBytes / 1024 / 1024),
    }
    log("")
    log(
      `${summary.requests} requests in ${summary.seconds} s: ${summary.rps} req/s, p50 ${summary.p50_ms} ms, p99 ${summary.p99_ms} ms, errors ${summary.errors}`,
    )
    for (const e of errors.slice(0, 5)) log(`error: ${e}`)
    process.stdout.write(`${JSON.stringify(summary)}\n`)
    if (errors.length > 0) process.exitCode = 1
  } finally {
    await server.stop()
    await sim.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((error) => {
  log(`load test failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
})
