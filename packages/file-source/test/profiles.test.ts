import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { Readable } from "node:stream"
import { gzipSync } from "node:zlib"
import { makeFileSource } from "@mixpanel-data/file-source"
import { describe, expect, it } from "vitest"
import { collectProfiles, profilesError, useTempDir } from "./helpers.js"

const tempDir = useTempDir()

const result = (i: number) => ({
  $distinct_id: `u${i}`,
  $properties: {
    $created: "2024-01-03T10:20:47",
    $last_seen: `2024-03-0${(i % 9) + 1}T08:00:00`,
    $email: `u${i}@example.com`,
    plan: i % 2 === 0 ? "pro" : "free",
    tags: ["a", { "b}": '[]{}"' }],
  },
})
const page = (n: number, from: number) => ({
  page: from / 1000,
  page_size: 1000,
  session_id: "1234567890-EXAMPL",
  status: "ok",
  total: 5,
  results: Array.from({ length: n }, (_, i) => result(from + i)),
})

describe("file source: profiles", () => {
  it("reads engage pages, one or many per file, compact or pretty-printed", async () => {
    const dir = tempDir()
    const one = join(dir, "one.json")
    const many = join(dir, "many.json")
    writeFileSync(one, JSON.stringify(page(3, 0)))
    writeFileSync(many, `${JSON.stringify(page(2, 3), null, 2)}\n${JSON.stringify(page(1, 5))}\n`)
    const profiles = await collectProfiles(makeFileSource({ paths: [one, many] }))
    expect(profiles.map((p) => p.distinctId)).toEqual(["u0", "u1", "u2", "u3", "u4", "u5"])
    expect(profiles[1]).toEqual({
      distinctId: "u1",
      properties: result(1).$properties,
      lastSeen: new Date("2024-03-02T08:00:00Z"),
    })
  })

  it("reads a JSON array of results and JSONL of results, gzip or not, from stdin too", async () => {
    const dir = tempDir()
    const array = join(dir, "array.json")
    const jsonl = join(dir, "results.jsonl.gz")
    writeFileSync(array, JSON.stringify([result(0), result(1)], null, 1))
    writeFileSync(jsonl, gzipSync(`${JSON.stringify(result(2))}\n${JSON.stringify(result(3))}\n`))
    const fromFiles = await collectProfiles(makeFileSource({ paths: [array, jsonl] }))
    expect(fromFiles.map((p) => p.distinctId)).toEqual(["u0", "u1", "u2", "u3"])
    const body = Buffer.from(JSON.stringify([result(7)]))
    const stdin = () => Readable.from([body.subarray(0, 5), body.subarray(5)])
    const fromStdin = await collectProfiles(makeFileSource({ paths: ["-"], stdin }))
    expect(fromStdin.map((p) => p.distinctId)).toEqual(["u7"])
  })

  it("keeps a profile without $last_seen, with a null last seen", async () => {
    const dir = tempDir()
    const file = join(dir, "p.jsonl")
    writeFileSync(file, `${JSON.stringify({ $distinct_id: "x", $properties: { a: 1 } })}\n`)
    expect(await collectProfiles(makeFileSource({ paths: [file] }))).toEqual([
      { distinctId: "x", properties: { a: 1 }, lastSeen: null },
    ])
  })

  it("names the line of a bad profile or a cut file", async () => {
    const dir = tempDir()
    const file = join(dir, "bad.jsonl")
    writeFileSync(file, `${JSON.stringify(result(0))}\n\n${JSON.stringify({ $properties: {} })}\n`)
    expect(await profilesError(makeFileSource({ paths: [file] }))).toMatchObject({
      _tag: "InvalidSourceInput",
      file,
      line: 3,
      reason: expect.stringMatching(/\$distinct_id/),
    })
    const cut = join(dir, "cut.json")
    writeFileSync(cut, `${JSON.stringify(page(2, 0), null, 2).slice(0, -30)}`)
    expect(await profilesError(makeFileSource({ paths: [cut] }))).toMatchObject({
      line: 1,
      reason: expect.stringMatching(/ends inside/),
    })
    const junk = join(dir, "junk.json")
    writeFileSync(junk, `${JSON.stringify(result(0))}\n\n  42\n`)
    expect(await profilesError(makeFileSource({ paths: [junk] }))).toMatchObject({ line: 3 })
  })
})
