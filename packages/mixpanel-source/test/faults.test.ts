import { startSimulator, transientFaultKinds } from "@mixpanel-data/mixpanel-sim"
import { Effect, Redacted, Stream } from "effect"
import { describe, expect, it } from "vitest"
import {
  auth,
  collectParts,
  configFor,
  deleteParts,
  failureOf,
  partsTruth,
  simAuth,
  spoolEntries,
  useSimulator,
  withSource,
} from "./helpers.js"

const FROM = "2024-05-01"
const TO = "2024-05-04"

describe("faults", () => {
  const env = useSimulator({
    seed: 11,
    startDate: FROM,
    days: 6,
    users: 60,
  })

  const config = () => configFor(env.sim.url, env.spool, { timeouts: { idleMs: 5_000 } })

  it("waits for a Retry-After given as an HTTP date before asking again", async () => {
    env.sim.setFaults({
      script: [
        {
          match: { path: "/api/2.0/export", day: "2024-05-02", times: 1 },
          fault: { kind: "429-retry-after", retryAfterSeconds: 2, retryAfterAsDate: true },
        },
      ],
    })
    const started = Date.now()
    const parts = await withSource(config(), (s) =>
      collectParts(s, { from: "2024-05-02", to: "2024-05-02" }),
    )
    try {
      // the date is whole seconds: two seconds ahead leaves about one at least to wait
      expect(Date.now() - started).toBeGreaterThanOrEqual(900)
      const got = partsTruth(parts)
      expect({ count: got.count, checksum: got.checksum }).toEqual(
        await env.sim.truth({ from: "2024-05-02", to: "2024-05-02" }),
      )
    } finally {
      deleteParts(parts)
      env.sim.setFaults({})
    }
  })

  for (const kind of transientFaultKinds) {
    it(`survives ${kind}: the fetched set equals the truth`, async () => {
      env.sim.setFaults({
        script: [
          {
            match: { path: "/api/2.0/export", day: "2024-05-02", times: 2 },
            fault:
              kind === "429-retry-after"
                ? { kind, retryAfterSeconds: 0.05 }
                : { kind, afterBytes: 4000 },
          },
        ],
      })
      env.sim.resetStats()
      const parts = await withSource(config(), (s) => collectParts(s, { from: FROM, to: TO }))
      try {
        const got = partsTruth(parts)
        expect({ count: got.count, checksum: got.checksum }).toEqual(
          await env.sim.truth({ from: FROM, to: TO }),
        )
        expect(parts).toHaveLength(4)
        const stats = env.sim.stats() as unknown as { export: { faults: Record<string, number> } }
        // A trickle is slow but whole: it fires once and the day is kept.
        expect(stats.export.faults[kind]).toBe(kind === "slow-trickle" ? 1 : 2)
      } finally {
        deleteParts(parts)
        env.sim.setFaults({})
      }
      expect(spoolEntries(env.spool)).toEqual([])
    })
  }

  it("survives random faults of every transient kind on every day", async () => {
    env.sim.setFaults({
      random: {
        seed: 3,
        rate: 0.5,
        kinds: transientFaultKinds.map((kind) =>
          kind === "429-retry-after"
            ? { kind, retryAfterSeconds: 0.02 }
            : { kind, afterBytes: 3000 },
        ),
        maxPerRequest: 3,
      },
    })
    try {
      const parts = await withSource(config(), (s) => collectParts(s, { from: FROM, to: TO }))
      const got = partsTruth(parts)
      deleteParts(parts)
      expect({ count: got.count, checksum: got.checksum }).toEqual(
        await env.sim.truth({ from: FROM, to: TO }),
      )
    } finally {
      env.sim.setFaults({})
    }
  })

  it("fails with IncompleteExport once retries run out, leaving no files", async () => {
    env.sim.setFaults({
      script: [
        { match: { path: "/api/2.0/export", day: "2024-05-03" }, fault: "terminated-early" },
      ],
    })
    try {
      const error = await failureOf(
        configFor(env.sim.url, env.spool, {
          retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 },
        }),
        (s) => Stream.runDrain(s.events({ from: "2024-05-03", to: "2024-05-03" })),
      )
      expect(error._tag).toBe("IncompleteExport")
      expect(error.message).toContain("terminated early")
    } finally {
      env.sim.setFaults({})
    }
    expect(spoolEntries(env.spool)).toEqual([])
  })

  const fatal = [
    ["401", "AuthenticationError"],
    ["400-unable-to-authenticate", "AuthenticationError"],
    ["402", "PlanLimitError"],
    ["403", "PermissionError"],
  ] as const

  for (const [kind, tag] of fatal) {
    it(`never retries ${kind}: ${tag} with Mixpanel's text`, async () => {
      env.sim.setFaults({ script: [{ match: { path: "/api/2.0/export" }, fault: kind }] })
      env.sim.resetStats()
      try {
        const error = await failureOf(config(), (s) =>
          Stream.runDrain(s.events({ from: "2024-05-01", to: "2024-05-01" })),
        )
        expect(error._tag).toBe(tag)
        expect("body" in error && error.body.length > 0).toBe(true)
        expect(error.message).not.toContain(auth.secret)
        const stats = env.sim.stats() as unknown as { export: { requests: number } }
        expect(stats.export.requests).toBe(1)
      } finally {
        env.sim.setFaults({})
      }
    })
  }

  it("reports wrong credentials as an authentication error, without the secret", async () => {
    const error = await failureOf(
      {
        ...config(),
        credentials: {
          _tag: "ServiceAccount",
          ...auth,
          secret: Redacted.make("wrong-secret-value"),
        },
      },
      (s) => s.eventNames(),
    )
    expect(error._tag).toBe("AuthenticationError")
    expect(JSON.stringify(error)).not.toContain("wrong-secret-value")
  })

  it("never exceeds the limits under concurrency", async () => {
    const limited = await startSimulator({
      port: 0,
      seed: 5,
      startDate: "2024-01-01",
      days: 30,
      users: 5,
      auth: simAuth,
      limits: {
        export: { perHour: 1000, perSecond: 8, concurrent: 3 },
        query: { perHour: 1000, concurrent: 2 },
      },
    })
    try {
      await withSource(
        configFor(limited.url, env.spool, {
          limits: {
            export: { perHour: 1000, perSecond: 8, concurrent: 3 },
            query: { perHour: 1000, concurrent: 2 },
            marginMs: 50,
            secondMarginMs: 50,
          },
          workers: 30,
        }),
        (s) =>
          Effect.gen(function* () {
            const parts = yield* collectParts(s, { from: "2024-01-01", to: "2024-01-30" })
            deleteParts(parts)
            expect(parts).toHaveLength(30)
            yield* Effect.all(
              Array.from({ length: 8 }, () => s.eventNames()),
              { concurrency: "unbounded" },
            )
          }),
      )
      const stats = limited.stats() as unknown as {
        export: {
          maxConcurrent: number
          maxPerSecond: number
          rateLimited: number
          limitViolations: number
        }
        query: { maxConcurrent: number; rateLimited: number }
      }
      expect(stats.export.rateLimited).toBe(0)
      expect(stats.export.limitViolations).toBe(0)
      expect(stats.export.maxConcurrent).toBeLessThanOrEqual(3)
      expect(stats.export.maxPerSecond).toBeLessThanOrEqual(8)
      expect(stats.query.maxConcurrent).toBeLessThanOrEqual(2)
      expect(stats.query.rateLimited).toBe(0)
    } finally {
      await limited.close()
    }
  })
})
