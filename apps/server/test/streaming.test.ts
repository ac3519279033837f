import { describe, expect, it } from "vitest"
import { countLines, serverForFile } from "./harness.js"

const served = serverForFile()

const health = async () => (await served.server.json("/health")).body

const MB = 1024 * 1024

const post = (body: unknown) =>
  served.server.call("/query", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  })

describe("streamed answers", () => {
  it("streams SELECT range FROM range(1000000) as ndjson, row for row, in bounded memory", async () => {
    await countLines(await post({ sql: "SELECT range FROM range(10000)", format: "ndjson" }))
    const before = await health()
    const response = await post({ sql: "SELECT range FROM range(1000000)", format: "ndjson" })
    expect(response.status).toBe(200)
    let inOrder = true
    const { lines } = await countLines(response, (line, i) => {
      if (line !== `{"range":${i}}`) inOrder = false
    })
    expect(lines).toBe(1_000_000)
    expect(inOrder).toBe(true)
    const after = await health()
    expect(after.memory.peakRssBytes - before.memory.peakRssBytes).toBeLessThan(100 * MB)
  })

  it("keeps memory flat when the answer is far larger than the bound (~125 MB)", async () => {
    const before = await health()
    const response = await post({
      sql: "SELECT range, repeat('x', 100) AS pad FROM range(1000000)",
      format: "ndjson",
    })
    let inOrder = true
    const { lines, bytes } = await countLines(response, (line, i) => {
      if (!line.startsWith(`{"range":${i},`)) inOrder = false
    })
    expect(lines).toBe(1_000_000)
    expect(inOrder).toBe(true)
    expect(bytes).toBeGreaterThan(120 * MB)
    const after = await health()
    // Holding the answer would need all of it (twice: text and bytes); a stream needs a few chunks.
    expect(after.memory.peakRssBytes - before.memory.peakRssBytes).toBeLessThan(100 * MB)
  })

  it("streams CSV with a limit", async () => {
    const csv = await post({ sql: "SELECT range FROM range(200000)", format: "csv", limit: 150000 })
    const counted = await countLines(csv)
    expect(counted.lines).toBe(150_001)
  })

  it("drops the query when the client goes away, and keeps serving", async () => {
    const controller = new AbortController()
    const response = await served.server.call("/query", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sql: "SELECT range FROM range(100000000)", format: "ndjson" }),
      signal: controller.signal,
    })
    const reader = response.body!.getReader()
    await reader.read()
    controller.abort()
    await reader.read().catch(() => undefined)
    const { status, body } = await served.server.query({ sql: "SELECT 7 AS n" })
    expect(status).toBe(200)
    expect(body.rows).toEqual([[7]])
  })
})
