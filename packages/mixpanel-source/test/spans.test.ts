import { Effect, Stream, Tracer } from "effect"
import { describe, expect, it } from "vitest"
import { auth, collectParts, configFor, deleteParts, useSimulator, withSource } from "./helpers.js"

/** A tracer that keeps every span it starts. */
const recording = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    },
  })
  return { spans, tracer }
}

describe("spans", () => {
  const env = useSimulator({ seed: 8, startDate: "2024-03-01", days: 2, users: 60 })

  it("names each export day, engage page and discovery request, and never the secret", async () => {
    const { spans, tracer } = recording()
    const parts = await withSource(configFor(env.sim.url, env.spool), (s) =>
      Effect.gen(function* () {
        yield* s.eventNames({ limit: 5 })
        yield* Stream.runDrain(s.profiles({}))
        return yield* collectParts(s, { from: "2024-03-01", to: "2024-03-02" })
      }).pipe(Effect.withTracer(tracer)),
    )
    deleteParts(parts)
    const named = (name: string) =>
      spans.filter((s) => s.name === name).map((s) => Object.fromEntries(s.attributes))
    expect(named("MixpanelSource.discovery")).toEqual([{ path: "/api/query/events/names" }])
    expect(named("MixpanelSource.engagePage")).toContainEqual({ page: 0 })
    expect(named("MixpanelSource.exportDay").map((a) => a.day)).toEqual(
      expect.arrayContaining(["2024-03-01", "2024-03-02"]),
    )
    // the HTTP client's own spans sit inside them
    expect(spans.filter((s) => s.name === "GET" || s.name === "POST").length).toBeGreaterThan(3)
    for (const span of spans) expect(span.status._tag).toBe("Ended")
    const basic = Buffer.from(`${auth.username}:${auth.secret}`).toString("base64")
    const recorded = JSON.stringify(
      spans.map((s) => [s.name, [...s.attributes], s.events]),
      (_, v) => (typeof v === "bigint" ? String(v) : v),
    )
    expect(recorded).not.toContain(auth.secret)
    expect(recorded).not.toContain(basic)
  })
})
