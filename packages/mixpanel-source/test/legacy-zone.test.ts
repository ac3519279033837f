import { Stream } from "effect"
import { describe, expect, it } from "vitest"
import {
  collectParts,
  configFor,
  deleteParts,
  partsTruth,
  useSimulator,
  withSource,
} from "./helpers.js"

const LA = "America/Los_Angeles"

describe("a legacy project in America/Los_Angeles", () => {
  const env = useSimulator({
    seed: 31,
    startDate: "2024-03-08",
    days: 245,
    users: 30,
    timeZone: LA,
  })

  const config = () => configFor(env.sim.url, env.spool, { timeZone: LA })

  for (const [day, label] of [
    ["2024-03-10", "spring-forward"],
    ["2024-11-03", "fall-back"],
  ] as const) {
    it(`converts local wall-clock to true UTC on the ${label} day (${day})`, async () => {
      const parts = await withSource(config(), (s) => collectParts(s, { from: day, to: day }))
      try {
        expect(parts[0]?._tag === "JsonlPart" && parts[0].layout.timeZone).toBe(LA)
        const got = partsTruth(parts, LA)
        expect({ count: got.count, checksum: got.checksum }).toEqual(
          await env.sim.truth({ from: day, to: day }),
        )
      } finally {
        deleteParts(parts)
      }
      const records = await withSource(config(), (s) =>
        Stream.runCollect(s.eventRecords({ from: day, to: day })),
      )
      // Every event of the local day falls between local midnight and the next, in UTC.
      const start = Date.parse(`${day}T00:00:00Z`)
      for (const r of records) {
        const offsetHours = (Number(r.properties.time) - r.time.getTime()) / 3_600_000
        expect([-7, -8]).toContain(offsetHours)
        expect(Number(r.properties.time)).toBeGreaterThanOrEqual(start)
        expect(Number(r.properties.time)).toBeLessThan(start + 86_400_000)
      }
    })
  }
})
