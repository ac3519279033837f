import { deriveInsertId } from "@mixpanel-data/core"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { simDerivedInsertId } from "../src/index.js"

/**
 * The simulator states the derived id with its own code; the same golden values pin it and the
 * product's, and both must agree on any event (or the ground truth would drift with the code
 * it checks).
 */
describe("the simulator's derived insert id", () => {
  const properties = {
    time: 1711929600023,
    distinct_id: "u-1",
    $insert_id: null,
    mp_processing_time_ms: 1711929612325,
    $os: "iOS",
    nested: { z: 1, a: ["ü", 2] },
  }

  it("gives the golden hex", () => {
    expect(simDerivedInsertId("Page View", "u-1", 1711929600023, properties)).toBe(
      "3faa1c9a014147a06180777b9f1dc4e6",
    )
    expect(simDerivedInsertId("Sign Up", "", 0, {})).toBe("4e2bf2360d780cc2ff34972f0b50a063")
    expect(
      simDerivedInsertId("Page View", "u-1", 1711929600023, {
        ...properties,
        mp_processing_time_ms: 1,
        $insert_id: "",
      }),
    ).toBe("3faa1c9a014147a06180777b9f1dc4e6")
    expect(simDerivedInsertId("E", "u", 0, JSON.parse('{"__proto__":{"x":1}}'))).toBe(
      "acc29aaedeb76f5be6da25eec39d501c",
    )
  })

  it("agrees with the product's on any event", () => {
    const json = fc.jsonValue({ maxDepth: 3 })
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.integer({ min: 0, max: 253402300799999 }),
        fc.dictionary(fc.oneof(fc.string(), fc.constantFrom("time", "$insert_id", "a", "é")), json),
        (name, id, ms, props) => {
          expect(simDerivedInsertId(name, id, ms, props)).toBe(deriveInsertId(name, id, ms, props))
        },
      ),
      { numRuns: 500 },
    )
  })
})
