import { describe, expect, it } from "vitest"
import { serverForFile } from "./harness.js"

const served = serverForFile(["--query-timeout-ms", "1500"])

const protectedRoutes: ReadonlyArray<readonly [string, string]> = [
  ["GET", "/tables"],
  ["GET", "/tables/events"],
  ["GET", "/tables/events/sample?n=1"],
  ["POST", "/query"],
  ["POST", "/jobs"],
  ["GET", "/jobs"],
  ["GET", "/jobs/some-id"],
  ["GET", "/jobs/some-id/events"],
  ["DELETE", "/jobs/some-id"],
  ["GET", "/reports/segmentation?event=A&from=2024-03-01&to=2024-03-01"],
  ["GET", "/reports/funnel?steps=A&steps=B&from=2024-03-01&to=2024-03-01"],
  ["GET", "/reports/retention?born=A&from=2024-03-01&to=2024-03-01"],
  ["GET", "/reports/frequency?event=A&from=2024-03-01&to=2024-03-01&unit=day&subUnit=hour"],
  ["GET", "/reports/active?from=2024-03-01&to=2024-03-01"],
  ["POST", "/mcp"],
  ["GET", "/mcp"],
  ["GET", "/openapi.json"],
  ["GET", "/docs"],
  ["GET", "/no-such-route"],
]

describe("authentication", () => {
  it.each(protectedRoutes)("%s %s needs the token", async (method, path) => {
    const init = (headers: Record<string, string>): RequestInit => ({
      method,
      headers: { "content-type": "application/json", ...headers },
      ...(method === "POST" ? { body: JSON.stringify({ sql: "SELECT 1" }) } : {}),
    })
    for (const headers of [
      {},
      { authorization: "Bearer wrong-token-value" },
      { authorization: `Bearer ${served.server.token}x` },
      { authorization: `Basic ${Buffer.from(`user:${served.server.token}`).toString("base64")}` },
      { authorization: served.server.token },
    ]) {
      const response = await fetch(`${served.server.url}${path}`, init(headers))
      expect(response.status, JSON.stringify(headers)).toBe(401)
      const body: any = await response.json()
      expect(body._tag).toBe("Unauthorized")
      expect(typeof body.message).toBe("string")
      expect(JSON.stringify(body)).not.toContain(served.server.token)
    }
  })

  it("lets /health through without a token", async () => {
    expect((await fetch(`${served.server.url}/health`)).status).toBe(200)
  })

  it("accepts the right token", async () => {
    expect((await served.server.call("/tables")).status).toBe(200)
  })
})

/** Every statement that could write, touch files, reach the network or change settings. */
const forbidden: ReadonlyArray<readonly [string, string]> = [
  ["INSERT", "INSERT INTO t VALUES (1)"],
  ["UPDATE", "UPDATE t SET a = 1"],
  ["DELETE", "DELETE FROM t"],
  ["CREATE", "CREATE TABLE x AS SELECT 1"],
  ["CREATE VIEW", "CREATE VIEW v AS SELECT 1"],
  ["CREATE MACRO", "CREATE MACRO m(a) AS a"],
  ["DROP", "DROP TABLE t"],
  ["ALTER", "ALTER TABLE t ADD COLUMN b INT"],
  ["TRUNCATE", "TRUNCATE t"],
  ["COPY TO", "COPY (SELECT 1) TO '/tmp/out.csv'"],
  ["COPY FROM", "COPY t FROM '/etc/passwd'"],
  ["EXPORT", "EXPORT DATABASE '/tmp/dump'"],
  ["IMPORT", "IMPORT DATABASE '/tmp/dump'"],
  ["ATTACH", "ATTACH '/tmp/other.duckdb' AS other"],
  ["DETACH", "DETACH other"],
  ["USE", "USE other"],
  ["INSTALL", "INSTALL httpfs"],
  ["LOAD", "LOAD httpfs"],
  ["SET", "SET enable_external_access = true"],
  ["RESET", "RESET threads"],
  ["PRAGMA", "PRAGMA database_list"],
  ["CALL", "CALL pragma_version()"],
  ["CHECKPOINT", "CHECKPOINT"],
  ["VACUUM", "VACUUM"],
  ["BEGIN", "BEGIN TRANSACTION"],
  ["EXPLAIN", "EXPLAIN SELECT 1"],
  ["PIVOT", "PIVOT t ON a"],
  ["read_csv", "SELECT * FROM read_csv('/etc/passwd')"],
  ["read_csv_auto", "SELECT * FROM read_csv_auto('/etc/passwd')"],
  ["read_json", "SELECT * FROM read_json('/etc/hosts')"],
  ["read_json_objects", "SELECT * FROM read_json_objects('/etc/hosts')"],
  ["read_parquet", "SELECT * FROM read_parquet('/tmp/x.parquet')"],
  ["parquet_scan", "SELECT * FROM parquet_scan('/tmp/x.parquet')"],
  ["read_text", "SELECT * FROM read_text('/etc/passwd')"],
  ["read_blob", "SELECT * FROM read_blob('/etc/passwd')"],
  ["glob", "SELECT * FROM glob('/etc/*')"],
  ["file path", "SELECT * FROM '/etc/passwd'"],
  ["csv path", "FROM 'data.csv'"],
  ["http URL", "SELECT * FROM 'https://example.com/data.parquet'"],
  ["s3 URL", "SELECT * FROM read_parquet('s3://bucket/key.parquet')"],
  ["nested in subquery", "SELECT * FROM (SELECT * FROM read_text('/etc/passwd'))"],
  ["nested in CTE", "WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x"],
  ["in a scalar subquery", "SELECT (SELECT count(*) FROM read_text('/etc/passwd'))"],
  ["in a UNION", "SELECT 1 UNION ALL SELECT count(*) FROM glob('/etc/*')"],
  ["in a join", "SELECT * FROM range(1) r JOIN read_text('/etc/hosts') t ON true"],
  ["query()", "SELECT * FROM query('SELECT 1')"],
  ["query_table()", "SELECT * FROM query_table('t')"],
  ["getenv", "SELECT getenv('HOME')"],
  ["current_setting", "SELECT current_setting('threads')"],
  ["duckdb_settings", "SELECT * FROM duckdb_settings()"],
  ["duckdb_secrets", "SELECT * FROM duckdb_secrets()"],
  ["nextval", "SELECT nextval('seq')"],
  ["SUMMARIZE a file", "SUMMARIZE '/etc/passwd'"],
  ["DESCRIBE a file", "DESCRIBE '/etc/passwd'"],
  ["two statements", "SELECT 1; SELECT 2"],
  ["a SELECT then a DROP", "SELECT 1; DROP TABLE t"],
  ["comment then write", "/* read */ -- only\nINSERT INTO t VALUES (1)"],
  // the same calls disguised: case, quoting, a schema, siblings and other statements
  ["mixed case", "SELECT * FROM ReAd_TeXt('/etc/passwd')"],
  ["quoted name", "SELECT * FROM \"read_text\"('/etc/passwd')"],
  ["schema-qualified", "SELECT * FROM main.read_text('/etc/passwd')"],
  ["catalog-qualified", "SELECT * FROM system.main.read_text('/etc/passwd')"],
  ["read_ndjson", "SELECT * FROM read_ndjson('/etc/hosts')"],
  ["read_ndjson_objects", "SELECT * FROM read_ndjson_objects('/etc/hosts')"],
  ["sniff_csv", "SELECT * FROM sniff_csv('/etc/passwd')"],
  ["parquet_metadata", "SELECT * FROM parquet_metadata('/tmp/x.parquet')"],
  ["a scalar read", "SELECT (SELECT content FROM read_text('/etc/passwd'))"],
  ["a lateral read", "SELECT * FROM range(1), LATERAL read_text('/etc/passwd')"],
  ["CREATE SECRET", "CREATE SECRET s (TYPE s3, KEY_ID 'k', SECRET 'v')"],
  ["SET VARIABLE", "SET VARIABLE x = 1"],
  ["getvariable", "SELECT getvariable('x')"],
  ["quoted file path", 'SELECT * FROM "/etc/passwd"'],
  ["a file in a VALUES list", "SELECT * FROM (VALUES (1)) v, '/etc/passwd'"],
]

