import { spawn } from "node:child_process"
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { DuckDBInstance } from "@duckdb/node-api"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { errorLine, type Fixture, MP, SMALL, startFixture } from "./harness.js"
import { eventsTruthOf } from "./truth.js"

const FROM = SMALL.startDate!
const TO = "2024-03-04"

describe("mp against the simulator", () => {
  let f: Fixture
  let db: string
  let truth: { count: number; checksum: string }
  const mp = (args: ReadonlyArray<string>, input?: string) =>
    f.mp(["--db", db, ...args], input !== undefined ? { input } : {})

  beforeAll(async () => {
    f = await startFixture()
    db = join(f.dir, "main.duckdb")
    truth = await f.sim.truth({ from: FROM, to: TO })
    const r = await mp(["fetch", "events", "--from", FROM, "--to", TO])
    if (r.code !== 0) throw new Error(`fetch failed: ${r.stderr}`)
    const p = await mp(["fetch", "profiles"])
    if (p.code !== 0) throw new Error(`profiles failed: ${p.stderr}`)
  })
  afterAll(() => f.close())

  it("fetch events ends with exactly the simulator's deduplicated set", async () => {
    expect(await eventsTruthOf(f.mp, db)).toEqual(truth)
  })

  it("fetch profiles stores every profile", async () => {
    const r = await mp(["query", "--scalar", "SELECT count(*) FROM profiles"])
    expect(r.code).toBe(0)
    expect(Number(r.stdout.trim())).toBe((await f.sim.profileTruth()).count)
  })

  it("query in every format", async () => {
    const sql = "SELECT event_name, count(*) AS n FROM events GROUP BY 1 ORDER BY 2 DESC, 1"
    const json = await mp(["--format", "json", "query", sql])
    expect(json.code).toBe(0)
    const rows = JSON.parse(json.stdout) as Array<{ event_name: string; n: number }>
    expect(rows.reduce((s, r) => s + r.n, 0)).toBe(truth.count)
    const jsonl = await mp(["--format", "jsonl", "query", sql])
    expect(
      jsonl.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual(rows)
    const csv = await mp(["--format", "csv", "query", sql])
    const lines = csv.stdout.trim().split("\r\n")
    expect(lines[0]).toBe("event_name,n")
    expect(lines.length).toBe(rows.length + 1)
    const table = await mp(["query", sql])
    expect(table.stdout).toContain("event_name")
    expect(table.stdout).toContain(`(${rows.length} rows)`)
    const scalar = await mp(["query", "--scalar", "SELECT count(*) FROM events"])
    expect(scalar.stdout).toBe(`${truth.count}\n`)
    const sqlFile = join(f.dir, "q.sql")
    writeFileSync(sqlFile, "SELECT 42 AS answer")
    expect((await mp(["--format", "csv", "query", "--file", sqlFile])).stdout).toBe(
      "answer\r\n42\r\n",
    )
    const nested = await mp(["--format", "csv", "query", "SELECT {'a': [1, 2]}::JSON AS j"])
    expect(nested.stdout).toBe('j\r\n"{""a"":[1,2]}"\r\n')
  })

  it("bad SQL is a QueryError on one line", async () => {
    const r = await mp(["query", "SELEC nonsense"])
    expect(r.code).toBe(1)
    expect(errorLine(r)).toMatch(/^error \[QueryError\]: /)
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
  })

  it("inspect tables, schema, metadata, sample, summarize, keys", async () => {
    const tables = JSON.parse((await mp(["--format", "json", "inspect", "tables"])).stdout)
    expect(tables).toEqual([
      expect.objectContaining({
        name: "events",
        type: "events",
        rows: truth.count,
        complete: true,
      }),
      expect.objectContaining({ name: "profiles", type: "profiles", complete: true }),
    ])
    const schema = JSON.parse(
      (await mp(["--format", "json", "inspect", "schema", "events"])).stdout,
    )
    expect(schema.map((c: { column: string }) => c.column)).toEqual([
      "event_name",
      "event_time",
      "distinct_id",
      "insert_id",
      "properties",
    ])
    const meta = JSON.parse(
      (await mp(["--format", "json", "inspect", "metadata", "events"])).stdout,
    )
    expect(meta[0]).toMatchObject({ type: "events", from_date: FROM, to_date: TO })
    expect(meta[0].source.name).toBe("mixpanel")
    const sample = await mp(["--format", "jsonl", "inspect", "sample", "events", "-n", "3"])
    expect(sample.stdout.trim().split("\n")).toHaveLength(3)
    const summary = JSON.parse(
      (await mp(["--format", "json", "inspect", "summarize", "events"])).stdout,
    )
    expect(summary.find((c: { column: string }) => c.column === "event_name").count).toBe(
      truth.count,
    )
    const keys = JSON.parse((await mp(["--format", "json", "inspect", "keys", "profiles"])).stdout)
    expect(keys.map((k: { key: string }) => k.key)).toContain("$email")
    const missing = await mp(["inspect", "schema", "nope"])
    expect(missing.code).toBe(4)
    expect(errorLine(missing)).toMatch(/TableNotFound/)
    const badName = await mp(["inspect", "schema", "bad-name!"])
    expect(badName.code).toBe(3)
  })

  it("inspect the project through the API", async () => {
    const events = JSON.parse((await mp(["--format", "json", "inspect", "events"])).stdout)
    expect(events.length).toBeGreaterThan(3)
    const name = events[0].event
    const props = await mp(["--format", "json", "inspect", "properties", name])
    expect(props.code).toBe(0)
    const prop = JSON.parse(props.stdout)[0].property
    const values = await mp(["--format", "json", "inspect", "values", name, prop])
    expect(values.code).toBe(0)
    expect(Array.isArray(JSON.parse(values.stdout))).toBe(true)
    for (const what of ["cohorts", "funnels"]) {
      const r = await mp(["--format", "json", "inspect", what])
      expect(r.code, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout).length).toBeGreaterThan(0)
    }
  })

  it("a second fetch of another range needs --append or --replace", async () => {
    const r = await mp(["fetch", "events", "--from", "2024-03-02", "--to", TO])
    expect(r.code).toBe(3)
    expect(errorLine(r)).toMatch(/TableExists/)
    // the same fetch again, already complete, says so and changes nothing
    const same = await mp(["fetch", "events", "--from", FROM, "--to", TO])
    expect(same.code).toBe(3)
    expect(errorLine(same)).toMatch(/complete.*--lookback/)
    expect(await eventsTruthOf(f.mp, db)).toEqual(truth)
  })

  it("--append adds a range without duplicates; --replace rebuilds", async () => {
    const t = "appended"
    expect((await mp(["fetch", "events", t, "--from", FROM, "--to", "2024-03-02"])).code).toBe(0)
    const a = await mp(["fetch", "events", t, "--from", "2024-03-02", "--to", TO, "--append"])
    expect(a.code, a.stderr).toBe(0)
    expect(await eventsTruthOf(f.mp, db, t)).toEqual(truth)
    const r = await mp(["fetch", "events", t, "--from", "2024-03-03", "--to", TO, "--replace"])
    expect(r.code, r.stderr).toBe(0)
    expect(await eventsTruthOf(f.mp, db, t)).toEqual(
      await f.sim.truth({ from: "2024-03-03", to: TO }),
    )
  })

  it("fetch with --events and --where filters", async () => {
    const where = 'properties["$os"]=="iOS"'
    const r = await mp([
      "fetch",
      "events",
      "ios_signups",
      "--from",
      FROM,
      "--to",
      TO,
      "--events",
      "Sign Up,Purchase",
      "--where",
      where,
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(await eventsTruthOf(f.mp, db, "ios_signups")).toEqual(
      await f.sim.truth({ from: FROM, to: TO, events: ["Sign Up", "Purchase"], where }),
    )
  })

  it("fetch profiles with filters and --stdout", async () => {
    const ids = await mp([
      "--format",
      "jsonl",
      "query",
      "SELECT distinct_id FROM profiles ORDER BY 1 LIMIT 2",
    ])
    const [a, b] = ids.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).distinct_id as string)
    const two = await mp([
      "fetch",
      "profiles",
      "two",
      "--distinct-id",
      a!,
      "--distinct-id",
      b!,
      "--output-properties",
      "$email",
    ])
    expect(two.code, two.stderr).toBe(0)
    const stored = JSON.parse(
      (
        await mp([
          "--format",
          "json",
          "query",
          "SELECT distinct_id, properties FROM two ORDER BY 1",
        ])
      ).stdout,
    )
    expect(stored.map((r: { distinct_id: string }) => r.distinct_id)).toEqual([a, b].sort())
    expect(Object.keys(stored[0].properties)).toEqual(["$email"])
    const out = await mp(["fetch", "profiles", "--stdout", "--distinct-id", a!])
    expect(out.code).toBe(0)
    expect(JSON.parse(out.stdout.trim())).toMatchObject({ $distinct_id: a })
  })

  it("fetch events --stdout pipes into import events -", async () => {
    const target = join(f.dir, "piped.duckdb")
    const code = await new Promise<number | null>((resolve, reject) => {
      const producer = spawn(
        process.execPath,
        [MP, "fetch", "events", "--from", FROM, "--to", TO, "--stdout"],
        { env: f.env, stdio: ["ignore", "pipe", "pipe"] },
      )
      const consumer = spawn(process.execPath, [MP, "--db", target, "import", "events", "-"], {
        env: f.env,
        stdio: ["pipe", "pipe", "pipe"],
      })
      producer.stdout.pipe(consumer.stdin)
      producer.on("error", reject)
      consumer.on("error", reject)
      consumer.on("close", resolve)
    })
    expect(code).toBe(0)
    expect(await eventsTruthOf(f.mp, target)).toEqual(truth)
  })

  it("import reports a bad line with its file and line number, and stores nothing", async () => {
    const good =
      '{"event":"A","properties":{"time":1709251200,"distinct_id":"u1","$insert_id":"i1"}}'
    const file = join(f.dir, "bad.jsonl")
    writeFileSync(file, `${good}\n${good.replace("i1", "i2")}\n{"event": oops}\n`)
    const target = join(f.dir, "import.duckdb")
    const r = await f.mp(["--db", target, "import", "events", file, "--table", "bad"])
    expect(r.code).toBe(1)
    expect(errorLine(r)).toMatch(/InvalidRecord.*bad\.jsonl at line 3: is not valid JSON/)
    const gz = join(f.dir, "ok.jsonl.gz")
    writeFileSync(gz, gzipSync(`${good}\n${good}\n`))
    const ok = await f.mp(["--db", target, "import", "events", gz])
    expect(ok.code, ok.stderr).toBe(0)
    const tables = JSON.parse(
      (await f.mp(["--db", target, "--format", "json", "inspect", "tables"])).stdout,
    )
    expect(tables.map((t: { name: string; rows: number }) => [t.name, t.rows])).toEqual([
      ["events", 1],
    ])
  })

  it("export to Parquet by day reads back in DuckDB with the same rows; csv and jsonl too", async () => {
    const out = join(f.dir, "parquet")
    const r = await mp(["export", "events", out, "--format", "parquet", "--partition-by", "day"])
    expect(r.code, r.stderr).toBe(0)
    expect(readdirSync(out).sort()).toEqual(
      ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"].map((d) => `event_date=${d}`),
    )
    const again = await mp([
      "export",
      "events",
      out,
      "--format",
      "parquet",
      "--partition-by",
      "day",
    ])
    expect(again.code).toBe(3)
    expect(
      (
        await mp([
          "export",
          "profiles",
          join(f.dir, "p2"),
          "--format",
          "parquet",
          "--partition-by",
          "day",
        ])
      ).code,
    ).toBe(3)

    const instance = await DuckDBInstance.create(":memory:")
    const conn = await instance.connect()
    try {
      const glob = `${out}/**/*.parquet`
      const read = await conn.runAndReadAll(
        `SELECT count(*)::INTEGER, count(DISTINCT (event_name, distinct_id, event_time, insert_id))::INTEGER,
                min(event_date)::VARCHAR, max(event_date)::VARCHAR
         FROM read_parquet('${glob}', hive_partitioning = true)`,
      )
      expect(read.getRows()[0]).toEqual([truth.count, truth.count, "2024-03-01", TO])
      await conn.run(`ATTACH '${db}' AS src (READ_ONLY)`)
      const diff = await conn.runAndReadAll(
        `SELECT count(*)::INTEGER FROM (
           SELECT event_name, event_time, distinct_id, insert_id, properties::VARCHAR FROM src.events
           EXCEPT ALL
           SELECT event_name, event_time, distinct_id, insert_id, properties::VARCHAR
           FROM read_parquet('${glob}', hive_partitioning = true))`,
      )
      expect(diff.getRows()[0]).toEqual([0])
    } finally {
      conn.closeSync()
      instance.closeSync()
    }

    const csv = join(f.dir, "events.csv")
    expect((await mp(["export", "events", csv])).code).toBe(0)
    const jsonl = join(f.dir, "events.jsonl")
    expect((await mp(["export", "events", jsonl, "--format", "jsonl"])).code).toBe(0)
    const csvLines = readFileSync(csv, "utf8").trim().split("\n")
    expect(csvLines[0]).toBe("event_name,event_time,distinct_id,insert_id,properties")
    expect(csvLines).toHaveLength(truth.count + 1)
    const first = JSON.parse(readFileSync(jsonl, "utf8").split("\n")[0]!)
    expect(first.event_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    expect(typeof first.properties).toBe("object")
  })

  it("drop refuses without --force off a terminal, then drops", async () => {
    const r = await mp(["drop", "two"])
    expect(r.code).toBe(3)
    expect((await mp(["drop", "two", "--force"])).code).toBe(0)
    expect((await mp(["drop", "two", "--force"])).code).toBe(4)
    const names = JSON.parse((await mp(["--format", "json", "inspect", "tables"])).stdout).map(
      (t: { name: string }) => t.name,
    )
    expect(names).not.toContain("two")
  })
})
