import { readFileSync, statSync } from "node:fs"
import type { EventPart } from "@mixpanel-data/core"
import { Deferred, Effect, Fiber, Stream } from "effect"
import { describe, expect, it } from "vitest"
import {
  collectParts,
  configFor,
  deleteParts,
  failureOf,
  partLines,
  partsTruth,
  removeDir,
  spoolEntries,
  tempSpool,
  useSimulator,
  withSource,
} from "./helpers.js"

const FROM = "2024-03-01"
const TO = "2024-03-07"

describe("events from /api/2.0/export", () => {
  const env = useSimulator({
    seed: 7,
    startDate: "2024-03-01",
    days: 14,
    users: 40,
  })

  const config = () => configFor(env.sim.url, env.spool)

  it("fetches every day whole, equal to the ground truth, as spooled JSONL parts", async () => {
    const parts = await withSource(config(), (s) => collectParts(s, { from: FROM, to: TO }))
    try {
      expect(parts.map((p) => p.day).sort()).toEqual([
        "2024-03-01",
        "2024-03-02",
        "2024-03-03",
        "2024-03-04",
        "2024-03-05",
        "2024-03-06",
        "2024-03-07",
      ])
      for (const part of parts) {
        if (part._tag !== "JsonlPart") throw new Error("expected a JsonlPart")
        // the body as sent, gunzipped: one file, its lines counted
        expect(statSync(part.path).size).toBe(part.bytes)
        expect(readFileSync(part.path, "utf8").split("\n").length - 1).toBe(part.rows)
        expect(partLines(part).length).toBe(part.rows)
        expect(part.layout.insertId).toEqual(['$.properties."$insert_id"'])
        expect(part.layout.deriveInsertId).toBe(true)
      }
      const got = partsTruth(parts)
      const truth = await env.sim.truth({ from: FROM, to: TO })
      expect({ count: got.count, checksum: got.checksum }).toEqual(truth)
      // The simulator redelivers some events: the raw lines hold duplicates, the set does not.
      expect(got.lines).toBeGreaterThan(got.count)
    } finally {
      deleteParts(parts)
    }
    expect(spoolEntries(env.spool)).toEqual([])
  })

  it("fetches only the listed days, and filters by event names and where", async () => {
    const request = {
      from: FROM,
      to: TO,
      days: ["2024-03-02", "2024-03-05"],
      events: ["Purchase", "Sign Up"],
      where: 'properties["$os"] == "iOS"',
    }
    const parts = await withSource(config(), (s) => collectParts(s, request))
    try {
      expect(parts.map((p) => p.day).sort()).toEqual(["2024-03-02", "2024-03-05"])
      const got = partsTruth(parts)
      const truth = {
        count: 0,
        checksum: "",
      }
      const a = await env.sim.truth({
        from: "2024-03-02",
        to: "2024-03-02",
        events: request.events,
        where: request.where,
      })
      const b = await env.sim.truth({
        from: "2024-03-05",
        to: "2024-03-05",
        events: request.events,
        where: request.where,
      })
      truth.count = a.count + b.count
      expect(got.count).toBe(truth.count)
      for (const part of parts) {
        for (const line of partLines(part)) {
          const row = JSON.parse(line)
          expect(request.events).toContain(row.event)
          expect(row.properties.$os).toBe("iOS")
        }
      }
    } finally {
      deleteParts(parts)
    }
  })

  it("gives the same derived ids to events without $insert_id on every run", async () => {
    const run = () =>
      withSource(config(), (s) =>
        Stream.runCollect(s.eventRecords({ from: "2024-03-03", to: "2024-03-04" })),
      )
    const first = await run()
    const second = await run()
    const derived = (records: typeof first) =>
      records
        .filter((r) => r.properties.$insert_id === undefined)
        .map((r) => `${r.eventName}|${r.distinctId}|${r.time.getTime()}|${r.insertId}`)
        .sort()
    expect(derived(first).length).toBeGreaterThan(0)
    expect(derived(first)).toEqual(derived(second))
    // Records carry true UTC instants and untouched properties.
    for (const r of first) {
      expect(r.time.getTime()).toBe(r.properties.time)
      expect(typeof r.insertId).toBe("string")
    }
    // Deduplicated, the records are the truth.
    const unique = new Map(
      first.map((r) => [`${r.eventName}|${r.distinctId}|${r.time.getTime()}|${r.insertId}`, r]),
    )
    expect(unique.size).toBe((await env.sim.truth({ from: "2024-03-03", to: "2024-03-04" })).count)
    expect(spoolEntries(env.spool)).toEqual([])
  })

  it("passes raw lines through unchanged for stdout", async () => {
    const lines = await withSource(config(), (s) =>
      Stream.runCollect(s.exportLines({ from: "2024-03-03", to: "2024-03-03" })),
    )
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) expect(line).not.toContain("$derived_insert_id")
    const parts = await withSource(config(), (s) =>
      collectParts(s, { from: "2024-03-03", to: "2024-03-03" }),
    )
    const spooledLines = partsTruth(parts).lines
    deleteParts(parts)
    expect(lines.length).toBe(spooledLines)
    const parsed = lines.map((l) => JSON.parse(l))
    expect(parsed.every((e) => typeof e.event === "string")).toBe(true)
  })

  it("answers an empty range with no rows", async () => {
    const parts = await withSource(config(), (s) =>
      collectParts(s, { from: "2025-06-01", to: "2025-06-01" }),
    )
    expect(parts.map((p) => (p as Extract<EventPart, { _tag: "JsonlPart" }>).rows)).toEqual([0])
    deleteParts(parts)
  })

  it("deletes spooled files that were never handed on when interrupted", async () => {
    const dir = tempSpool()
    try {
      const handed: Array<string> = []
      await withSource(configFor(env.sim.url, dir, { workers: 4 }), (s) =>
        Effect.gen(function* () {
          const first = yield* Deferred.make<void>()
          const fiber = yield* Effect.forkChild(
            s.events({ from: FROM, to: TO }).pipe(
              Stream.runForEach((part) =>
                Effect.andThen(
                  Effect.andThen(
                    Effect.sync(() => {
                      if (part._tag === "JsonlPart") handed.push(part.path)
                    }),
                    Deferred.succeed(first, undefined),
                  ),
                  Effect.never,
                ),
              ),
            ),
          )
          // interrupted once the consumer holds a day, while other days are still downloading
          yield* Deferred.await(first)
          yield* Fiber.interrupt(fiber)
        }),
      )
      // Only the part handed to the consumer (whose job it is to delete it) may remain.
      expect(handed).toHaveLength(1)
      const left = spoolEntries(dir).map((f) => `${dir}/${f}`)
      expect(left.every((path) => handed.includes(path))).toBe(true)
    } finally {
      removeDir(dir)
    }
  })

  it("rejects a malformed date with a bad request error, before any request", async () => {
    const error = await failureOf(config(), (s) =>
      Stream.runDrain(s.events({ from: "2024-13-01", to: "2024-13-02" })),
    )
    expect(error._tag).toBe("BadRequestError")
  })
})
