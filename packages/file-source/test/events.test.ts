import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Readable } from "node:stream"
import { gzipSync } from "node:zlib"
import { deriveInsertId } from "@mixpanel-data/core"
import { makeFileSource } from "@mixpanel-data/file-source"
import { describe, expect, it } from "vitest"
import { collectEvents, eventsError, exportLine, useTempDir } from "./helpers.js"

const tempDir = useTempDir()

const lines = [
  exportLine("Sign up", {
    time: 1_709_251_200,
    distinct_id: "u1",
    $insert_id: "id-1",
    $os: "iOS",
    nested: { a: [1, { b: "é✓" }], empty: {} },
  }),
  exportLine("Purchase", {
    time: 1_709_337_600_123,
    distinct_id: "u2",
    amount: 12.5,
    mp_processing_time_ms: 1_709_337_700_000,
  }),
  exportLine("Page view", { time: 1_709_424_000, distinct_id: 42, $insert_id: "id-3" }),
]
const text = `${lines.join("\n")}\n`

describe("file source: events", () => {
  it("reads plain JSONL with the adapter's transforms, properties untouched", async () => {
    const dir = tempDir()
    const file = join(dir, "export.jsonl")
    writeFileSync(file, text)
    const records = await collectEvents(makeFileSource({ paths: [file] }))
    expect(records).toHaveLength(3)
    const [a, b, c] = records
    expect(a).toEqual({
      eventName: "Sign up",
      time: new Date("2024-03-01T00:00:00Z"),
      distinctId: "u1",
      insertId: "id-1",
      properties: JSON.parse(lines[0]!).properties,
    })
    expect(b!.time.toISOString()).toBe("2024-03-02T00:00:00.123Z")
    expect(b!.insertId).toBe(
      deriveInsertId("Purchase", "u2", 1_709_337_600_123, JSON.parse(lines[1]!).properties),
    )
    expect(c!.distinctId).toBe("42")
  })

  it("reads gzip by its magic bytes, whatever the name, and folders in name order", async () => {
    const dir = tempDir()
    const folder = join(dir, "in")
    mkdirSync(folder)
    writeFileSync(join(folder, "b.jsonl"), gzipSync(`${lines[1]}\n${lines[2]}`))
    writeFileSync(join(folder, "a.json.gz"), gzipSync(`${lines[0]}\n`))
    writeFileSync(join(folder, "notes.txt"), "not data")
    const records = await collectEvents(makeFileSource({ paths: [folder] }))
    expect(records.map((r) => r.eventName)).toEqual(["Sign up", "Purchase", "Page view"])
  })

  it("reads stdin as a stream, plain or gzip, in small chunks", async () => {
    const chunks = (buf: Buffer) => {
      const out: Array<Buffer> = []
      for (let i = 0; i < buf.length; i += 7) out.push(buf.subarray(i, i + 7))
      return out
    }
    for (const body of [Buffer.from(text), gzipSync(text)]) {
      const source = makeFileSource({ paths: ["-"], stdin: () => Readable.from(chunks(body)) })
      const records = await collectEvents(source)
      expect(records.map((r) => r.insertId).filter((id) => id.startsWith("id-"))).toEqual([
        "id-1",
        "id-3",
      ])
    }
  })

  it("names the file and line of bad input", async () => {
    const dir = tempDir()
    const cases: Array<[string, RegExp]> = [
      ["{not json", /invalid JSON/],
      [JSON.stringify({ properties: { time: 1, distinct_id: "u" } }), /missing "event"/],
      [exportLine("E", { distinct_id: "u" }), /properties\.time/],
      [exportLine("E", { time: "yesterday", distinct_id: "u" }), /properties\.time/],
      [exportLine("E", { time: 1_709_251_200 }), /distinct_id/],
      ["terminated early", /invalid JSON/],
    ]
    for (const [bad, reason] of cases) {
      const file = join(dir, "bad.jsonl")
      writeFileSync(file, `${lines[0]}\n\r\n${lines[1]}\r\n${bad}\n${lines[2]}\n`)
      const error = await eventsError(makeFileSource({ paths: [file] }))
      expect(error).toMatchObject({ _tag: "InvalidSourceInput", file, line: 4 })
      expect((error as { reason: string }).reason).toMatch(reason)
    }
  })

  it("reports missing files, empty folders and corrupt gzip", async () => {
    const dir = tempDir()
    expect(await eventsError(makeFileSource({ paths: [join(dir, "nope.jsonl")] }))).toMatchObject({
      _tag: "InvalidSourceInput",
      reason: "no such file or folder",
    })
    expect(await eventsError(makeFileSource({ paths: [dir] }))).toMatchObject({
      reason: expect.stringMatching(/holds no/),
    })
    const cut = join(dir, "cut.gz")
    const gz = gzipSync(text.repeat(50))
    writeFileSync(cut, gz.subarray(0, gz.length - 20))
    expect(await eventsError(makeFileSource({ paths: [cut] }))).toMatchObject({
      _tag: "InvalidSourceInput",
      file: cut,
      reason: expect.stringMatching(/gzip|unexpected end/i),
    })
  })

  it("converts a legacy project's local wall-clock times to UTC across DST", async () => {
    const dir = tempDir()
    const file = join(dir, "legacy.jsonl")
    // Local wall clock read as if UTC: 2024-03-10 01:30 (PST) and 03:30 (PDT), 2024-11-03 01:30
    // (repeated: the earlier, PDT, instant) and 2024-07-01 12:00 (PDT).
    const local = [
      "2024-03-10T01:30:00Z",
      "2024-03-10T03:30:00Z",
      "2024-11-03T01:30:00Z",
      "2024-07-01T12:00:00Z",
    ]
    writeFileSync(
      file,
      local
        .map((t, i) =>
          exportLine("E", { time: Date.parse(t) / 1000, distinct_id: "u", $insert_id: `${i}` }),
        )
        .join("\n"),
    )
    const records = await collectEvents(
      makeFileSource({ paths: [file], timeZone: "America/Los_Angeles" }),
    )
    expect(records.map((r) => r.time.toISOString())).toEqual([
      "2024-03-10T09:30:00.000Z",
      "2024-03-10T10:30:00.000Z",
      "2024-11-03T08:30:00.000Z",
      "2024-07-01T19:00:00.000Z",
    ])
  })

  it("filters by event name when asked", async () => {
    const dir = tempDir()
    const file = join(dir, "e.jsonl")
    writeFileSync(file, text)
    const source = makeFileSource({ paths: [file] })
    const { Effect, Stream } = await import("effect")
    const names = await Effect.runPromise(
      source.events({ from: "", to: "", events: ["Purchase"] }).pipe(
        Stream.flatMap((p) => (p._tag === "RecordsPart" ? p.records : Stream.empty)),
        Stream.map((r) => r.eventName),
        Stream.runCollect,
      ),
    )
    expect(names).toEqual(["Purchase"])
  })
})

describe("file source: encodings", () => {
  it("ignores a byte-order mark at the start of a file", async () => {
    const dir = tempDir()
    const file = join(dir, "bom.jsonl")
    writeFileSync(file, `\uFEFF${text}`)
    expect(await collectEvents(makeFileSource({ paths: [file] }))).toHaveLength(3)
  })
})
