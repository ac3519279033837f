import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { afterEach, beforeAll, describe, expect, it } from "vitest"
import { writeEvents } from "./fixtures.js"
import { postJob, serverForFile, waitForJob } from "./harness.js"

const served = serverForFile((dir) => {
  const imports = join(dir, "imports")
  mkdirSync(imports)
  writeEvents(imports, "events.jsonl", 300)
  return { args: ["--import-dir", imports, "--max-rows", "500"] }
})

const readTools = [
  "list_tables",
  "describe_table",
  "query",
  "property_values",
  "report_segmentation",
  "report_funnel",
  "report_retention",
  "report_frequency",
  "report_active",
]

beforeAll(async () => {
  const job = await postJob(served.server, {
    source: "file",
    kind: "events",
    table: "events",
    paths: ["events.jsonl"],
  })
  expect(job.status).toBe(202)
  const done = await waitForJob(served.server, job.body.id)
  expect(done.status, JSON.stringify(done.error)).toBe("succeeded")
})

const clients: Array<Client> = []
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close()
})

/** The SDK's own client over streamable HTTP, with the given Authorization header. */
const connect = async (authorization?: string) => {
  const client = new Client({ name: "mcp-http-test", version: "1.0.0" })
  const transport = new StreamableHTTPClientTransport(new URL(`${served.server.url}/mcp`), {
    requestInit: authorization === undefined ? {} : { headers: { authorization } },
  })
  await client.connect(transport)
  clients.push(client)
  return client
}

const call = async (client: Client, name: string, args: Record<string, unknown> = {}) => {
  const result = (await client.callTool({ name, arguments: args })) as {
    isError?: boolean
    content: Array<{ text: string }>
  }
  const text = result.content.map((c) => c.text).join("")
  return {
    isError: result.isError === true,
    text,
    json: result.isError ? undefined : JSON.parse(text),
  }
}

describe("/mcp (streamable HTTP)", () => {
  it("needs the bearer token", async () => {
    for (const authorization of [undefined, "Bearer wrong-token-value"]) {
      await expect(connect(authorization)).rejects.toThrow(/Unauthorized/)
      const response = await fetch(`${served.server.url}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      })
      expect(response.status).toBe(401)
      expect(((await response.json()) as { _tag: string })._tag).toBe("Unauthorized")
    }
  })

  it("lists the read tools and no fetch tools", async () => {
    const client = await connect(`Bearer ${served.server.token}`)
    expect(client.getServerVersion()?.name).toBe("mp-server")
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toEqual(readTools)
  })

  it("describes a table and runs a query, truncated at its limit", async () => {
    const client = await connect(`Bearer ${served.server.token}`)
    const listed = await call(client, "list_tables")
    expect(listed.json.tables).toEqual([
      expect.objectContaining({ name: "events", rows: 300, complete: true }),
    ])
    const described = await call(client, "describe_table", { table: "events" })
    expect(described.json.propertyKeys.map((k: { key: string }) => k.key)).toContain(
      "mp_country_code",
    )
    const country = described.json.propertyKeys.find(
      (k: { key: string }) => k.key === "mp_country_code",
    )
    expect(country.examples).toEqual(["FR", "US"])
    const counted = await call(client, "query", {
      sql: "SELECT event_name, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
    })
    expect(counted.json).toEqual({
      columns: ["event_name", "n"],
      types: ["VARCHAR", "BIGINT"],
      rows: [
        ["Page View", 100],
        ["Purchase", 100],
        ["Sign Up", 100],
      ],
      truncated: false,
    })
    const cut = await call(client, "query", { sql: "SELECT * FROM events", limit: 10 })
    expect(cut.json.rows).toHaveLength(10)
    expect(cut.json.truncated).toBe(true)
    // the server's row cap bounds the limit
    const over = await call(client, "query", { sql: "SELECT 1", limit: 501 })
    expect(over.isError).toBe(true)
  })

  it("refuses what the guard forbids and answers bad SQL with DuckDB's message", async () => {
    const client = await connect(`Bearer ${served.server.token}`)
    for (const sql of [
      "COPY events TO '/tmp/mcp-http.csv'",
      "SELECT * FROM read_text('/etc/passwd')",
      "ATTACH '/tmp/mcp-http.duckdb' AS other",
    ]) {
      const answer = await call(client, "query", { sql })
      expect(answer.isError, sql).toBe(true)
      expect(answer.text, sql).toContain("ForbiddenStatement")
    }
    const bad = await call(client, "query", { sql: "SELECT FROM WHERE" })
    expect(bad.isError).toBe(true)
    expect(bad.text).toContain("Parser Error")
  })

  it("answers property values, a report and a table resource", async () => {
    const client = await connect(`Bearer ${served.server.token}`)
    const values = await call(client, "property_values", {
      event: "Sign Up",
      property: "mp_country_code",
    })
    expect(values.json.rows).toEqual([
      ["FR", 50, 25],
      ["US", 50, 25],
    ])
    const active = await call(client, "report_active", { from: "2024-03-01", to: "2024-03-03" })
    expect(active.json).toEqual({
      columns: ["date", "users"],
      rows: [
        ["2024-03-01", 50],
        ["2024-03-02", 50],
        ["2024-03-03", 50],
      ],
    })
    const { resources } = await client.listResources()
    expect(resources.map((r) => r.uri)).toEqual(["mp://tables/events"])
    const read = await client.readResource({ uri: "mp://tables/events" })
    expect(JSON.parse((read.contents[0] as { text: string }).text).name).toBe("events")
  })
})