describe("the SQL guard", () => {
  it.each(forbidden)("refuses %s with 403 ForbiddenStatement", async (_name, sql) => {
    for (const format of ["json", "ndjson", "csv"]) {
      const { status, body } = await served.server.query({ sql, format })
      expect(status, `${sql} (${format}): ${JSON.stringify(body)}`).toBe(403)
      expect(body._tag).toBe("ForbiddenStatement")
      expect(body.reason.length).toBeGreaterThan(0)
    }
  })

  it("lets harmless queries through", async () => {
    for (const sql of [
      "SELECT 42 AS answer",
      "FROM range(3)",
      "SELECT * FROM generate_series(1, 3)",
      "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
      "SELECT unnest([1, 2, 3])",
      "SELECT table_name FROM duckdb_tables()",
      "SELECT * FROM information_schema.tables",
      "VALUES (1), (2)",
      "SELECT json_extract('{\"a\": 1}', '$.a') AS a",
      "SELECT 1; ",
    ]) {
      const { status, body } = await served.server.query({ sql })
      expect(status, `${sql}: ${JSON.stringify(body)}`).toBe(200)
    }
  })

  it("answers bad SQL with 400 QueryError and DuckDB's message", async () => {
    const syntax = await served.server.query({ sql: "SELEC 1" })
    expect(syntax.status).toBe(400)
    expect(syntax.body).toMatchObject({ _tag: "QueryError" })
    expect(syntax.body.message).toContain("syntax error")
    const missing = await served.server.query({ sql: "SELECT * FROM no_such_table" })
    expect(missing.status).toBe(400)
    expect(missing.body.message).toContain("no_such_table")
    const runtime = await served.server.query({ sql: "SELECT 'x'::INTEGER", format: "ndjson" })
    expect(runtime.status).toBe(400)
    expect(runtime.body._tag).toBe("QueryError")
    const empty = await served.server.query({ sql: "   " })
    expect(empty.status).toBe(400)
    // A statement that would close the subquery the stream is rendered through never parses.
    for (const format of ["ndjson", "csv"]) {
      const smuggled = await served.server.query({
        sql: "SELECT 1 AS a\n) AS q; DROP TABLE events; SELECT * FROM (SELECT 1",
        format,
      })
      expect(smuggled.status).toBe(400)
      expect(smuggled.body._tag).toBe("QueryError")
    }
  })

  it("cancels a query past the time limit with 408, and keeps answering", async () => {
    for (const format of ["json", "ndjson"]) {
      const { status, body } = await served.server.query({
        sql: "SELECT count(*) FROM range(1000000) a, range(1000000) b WHERE a.range + b.range = -1",
        format,
      })
      expect(status, JSON.stringify(body)).toBe(408)
      expect(body).toMatchObject({ _tag: "QueryTimeout", timeoutMs: 1500 })
    }
    const after = await served.server.query({ sql: "SELECT 1 AS one" })
    expect(after.body.rows).toEqual([[1]])
  })
})
