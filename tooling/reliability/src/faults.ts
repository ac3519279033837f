import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { fetchEvents, fetchProfiles, Storage, storageLayer } from "@mixpanel-data/core"
import {
  ChecksumAccumulator,
  type FaultRule,
  type Rng,
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
 * events fetch in UTC, in a legacy zone across its spring-forward or its fall-back day, or a
 * profiles fetch, through the Mixpanel source and the pipeline into a real DuckDB store. The
 * simulator's data has its edge cases on (odd `$insert_id` values, id-less events and their
 * redeliveries, events of one user in the same second, integers beyond 2^53, events in and
 * around the hours a clock change repeats or skips). Each must end with exactly the truth's
 * set, properties included.
 */

const LA = "America/Los_Angeles"

interface Kind {
  readonly name: string
  readonly legacy: boolean
  readonly profiles: boolean
  readonly from: string
  readonly to: string
}

const range = (from: string, to: string) => ({ from, to })
const SPRING = range("2024-03-09", "2024-03-12")
const FALL = range("2024-11-02", "2024-11-05")

const kinds: ReadonlyArray<Kind> = [
  { name: "events (UTC)", legacy: false, profiles: false, ...FALL },
  { name: `events (${LA}, spring forward)`, legacy: true, profiles: false, ...SPRING },
  { name: `events (${LA}, fall back)`, legacy: true, profiles: false, ...FALL },
  { name: "profiles", legacy: false, profiles: true, ...FALL },
]

const daysOf = (kind: Kind): Array<string> => {
  const out: Array<string> = []
  for (let t = Date.parse(kind.from); t <= Date.parse(kind.to); t += 86_400_000)
    out.push(new Date(t).toISOString().slice(0, 10))
  return out
}

/** One to three faults, each on a chosen request of the family the fetch uses. */
const planFor = (rng: Rng, kind: Kind): Array<FaultRule> =>
  Array.from({ length: 1 + rng.int(3) }, () => {
    const fault = rng.pick(transientFaultKinds)
    const match = kind.profiles
      ? { path: "/api/query/engage", every: 1, times: 1 + rng.int(2) }
      : rng.next() < 0.5
        ? { path: "/api/2.0/export", day: rng.pick(daysOf(kind)), times: 1 + rng.int(2) }
        : { path: "/api/2.0/export", nth: 1 + rng.int(4), times: 1 }
    const spec =
      fault === "429-retry-after"
        ? rng.next() < 0.3
          ? { kind: fault, retryAfterSeconds: 1, retryAfterAsDate: true }
          : { kind: fault, retryAfterSeconds: rng.next() < 0.5 ? 0.05 : 0.2 }
        : fault === "slow-trickle"
          ? { kind: fault, trickleBytes: 512, pieceBytes: 64, tickMs: 5 }
          : { kind: fault, afterBytes: 1 + rng.int(30_000) }
    return { match, fault: spec }
  })

/** Count and checksum of the rows read back, properties (as JSON text) included. */
const identity = (rows: ReadonlyArray<ReadonlyArray<unknown>>, profiles: boolean) => {
  const acc = new ChecksumAccumulator()
  for (const r of rows) {
    if (profiles) acc.addProfile(String(r[0]), String(r[1]))
    else acc.addEvent(String(r[0]), String(r[1]), Number(r[2]), String(r[3]), String(r[4]))
  }
  return { count: acc.count, checksum: acc.digest() }
}

export const faults = (scenarios: number): Part => ({
  id: "R1",
  title: "faults: seeded fault plans over events (UTC, a legacy zone's DST days) and profiles",
  run: async (_sim, _env, dir, rng) => {
    mkdirSync(dir, { recursive: true })
    // one dataset from the spring-forward day to past the fall-back day; each fetch takes 4 days
    const common = {
      seed: 13,
      startDate: SPRING.from,
      days: 242,
      users: 80,
      today: "2024-12-31",
      limits: false as const,
      edgeCases: true,
    }
    const utc = await startSimulator({ ...common, port: 0 })
    const legacy = await startSimulator({ ...common, port: 0, timeZone: LA })
    const tally = new Map<string, { runs: number; exact: number; faults: number }>()
    const failures: Array<string> = []
    let passed = 0
    const truths = new Map<Kind, { count: number; checksum: string }>()
    try {
      for (const kind of kinds)
        truths.set(
          kind,
          kind.profiles
            ? await utc.profileTruth({ properties: true })
            : await (kind.legacy ? legacy : utc).truth({
                from: kind.from,
                to: kind.to,
                properties: true,
              }),
        )
      for (let i = 0; i < scenarios; i++) {
        const kind = rng.pick(kinds)
        const profiles = kind.profiles
        const sim = kind.legacy ? legacy : utc
        const script = planFor(rng, kind)
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
          // properties as text: a JSON value would come back parsed, its big integers rounded
          if (profiles) {
            yield* fetchProfiles({ source: s, table: "profiles" })
            return (yield* storage.query("SELECT distinct_id, properties::VARCHAR FROM profiles"))
              .rows
          }
          yield* fetchEvents({
            source: s,
            table: "events",
            request: { from: kind.from, to: kind.to },
            ...(sim === legacy ? { timeZone: LA } : {}),
          })
          return (yield* storage.query(
            `SELECT event_name, distinct_id, epoch_ms(event_time), insert_id, properties::VARCHAR
             FROM events`,
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
        const entry = tally.get(kind.name) ?? { runs: 0, exact: 0, faults: 0 }
        tally.set(kind.name, entry)
        entry.runs++
        entry.faults += fired
        const want = truths.get(kind)!
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
        } else failures.push(`#${i} ${kind.name} with ${JSON.stringify(script)}: ${problem}`)
      }
    } finally {
      utc.setFaults({})
      legacy.setFaults({})
      await utc.close()
      await legacy.close()
    }
    return {
      header: ["fetch", "rows (the truth)", "scenarios", "faults fired", "exact"],
      rows: kinds.flatMap((kind) => {
        const t = tally.get(kind.name)
        return t === undefined
          ? []
          : [[kind.name, truths.get(kind)!.count, t.runs, t.faults, `${t.exact}/${t.runs}`]]
      }),
      total: scenarios,
      passed,
      failures,
    } satisfies PartResult
  },
})
