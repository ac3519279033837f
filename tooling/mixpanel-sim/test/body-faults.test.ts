import { createServer, request, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { FaultSpec } from "../src/faults.js"
import { sendBody } from "../src/respond.js"

// Each request names a body, a chunk size and a fault; the server sends it through `sendBody`.
const lines = Array.from(
  { length: 120 },
  (_, i) => `{"event":"e${i}","properties":{"pad":"${"x".repeat((i * 37) % 300)}"}}\n`,
).join("")
const bodies: Record<string, string> = {
  lines,
  unterminated: lines.slice(0, -1),
  json: JSON.stringify({ results: Array.from({ length: 200 }, (_, i) => ({ id: i })) }),
  empty: "",
}

const chunked = (text: string, size: number): Buffer[] => {
  const b = Buffer.from(text)
  if (size === 0) {
    // Line-aligned chunks, as the generator makes them.
    const out: Buffer[] = []
    let start = 0
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) {
      out.push(b.subarray(start, i + 1))
      start = i + 1
    }
    if (start < b.length) out.push(b.subarray(start))
    return out
  }
  const out: Buffer[] = []
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size))
  return out
}

let server: Server
let base = ""
beforeAll(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x")
    const fault = JSON.parse(u.searchParams.get("fault")!) as FaultSpec
    const chunks = chunked(bodies[u.searchParams.get("body")!]!, Number(u.searchParams.get("size")))
    sendBody(req, res, chunks, "text/plain", fault).catch(() => res.destroy())
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

const get = (body: string, size: number, fault: FaultSpec) =>
  new Promise<{ text: string; broken: boolean }>((resolve, reject) => {
    const q = new URLSearchParams({ body, size: String(size), fault: JSON.stringify(fault) })
    const req = request(`${base}/?${q}`, (res) => {
      const parts: Buffer[] = []
      let settled = false
      const finish = (broken: boolean) => {
        if (settled) return
        settled = true
        resolve({ text: Buffer.concat(parts).toString("utf8"), broken })
      }
      res.on("data", (b: Buffer) => parts.push(b))
      res.on("end", () => finish(false))
      res.on("error", () => finish(true))
      res.on("close", () => finish(!res.complete))
    })
    req.on("error", reject)
    req.end()
  })

describe("body faults on the plain byte stream", () => {
  it("cut the same bytes whatever the chunking", async () => {
    for (const body of Object.keys(bodies)) {
      for (const kind of ["terminated-early", "cut-line", "reset-mid-body"] as const) {
        for (const afterBytes of [0, 1, 333, 4096, 20_000, 10_000_000]) {
          const fault = { kind, afterBytes }
          const answers = []
          for (const size of [0, 7, 1000, 1_000_000]) answers.push(await get(body, size, fault))
          const first = answers[0]!
          for (const a of answers) expect(a, JSON.stringify({ body, fault })).toEqual(first)
        }
      }
    }
  })

  it("cut where they say", async () => {
    const at = 4096
    const throughLine = lines.slice(0, lines.indexOf("\n", at - 1) + 1)
    expect((await get("lines", 1000, { kind: "terminated-early", afterBytes: at })).text).toBe(
      `${throughLine}terminated early\n`,
    )
    const cut = (await get("lines", 7, { kind: "cut-line", afterBytes: at })).text
    const nextLine = lines.slice(throughLine.length, lines.indexOf("\n", throughLine.length))
    expect(cut).toBe(throughLine + nextLine.slice(0, Math.floor(nextLine.length / 2)))
    const reset = await get("lines", 7, { kind: "reset-mid-body", afterBytes: at })
    expect(reset.broken).toBe(true)
    expect(lines.startsWith(reset.text)).toBe(true)
    // Past the end: the last line is halved, or the whole body is cut one byte short.
    const last = (await get("lines", 1000, { kind: "cut-line", afterBytes: 1e7 })).text
    const lastStart = lines.lastIndexOf("\n", lines.length - 2) + 1
    expect(last).toBe(lines.slice(0, lastStart + Math.floor((lines.length - 1 - lastStart) / 2)))
    const json = (await get("json", 7, { kind: "cut-line", afterBytes: 100 })).text
    expect(json).toBe(bodies.json!.slice(0, Math.floor((bodies.json!.length - 1) / 2)))
    expect((await get("empty", 0, { kind: "cut-line" })).text).toBe('{"event":"')
  })
})
