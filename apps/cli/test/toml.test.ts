import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { parseToml, stringifyToml, TomlParseError } from "../src/config/toml.js"

describe("toml", () => {
  it("reads the config file's shape", () => {
    const doc = parseToml(`# accounts
default = "prod"

[accounts.prod]
username = "svc.user"   # comment
secret = 'lit\\eral'
project_id = 12345
region = "eu"

[accounts."with space"]
secret = "a\\"b\\u00e9\\n"
enabled = true
ratio = 1.5
`)
    expect(doc).toEqual({
      default: "prod",
      accounts: {
        prod: { username: "svc.user", secret: "lit\\eral", project_id: 12345, region: "eu" },
        "with space": { secret: 'a"bé\n', enabled: true, ratio: 1.5 },
      },
    })
  })

  it("reports problems with their line number", () => {
    const bad: Array<[string, number]> = [
      ['a = "unterminated', 1],
      ["\n\nx = [1, 2]", 3],
      ["[t]\n[t]", 2],
      ["a = 1\na = 2", 2],
      ["a = 1 junk", 1],
      ['a = "\\q"', 1],
      ["[[arr]]", 1],
      ["= 1", 1],
    ]
    for (const [text, line] of bad) {
      try {
        parseToml(text)
        expect.unreachable(text)
      } catch (e) {
        expect(e).toBeInstanceOf(TomlParseError)
        expect((e as TomlParseError).line).toBe(line)
      }
    }
  })

  it("writes what it reads, for any strings and keys", () => {
    const key = fc.string({ minLength: 1, maxLength: 12 })
    const leaf = fc.oneof(fc.string(), fc.integer(), fc.boolean())
    const table = fc.dictionary(key, leaf, { maxKeys: 5 })
    fc.assert(
      fc.property(table, fc.dictionary(key, table, { maxKeys: 4 }), (top, accounts) => {
        const leaves = Object.fromEntries(Object.entries(top).filter(([k]) => k !== "accounts"))
        const doc = { ...leaves, accounts }
        expect(parseToml(stringifyToml(doc))).toEqual(doc)
      }),
      { numRuns: 300 },
    )
  })

  it("escapes control characters and quotes keys that need it", () => {
    const text = stringifyToml({ t: { "a b": 'x\u0001y\t"\\' } })
    expect(text).toBe('[t]\n"a b" = "x\\u0001y\\t\\"\\\\"\n')
    expect(parseToml(text)).toEqual({ t: { "a b": 'x\u0001y\t"\\' } })
  })
})
