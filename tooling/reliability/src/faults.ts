import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { fetchEvents, fetchProfiles, Storage, storageLayer } from "@mixpanel-data/core"
import {
  ChecksumAccumulator,
  type FaultRule,
  type Rng,
  type Simulator,
  startSimulator,
  transientFaultKinds,
} from "@mixpanel-data/mixpanel-sim"
import { makeMixpanelSource } from "@mixpanel-data/mixpanel-source"
import { Effect, Redacted } from "effect"
import type { Part, PartResult } from "./part.js"

/**
 * R1: seeded fault plans against the simulator (429 with and without Retry-After, in seconds
 * and as an HTTP date, 5xx, resets
 * mid-body, `terminated early`, cut lines, cut gzip, slow trickles), each over a multi-day
 * events fetch in UTC, in a legacy zone, or a profiles fetch, through the Mixpanel source and
 * the pipeline into a real DuckDB store. Each must end with exactly the truth's set.
 */

const FROM = "2024-05-01"
const TO = "2024-05-04"
const DAYS = ["2024-05-01", "2024-05-02", "2024-05-03", "2024-05-04"]
const LA = "America/Los_Angeles"

type Kind = "events (UTC)" | `events (${typeof LA})` | "profiles"

/** One to three faults, each on a chosen request of the family the fetch uses. */
const planFor = (rng: Rng, profiles: boolean): Array<FaultRule> =>
  Array.from({ length: 1 + rng.int(3) }, () => {
    const kind = rng.pick(transientFaultKinds)
    const match = profiles
      ? { path: "/api/query/engage", every: 1, times: 1 + rng.int(2) }
      : rng.next() < 0.5
        ? { path: "/api/2.0/export", day: rng.pick(DAYS), times: 1 + rng.int(2) }
        : { path: "/api/2.0/export", nth: 1 + rng.int(4), times: 1 }
    const fault =
      kind === "429-retry-after"
        ? rng.next() < 0.3
          ? { kind, retryAfterSeconds: 1, retryAfterAsDate: true }
          : { kind, retryAfterSeconds: rng.next() < 0.5 ? 0.05 : 0.2 }
        : kind === "slow-trickle"
          ? { kind, trickleBytes: 512, pieceBytes: 64, tickMs: 5 }
          : { kind, afterBytes: 1 + rng.int(30_000) }
    return { match, fault }
  })

const identity = (rows: ReadonlyArray<ReadonlyArray<unknown>>, profiles: boolean) => {
  const acc = new ChecksumAccumulator()
  for (const r of rows) {
    if (profiles) acc.addProfile(String(r[0]))
    else acc.addEvent(String(r[0]), String(r[1]), Number(r[2]), String(r[3]))
  }
  return { count: acc.count, checksum: acc.digest() }
}

export const faults = (scenarios: number): Part => ({
  id: "R1",
  title: "faults: seeded fault plans over events (UTC, a legacy zone) and profiles",
  run: async (_sim, _env, dir, rng) => {
    mkdirSync(dir, { recursive: true })
    const common = { seed: 13, startDate: FROM, days: 6, users: 80, today: "2024-06-30" }
    const utc = await startSimulator({ ...common, port: 0, limits: false })
    const legacy = await startSimulator({ ...common, port: 0, limits: false, timeZone: LA })
    const tally = new Map<Kind, { runs: number; exact: number; faults: number }>()
    const failures: Array<string> = []
    let passed = 0
    try {
      const truths = new Map<Simulator, { count: number; checksum: string }>([
        [utc, await utc.truth({ from: FROM, to: TO })],
        [legacy, await legacy.truth({ from: FROM, to: TO })],
      ])
      const profileTruth = await utc.profileTruth()
      for (let i = 0; i < scenarios; i++) {
        const kind: Kind = rng.pick(["events (UTC)", `events (${LA})`, "profiles"] as const)
        const profiles = kind === "profiles"
        const sim = kind === `events (${LA})` ? legacy : utc
        const script = planFor(rng, profiles)
        sim.setFaults({ script })
        sim.resetStats()
        const source = makeMixpanelSource({
          credentials: {
            _tag: "ServiceAccount",
            username: sim.auth.username,
            secret: Redacted.make(sim.auth.secret),
            projectId: String(sim.auth.projectId),
          },
          region: "us",
          baseUrl: sim.url,
          spoolDir: join(dir, "spool"),
          retry: { maxRetries: 8, baseDelayMs: 5, maxDelayMs: 50 },
          timeouts: { idleMs: 5_000 },
          ...(sim === legacy ? { timeZone: LA } : {}),
        })
        const work = Effect.gen(function* () {
          const s = yield* source
          const storage = yield* Storage
          if (profiles) {
            yield* fetchProfiles({ source: s, table: "profiles" })
            return (yield* storage.query("SELECT distinct_id FROM profiles")).rows
          }
          yield* fetchEvents({
            source: s,
            table: "events",
            request: { from: FROM, to: TO },
            ...(sim === legacy ? { timeZone: LA } : {}),
          })
          return (yield* storage.query(
            "SELECT event_name, distinct_id, epoch_ms(event_time), insert_id FROM events",
          )).rows
        })
        const exit = await Effect.runPromiseExit(
          Effect.scoped(Effect.provide(work, storageLayer({ mode: "memory" }))),
        )
        const fired = Object.values(
          (sim.stats() as unknown as Record<string, { faults?: Record<string, number> }>)[
            profiles ? "query" : "export"
          ]?.faults ?? {},
        ).reduce((a, b) => a + b, 0)
        const entry = tally.get(kind) ?? { runs: 0, exact: 0, faults: 0 }
        tally.set(kind, entry)
        entry.runs++
        entry.faults += fired
        const want = profiles ? profileTruth : truths.get(sim)!
        const problem =
          exit._tag === "Failure"
            ? `failed: ${String(exit.cause).slice(0, 300)}`
            : (() => {
                const got = identity(exit.value, profiles)
                return got.count === want.count && got.checksum === want.checksum
                  ? undefined
                  : `${got.count} rows, the truth ${want.count} (or a different set)`
              })()
        if (problem === undefined) {
          entry.exact++
          passed++
        } else failures.push(`#${i} ${kind} with ${JSON.stringify(script)}: ${problem}`)
      }
    } finally {
      utc.setFaults({})
      legacy.setFaults({})
      await utc.close()
      await legacy.close()
    }
    return {
      header: ["fetch", "scenarios", "faults fired", "exact"],
      rows: [...tally].map(([kind, t]) => [kind, t.runs, t.faults, `${t.exact}/${t.runs}`]),
      total: scenarios,
      passed,
      failures,
    } satisfies PartResult
  },
})
