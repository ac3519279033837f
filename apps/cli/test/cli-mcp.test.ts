import { spawn } from "node:child_process"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { DuckDBInstance } from "@duckdb/node-api"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { type Fixture, MP, SMALL, startFixture } from "./harness.js"

const FROM = SMALL.startDate!
const TO = "2024-03-02"

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
const fetchTools = ["fetch_events", "fetch_profiles"]

interface ToolAnswer {
  readonly isError: boolean
  readonly text: string
  readonly json: any
}

describe("mp mcp (an MCP server over stdio)", () => {
  let f: Fixture
  let db: string
  const clients: Array<Client> = []

  /** Starts `mp mcp` as an agent would and connects the SDK's own client to it. */
  const connect = async (extra: ReadonlyArray<string> = []) => {
    const client = new Client({ name: "mcp-test", version: "1.0.0" })
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MP, "mcp", "--db", db, ...extra],
      env: f.env,
      stderr: "pipe",
    })
    await client.connect(transport)
    clients.push(client)
    return client
  }

  const call = async (
    client: Client,
    name: string,
    args: Record<string, unknown> = {},
  ): Promise<ToolAnswer> => {
    const result = (await client.callTool({ name, arguments: args })) as {
      isError?: boolean
      content: Array<{ type: string; text: string }>
    }
    const text = result.content.map((c) => c.text).join("")
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { isError: result.isError === true, text, json }
  }

  beforeAll(async () => {
    f = await startFixture()
    db = join(f.dir, "mcp.duckdb")
    const r = await f.mp(["--db", db, "fetch", "events", "--from", FROM, "--to", TO])
    if (r.code !== 0) throw new Error(`fetch failed: ${r.stderr}`)
  })
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close()
  })
  afterAll(() => f.close())

  it("initializes and lists exactly the read tools, without the fetch tools", async () => {
    const client = await connect()
    expect(client.getServerVersion()?.name).toBe("mp")
    expect(client.getServerCapabilities()?.tools).toBeDefined()
    expect(client.getServerCapabilities()?.resources).toBeDefined()
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toEqual(readTools)
    for (const tool of tools) {
      expect(tool.description?.length ?? 0, tool.name).toBeGreaterThan(20)
      expect(tool.inputSchema.type).toBe("object")
    }
    const query = tools.find((t) => t.name === "query")!
    expect(query.inputSchema.required).toEqual(["sql"])
  })

  it("lists the tables and describes one", async () => {
    const client = await connect()
    const listed = await call(client, "list_tables")
    expect(listed.isError).toBe(false)
    expect(listed.json.tables).toEqual([
      expect.objectContaining({
        name: "events",
        kind: "table",
        type: "events",
        from: FROM,
        to: TO,
        complete: true,
      }),
    ])
    const described = await call(client, "describe_table", { table: "events" })
    expect(described.isError).toBe(false)
    expect(described.json.columns.map((c: { name: string }) => c.name)).toEqual([
      "event_name",
      "event_time",
      "distinct_id",
      "insert_id",
      "properties",
    ])
    expect(described.json.metadata).toMatchObject({ type: "events", from: FROM, to: TO })
    expect(described.json.propertyKeys.length).toBeGreaterThan(0)
    const first = described.json.propertyKeys[0]
    expect(first.rows).toBeGreaterThan(0)
    expect(first.examples.length).toBeGreaterThan(0)
    expect(described.json.sample.rows).toHaveLength(3)
    const missing = await call(client, "describe_table", { table: "nope" })
    expect(missing.isError).toBe(true)
    expect(missing.text).toContain("TableNotFound")
  })

  it("runs a query with a limit and says when it was truncated", async () => {
    const client = await connect()
    const count = await call(client, "query", { sql: "SELECT count(*) AS n FROM events" })
    expect(count.isError).toBe(false)
    expect(count.json).toMatchObject({ columns: ["n"], types: ["BIGINT"], truncated: false })
    const total = count.json.rows[0][0] as number
    expect(total).toBeGreaterThan(5)
    const cut = await call(client, "query", { sql: "SELECT * FROM events", limit: 5 })
    expect(cut.json.rows).toHaveLength(5)
    expect(cut.json.truncated).toBe(true)
    const whole = await call(client, "query", {
      sql: `SELECT * FROM events LIMIT ${total}`,
      limit: total,
    })
    expect(whole.json.rows).toHaveLength(total)
    expect(whole.json.truncated).toBe(false)
    const byDefault = await call(client, "query", { sql: "SELECT * FROM range(1000)" })
    expect(byDefault.json.rows).toHaveLength(200)
    expect(byDefault.json.truncated).toBe(true)
  })

  it("refuses statements the guard forbids, as tool errors that say why", async () => {
    const client = await connect()
    for (const [sql, why] of [
      ["COPY events TO '/tmp/mcp-copy.csv'", "COPY"],
      ["SELECT * FROM read_text('/etc/passwd')", "read_text"],
      [`ATTACH '${join(f.dir, "other.duckdb")}' AS other`, "ATTACH"],
      ["SELECT * FROM '/etc/passwd'", "/etc/passwd"],
      ["SELECT getenv('HOME')", "getenv"],
      ["SELECT 1; SELECT 2", "single statement"],
    ] as const) {
      const answer = await call(client, "query", { sql })
      expect(answer.isError, sql).toBe(true)
      expect(answer.text, sql).toContain("ForbiddenStatement")
      expect(answer.text, sql).toContain(why)
    }
  })

  it("answers bad SQL with DuckDB's message", async () => {
    const client = await connect()
    const syntax = await call(client, "query", { sql: "SELEC 1" })
    expect(syntax.isError).toBe(true)
    expect(syntax.text).toContain("Parser Error")
    const unknown = await call(client, "query", { sql: "SELECT * FROM no_such_table" })
    expect(unknown.isError).toBe(true)
    expect(unknown.text).toContain("Catalog Error")
    const invalid = await call(client, "query", { sql: "SELECT 1", limit: 0 })
    expect(invalid.isError).toBe(true)
  })

  it("gives a property's values with their counts", async () => {
    const client = await connect()
    const top = await call(client, "query", {
      sql: "SELECT event_name, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
    })
    const [event, events] = top.json.rows[0] as [string, number]
    const described = await call(client, "describe_table", { table: "events" })
    const property = described.json.propertyKeys[0].key as string
    const values = await call(client, "property_values", { event, property, limit: 1000 })
    expect(values.isError).toBe(false)
    expect(values.json).toMatchObject({ event, property, columns: ["value", "events", "users"] })
    const rows = values.json.rows as Array<[string | null, number, number]>
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.reduce((sum, [, n]) => sum + n, 0)).toBe(events)
    for (let i = 1; i < rows.length; i++) expect(rows[i]![1]).toBeLessThanOrEqual(rows[i - 1]![1])
  })

  it("runs a report as the local data says", async () => {
    const client = await connect()
    const active = await call(client, "report_active", { from: FROM, to: TO })
    expect(active.isError).toBe(false)
    const truth = await call(client, "query", {
      sql: "SELECT strftime(event_time, '%Y-%m-%d'), count(DISTINCT distinct_id) FROM events GROUP BY 1 ORDER BY 1",
    })
    expect(active.json).toEqual({ columns: ["date", "users"], rows: truth.json.rows })
    const bad = await call(client, "report_active", { from: TO, to: FROM })
    expect(bad.isError).toBe(true)
    expect(bad.text).toContain("InvalidReportOptions")
    const where = await call(client, "report_segmentation", {
      event: "anything",
      from: FROM,
      to: TO,
      where: "getenv('HOME') IS NOT NULL",
    })
    expect(where.isError).toBe(true)
    expect(where.text).toContain("ForbiddenStatement")
  })

  it("offers one resource per table", async () => {
    const client = await connect()
    const { resources } = await client.listResources()
    expect(resources.map((r) => r.uri)).toEqual(["mp://tables/events"])
    const read = await client.readResource({ uri: "mp://tables/events" })
    const content = read.contents[0] as { text: string; mimeType: string }
    expect(content.mimeType).toBe("application/json")
    const body = JSON.parse(content.text)
    expect(body.name).toBe("events")
    expect(body.columns.length).toBe(5)
    expect(body.metadata.type).toBe("events")
  })

  it("with --allow-fetch, lists the fetch tools and fetches with progress, in a locked store", async () => {
    const client = await connect(["--allow-fetch"])
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toEqual([...readTools, ...fetchTools])
    const from = "2024-03-03"
    const to = "2024-03-04"
    const truth = await f.sim.truth({ from, to })
    const progress: Array<{
      progress: number
      total?: number | undefined
      message?: string | undefined
    }> = []
    const result = (await client.callTool(
      { name: "fetch_events", arguments: { from, to, table: "later" } },
      undefined,
      { onprogress: (p) => progress.push(p) },
    )) as { isError?: boolean; content: Array<{ text: string }> }
    expect(result.isError, result.content[0]?.text).not.toBe(true)
    const summary = JSON.parse(result.content[0]!.text)
    expect(summary).toMatchObject({
      table: "later",
      rows: truth.count,
      tableRows: truth.count,
      daysFetched: 2,
      daysTotal: 2,
      complete: true,
    })
    expect(progress.length).toBeGreaterThanOrEqual(2)
    expect(progress.at(-1)).toMatchObject({ progress: 2, total: 2 })
    expect(progress.at(-1)?.message).toContain("days")
    const people = await call(client, "fetch_profiles", { table: "people" })
    expect(people.isError, people.text).toBe(false)
    expect(people.json).toMatchObject({
      table: "people",
      rows: (await f.sim.profileTruth()).count,
      complete: true,
    })
    const listed = await call(client, "list_tables")
    expect(listed.json.tables.map((t: { name: string }) => t.name)).toEqual([
      "events",
      "later",
      "people",
    ])
    const bad = await call(client, "fetch_events", { from: to, to: from })
    expect(bad.isError).toBe(true)
    expect(bad.text).toContain("InvalidField")
  })

  it("opens the database per call, and says so when a writer holds it", async () => {
    const client = await connect()
    expect((await call(client, "list_tables")).isError).toBe(false)
    // the store closes once idle: another process may now write to the file
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const writer = await DuckDBInstance.create(db)
    try {
      const locked = await call(client, "list_tables")
      expect(locked.isError).toBe(true)
      expect(locked.text).toContain("DatabaseLocked")
      expect(locked.text).toContain("try again when it ends")
    } finally {
      writer.closeSync()
    }
    expect((await call(client, "list_tables")).isError).toBe(false)
  })

  it("writes nothing but JSON-RPC messages on stdout", async () => {
    const child = spawn(process.execPath, [MP, "mcp", "--db", db], {
      env: f.env,
      stdio: ["pipe", "pipe", "pipe"],
    })
    const lines: Array<string> = []
    const reader = createInterface({ input: child.stdout })
    reader.on("line", (line) => lines.push(line))
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve))
    const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`)
    const answered = (id: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${id}`)), 30_000)
        const check = () => {
          if (lines.some((l) => l.includes(`"id":${id}`))) {
            clearTimeout(timer)
            resolve()
          } else setTimeout(check, 20)
        }
        check()
      })
    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "by-hand", version: "1" },
      },
    })
    await answered(1)
    send({ jsonrpc: "2.0", method: "notifications/initialized" })
    send({ jsonrpc: "2.0", id: 2, method: "tools/list" })
    send({
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: { name: "query", arguments: { sql: "SELECT count(*) FROM events" } },
    })
    send({
      jsonrpc: "2.0",
      id: 4,
      method: "tools/call",
      params: { name: "query", arguments: { sql: "COPY events TO 'x.csv'" } },
    })
    send({ jsonrpc: "2.0", id: 5, method: "no/such/method" })
    await Promise.all([answered(2), answered(3), answered(4), answered(5)])
    child.stdin.end()
    expect(await exited).toBe(0)
    expect(lines.length).toBe(5)
    for (const line of lines) {
      const message = JSON.parse(line)
      expect(message.jsonrpc, line).toBe("2.0")
      expect("result" in message || "error" in message, line).toBe(true)
    }
    const byId = new Map(lines.map((l) => JSON.parse(l)).map((m) => [m.id, m]))
    expect(byId.get(2).result.tools).toHaveLength(readTools.length)
    expect(byId.get(3).result.isError).toBeUndefined()
    expect(byId.get(4).result.isError).toBe(true)
    expect(byId.get(5).error.code).toBe(-32601)
  })
})
