import { describe, expect, it } from "vitest"
import { parseJsonExact, RAW_JSON, rawJsonOf } from "../src/index.js"

describe("parseJsonExact", () => {
  it("gives the containers of a number JS rounds their own text, minified", () => {
    const text = `{"page": 0, "results": [
      {"$distinct_id": "a", "$properties": {"big": 9007199254740993, "s": "a \\" b }", "n": 1}},
      {"$distinct_id": "b", "$properties": {"deep": {"list": [ -18446744073709551617 , 2]}}},
      {"$distinct_id": "c", "$properties": {"safe": 9007199254740991, "ten": 1000000000000000}}
    ]}`
    const page = parseJsonExact(text) as {
      results: Array<{ $properties: Record<string, unknown> }>
    }
    const [a, b, c] = page.results.map((r) => r.$properties)
    expect(rawJsonOf(a)).toBe('{"big":9007199254740993,"s":"a \\" b }","n":1}')
    expect(rawJsonOf(b)).toBe('{"deep":{"list":[-18446744073709551617,2]}}')
    expect(rawJsonOf((b as { deep: unknown }).deep)).toBe('{"list":[-18446744073709551617,2]}')
    // exact numbers keep no text
    expect(rawJsonOf(c)).toBeUndefined()
    // the text is not a property anyone sees
    expect(Object.keys(a!)).toEqual(["big", "s", "n"])
    expect(JSON.stringify(a)).toBe('{"big":9007199254740992,"s":"a \\" b }","n":1}')
    expect(RAW_JSON in a!).toBe(true)
  })

  it("is JSON.parse where nothing rounds, and fails as it does", () => {
    for (const text of ['{"a":[1,2.5,"x"]}', "[]", '"s"', "12", '{"t":1e300}']) {
      expect(parseJsonExact(text)).toEqual(JSON.parse(text))
    }
    expect(() => parseJsonExact('{"a":')).toThrow(SyntaxError)
  })
})
