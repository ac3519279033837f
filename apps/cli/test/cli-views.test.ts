import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { baseEnv, errorLine, requireBundle, runMp } from "./harness.js"

const START = Date.UTC(2024, 2, 1) / 1000

/** Mixpanel export lines; `big` is written as its digits, beyond what a double holds. */
const exportLines = (from: number, count: number, extra = ""): string =>
  Array.from(
    { length: count },
    (_, i) =>
      `{"event":"E${i % 3}","properties":{"time":${START + from + i},"distinct_id":"u${i % 5}",` +
      `"$insert_id":"i${from + i}","$os":"${i % 2 ? "iOS" : "Android"}","mp_country_code":"FR",` +
      `"amount":${i},"price":${i}.5,"big":9007199254740993,"tags":["a"]${extra}}}`,
  ).join("\n")

describe("mp view", () => {
  let dir: string
  let db: string
  const mp = (args: ReadonlyArray<string>) => runMp(["--db", db, ...args], { env: baseEnv(dir) })
  const json = async (args: ReadonlyArray<string>) => {
    const r = await mp(["--format", "json", ...args])
    expect(r.code, r.stderr).toBe(0)
    return JSON.parse(r.stdout)
  }
  const tables = async () =>
    (await json(["inspect", "tables"])).map((t: { name: string; kind: string; rows: number }) => [
      t.name,
      t.kind,
      t.rows,
    ])

  beforeAll(async () => {
    requireBundle()
    dir = mkdtempSync(join(tmpdir(), "mp-views-"))
    db = join(dir, "views.duckdb")
    writeFileSync(join(dir, "first.jsonl"), `${exportLines(0, 20)}\n`)
    writeFileSync(join(dir, "second.jsonl"), `${exportLines(100, 4, ',"plan":"pro"')}\n`)
    const r = await mp(["import", "events", join(dir, "first.jsonl")])
    if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("creates events_typed: typed columns, listed as a view, queried with quoted names", async () => {
    const created = await mp(["--format", "json", "view", "create", "events"])
    expect(created.code, created.stderr).toBe(0)
    expect(created.stderr).toContain('Created view "events_typed" over "events"')
    const columns = Object.fromEntries(
      JSON.parse(created.stdout).map((c: { column: string; type: string }) => [c.column, c.type]),
    )
    expect(columns).toMatchObject({
      $os: "VARCHAR",
      mp_country_code: "VARCHAR",
      amount: "BIGINT",
      price: "DOUBLE",
      big: "BIGINT",
      tags: "JSON",
    })
    expect(await tables()).toEqual([
      ["events", "table", 20],
      ["events_typed", "view", 20],
    ])
    const os = await mp([
      "--format",
      "csv",
      "query",
      'SELECT "$os", count(*) AS n FROM events_typed GROUP BY 1 ORDER BY 1',
    ])
    expect(os.code, os.stderr).toBe(0)
    expect(os.stdout.trim().split("\r\n")).toEqual(["$os,n", "Android,10", "iOS,10"])
    const big = await mp([
      "--format",
      "jsonl",
      "query",
      "SELECT big, amount + 1 AS next, price * 2 AS twice FROM events_typed ORDER BY amount LIMIT 1",
    ])
    expect(big.code, big.stderr).toBe(0)
    expect(big.stdout).toContain("9007199254740993")
    expect(JSON.parse(big.stdout)).toMatchObject({ next: 1, twice: 1 })
    const schema = await json(["inspect", "schema", "events_typed"])
    expect(schema.map((c: { column: string }) => c.column).slice(0, 6)).toEqual([
      "event_name",
      "event_time",
      "distinct_id",
      "insert_id",
      "properties",
      expect.any(String),
    ])
    const metadata = await json(["inspect", "metadata", "events_typed"])
    expect(metadata[0].source).toEqual({ name: "view", params: { table: "events", top: 50 } })
  })

  it("refuses a taken name, a missing table, a bad name or --top", async () => {
    const again = await mp(["view", "create", "events"])
    expect(again.code).toBe(3)
    expect(errorLine(again)).toMatch(/TableExists.*"events_typed" already exists/)
    const missing = await mp(["view", "create", "nope"])
    expect(missing.code).toBe(4)
    expect(errorLine(missing)).toMatch(/TableNotFound/)
    const bad = await mp(["view", "create", "events", "--name", "bad-name"])
    expect(bad.code).toBe(3)
    expect(errorLine(bad)).toMatch(/InvalidTableName/)
    const top = await mp(["view", "create", "events", "--top", "0"])
    expect(top.code).toBe(3)
    expect(errorLine(top)).toMatch(/BadArguments.*--top/)
    const noDb = await runMp(["--db", join(dir, "none.duckdb"), "view", "create", "events"], {
      env: baseEnv(dir),
    })
    expect(noDb.code).toBe(4)
    expect(errorLine(noDb)).toMatch(/DatabaseNotFound/)
  })

  it("refresh picks up keys that arrived since; drop removes the view only", async () => {
    const appended = await mp(["import", "events", join(dir, "second.jsonl"), "--append"])
    expect(appended.code, appended.stderr).toBe(0)
    const stale = await mp(["query", "SELECT plan FROM events_typed"])
    expect(stale.code).toBe(1)
    const refreshed = await json(["view", "refresh", "events_typed"])
    expect(refreshed.find((c: { key: string }) => c.key === "plan")).toMatchObject({
      column: "plan",
      type: "VARCHAR",
      rows: 4,
    })
    const plans = await mp(["--format", "csv", "query", "SELECT count(plan) FROM events_typed"])
    expect(plans.stdout.trim().split("\r\n")[1]).toBe("4")

    const dropped = await mp(["view", "drop", "events_typed"])
    expect(dropped.code, dropped.stderr).toBe(0)
    expect(await tables()).toEqual([["events", "table", 24]])
    const twice = await mp(["view", "drop", "events_typed"])
    expect(twice.code).toBe(4)
    expect(errorLine(twice)).toMatch(/View "events_typed" does not exist/)
    const refreshMissing = await mp(["view", "refresh", "events_typed"])
    expect(refreshMissing.code).toBe(4)
  })

  it("mp drop drops a view alone, and a table with its views", async () => {
    for (const name of ["first_view", "second_view"]) {
      const r = await mp(["view", "create", "events", "--name", name, "--top", "2"])
      expect(r.code, r.stderr).toBe(0)
    }
    const one = await mp(["drop", "first_view", "--force"])
    expect(one.code, one.stderr).toBe(0)
    expect(one.stderr).toContain('Dropped view "first_view".')
    expect(await tables()).toEqual([
      ["events", "table", 24],
      ["second_view", "view", 24],
    ])
    const all = await mp(["drop", "events", "--force"])
    expect(all.code, all.stderr).toBe(0)
    expect(all.stderr).toContain('Dropped "events" and its view "second_view".')
    expect(await tables()).toEqual([])
  })
})
