import { Readable, Writable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { createGunzip, gzipSync } from "node:zlib"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { ExportLines, IncompleteBody, toEventRecord } from "../src/index.js"

const options = { timeUnit: "ms" as const, timeZone: undefined }

/** Runs a body, cut into the given chunks, through the export body checker. */
const run = async (chunks: ReadonlyArray<Buffer>, gzip: boolean): Promise<string> => {
  return (await check(chunks, gzip)).text
}

const check = async (
  chunks: ReadonlyArray<Buffer>,
  gzip: boolean,
): Promise<{ text: string; rows: number }> => {
  const out: Array<Buffer> = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      out.push(chunk)
      cb()
    },
  })
  const lines = new ExportLines()
  if (gzip) await pipeline(Readable.from(chunks), createGunzip(), lines, sink)
  else await pipeline(Readable.from(chunks), lines, sink)
  return { text: Buffer.concat(out).toString("utf8"), rows: lines.rows }
}

const cut = (body: Buffer, points: ReadonlyArray<number>): Array<Buffer> => {
  const sorted = [...new Set(points.map((p) => p % (body.length + 1)))].sort((a, b) => a - b)
  const chunks: Array<Buffer> = []
  let last = 0
  for (const p of sorted) {
    chunks.push(body.subarray(last, p))
    last = p
  }
  chunks.push(body.subarray(last))
  return chunks.filter((c) => c.length > 0)
}

const event = fc.record({
  event: fc.constantFrom("Sign up", "Purchase", "页面浏览", "🛒 add"),
  properties: fc.record(
    {
      time: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
      distinct_id: fc.string({ minLength: 1, maxLength: 12 }),
      $insert_id: fc.string({ minLength: 1, maxLength: 20 }),
      note: fc.string({ unit: "grapheme", maxLength: 40 }),
      nested: fc.record({ list: fc.array(fc.integer(), { maxLength: 4 }), flag: fc.boolean() }),
    },
    { requiredKeys: ["time", "distinct_id", "note"] },
  ),
})

const records = (jsonl: string) =>
  jsonl
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => toEventRecord(JSON.parse(l), options))

describe("export body splitting", () => {
  it("parses JSONL cut at any byte boundary (plain and gzip) to the same records", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.boolean(),
        fc.boolean(),
        async (events, points, gzip, finalNewline) => {
          const text = events.map((e) => JSON.stringify(e)).join("\n") + (finalNewline ? "\n" : "")
          const body = gzip ? gzipSync(Buffer.from(text)) : Buffer.from(text)
          const whole = await check([body], gzip)
          expect(whole.text).toBe(text)
          expect(whole.rows).toBe(events.length)
          const expected = records(whole.text)
          const actual = records(await run(cut(body, points), gzip))
          expect(actual).toEqual(expected)
          expect(actual).toHaveLength(events.length)
          // Every record keeps its properties untouched, and ids are present.
          for (const [i, e] of events.entries()) {
            expect(actual[i]?.properties).toEqual(e.properties)
            expect(actual[i]?.insertId).not.toBe("")
          }
        },
      ),
      { numRuns: 150 },
    )
  })

  it("passes the body on byte for byte and counts its lines, blank lines aside", async () => {
    const line = JSON.stringify({ event: "A", properties: { time: 1, distinct_id: "u", k: [1] } })
    const body = `${line}\n\n  \r\n${line}\r\n${line}`
    for (let cutAt = 0; cutAt <= body.length; cutAt += 7) {
      const chunks = [Buffer.from(body.slice(0, cutAt)), Buffer.from(body.slice(cutAt))]
      const out = await check(chunks, false)
      expect(out.text).toBe(body)
      expect(out.rows).toBe(3)
    }
  })

  const failure = async (chunks: ReadonlyArray<Buffer>, gzip: boolean) => {
    try {
      await run(chunks, gzip)
      return "complete"
    } catch (e) {
      return e instanceof IncompleteBody
        ? `incomplete: ${e.message}`
        : `error: ${(e as Error).message}`
    }
  }

  it("rejects `terminated early`, a cut last line and a cut gzip stream", async () => {
    const lines = Array.from({ length: 200 }, (_, i) =>
      JSON.stringify({
        event: "E",
        properties: { time: i, distinct_id: "u", $insert_id: `i${i}` },
      }),
    )
    const text = `${lines.join("\n")}\n`
    expect(await failure([Buffer.from(`${text}terminated early\n`)], false)).toMatch(
      /terminated early/,
    )
    expect(await failure([Buffer.from(text.slice(0, -20))], false)).toMatch(/cut/)
    const gz = gzipSync(Buffer.from(text))
    // A gzip stream missing its end: even when the cut falls on a line boundary, zlib notices.
    expect(await failure([gz.subarray(0, gz.length - 8)], true)).toMatch(/^error: unexpected end/)
    expect(await failure([gz.subarray(0, gz.length >> 1)], true)).not.toBe("complete")
    expect(await failure([Buffer.from(text)], false)).toBe("complete")
  })

  it("tells `terminated early` and a foreign line whatever the chunks", async () => {
    const ok = JSON.stringify({ event: "E", properties: { time: 1, distinct_id: "u" } })
    const ended = Buffer.from(`${ok}\nterminated early\n`)
    for (let cutAt = 0; cutAt <= ended.length; cutAt++) {
      const chunks = [ended.subarray(0, cutAt), ended.subarray(cutAt)]
      expect(await failure(chunks, false)).toMatch(/ended with `terminated early`/)
    }
    // the line is named whatever the chunks, blank lines counted
    const foreign = Buffer.from(`${ok}\n\n  \n<html>oops</html>\n${ok}\n`)
    for (let cutAt = 0; cutAt <= foreign.length; cutAt += 7) {
      const chunks = [foreign.subarray(0, cutAt), foreign.subarray(cutAt)]
      expect(await failure(chunks, false)).toMatch(
        /unexpected line 4 of the body: "<html>oops<\/html>"/,
      )
    }
    // a last line without its newline that parses is whole
    expect(await failure([Buffer.from(`${ok}\n${ok}`)], false)).toBe("complete")
  })
})
