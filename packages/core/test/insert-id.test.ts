import { describe, expect, it } from "vitest"
import { canonicalJson, deriveInsertId } from "../src/index.js"

/**
 * Golden values: the derived id of an event without `$insert_id` is stored, and every later
 * append or refetch must derive the same one, or rows double. A change here is a data migration.
 */
describe("derived insert ids are pinned", () => {
  it("canonicalJson sorts keys at every depth and drops undefined", () => {
    expect(canonicalJson({ b: 1, a: [{ d: null, c: "é" }], u: undefined })).toBe(
      '{"a":[{"c":"é","d":null}],"b":1}',
    )
    expect(canonicalJson(["x", 1.5, true, null])).toBe('["x",1.5,true,null]')
  })

  it("deriveInsertId gives fixed hex for fixed inputs", () => {
    const properties = {
      time: 1711929600023,
      distinct_id: "u-1",
      $insert_id: null,
      mp_processing_time_ms: 1711929612325,
      $os: "iOS",
      nested: { z: 1, a: ["ü", 2] },
    }
    expect(deriveInsertId("Page View", "u-1", 1711929600023, properties)).toBe(
      "3faa1c9a014147a06180777b9f1dc4e6",
    )
    expect(deriveInsertId("Sign Up", "", 0, {})).toBe("4e2bf2360d780cc2ff34972f0b50a063")
    // the volatile keys do not change the id
    expect(
      deriveInsertId("Page View", "u-1", 1711929600023, {
        ...properties,
        mp_processing_time_ms: 1,
        $insert_id: "",
      }),
    ).toBe("3faa1c9a014147a06180777b9f1dc4e6")
    // a property named __proto__ (an own key once parsed) is part of the event like any other
    const a = JSON.parse('{"__proto__":{"x":1}}') as Record<string, unknown>
    const b = JSON.parse('{"__proto__":{"x":2}}') as Record<string, unknown>
    expect(deriveInsertId("E", "u", 0, a)).not.toBe(deriveInsertId("E", "u", 0, b))
    expect(deriveInsertId("E", "u", 0, a)).toBe("acc29aaedeb76f5be6da25eec39d501c")
  })
})
