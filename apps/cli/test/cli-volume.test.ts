import { createWriteStream, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { baseEnv, requireBundle, runMp, startFixture } from "./harness.js"
import { eventsTruthOf } from "./truth.js"

/**
 * Volume: a million-line import through the bundled CLI under a small memory budget, where a
 * load that held a day or a file in memory would fail. Asserts completion and exact counts,
 * never timing. The lines carry copies (a later `mp_processing_time_ms` must win), odd
 * `$insert_id` values and an integer above 2^53.
 */
const LINES = 1_000_000
const DAY = Date.UTC(2024, 3, 1)

let dir: string
let file: string
const expected = { rows: 0, copies: 0, ties: 0 }

const lineOf = (i: number, copy: boolean): string => {
  const odd = i % 50
  const id =
    odd === 0
      ? ""
      : odd === 1
        ? `,"$insert_id":null`
        : odd === 2
          ? `,"$insert_id":""`
          : `,"$insert_id":"id-${i}"`
  const nested = odd === 3 ? `,"ctx":{"$insert_id":"nested"}` : ""
  return `{"event":"E${i % 7}","properties":{"time":${DAY + (i % 86_400_000)},"distinct_id":"u-${i % 9973}"${id},"mp_processing_time_ms":${copy ? 2 : 1},"copy":${copy},"big":12345678901234567890,"city":"Zürich","n":${i}${nested}}}`
}

beforeAll(async () => {
  requireBundle()
  dir = mkdtempSync(join(tmpdir(), "mp-cli-volume-"))
  file = join(dir, "export.jsonl")
  const out = createWriteStream(file)
  const write = (text: string) =>
    out.write(text) ? Promise.resolve() : new Promise<void>((r) => out.once("drain", () => r()))
  let batch: Array<string> = []
  for (let i = 0; i < LINES; i++) {
    batch.push(lineOf(i, false))
    expected.rows++
    if (i % 100 === 10) {
      // a redelivered copy with a later processing time
      batch.push(lineOf(i, true))
      expected.copies++
    }
    if (i % 1000 === 520) {
      // a copy with the same processing time but other content: the later line wins
      batch.push(lineOf(i, false).replace('"copy":false', '"copy":false,"tie":true'))
      expected.ties++
    }
    if (batch.length >= 5000) {
      await write(`${batch.join("\n")}\n`)
      batch = []
    }
  }
  await write(`${batch.join("\n")}\n`)
  await new Promise<void>((resolve) => out.end(resolve))
}, 120_000)

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe("mp import at volume", () => {
  it("imports a million lines under a 192MB budget, exactly, keeping the later copy", async () => {
    const db = join(dir, "v.duckdb")
    const env = baseEnv(dir)
    const imported = await runMp(
      ["--db", db, "--no-progress", "--memory-limit", "192MB", "import", "events", file],
      { env, timeoutMs: 600_000 },
    )
    expect(imported.stderr).not.toMatch(/error/)
    expect(imported.code).toBe(0)
    const counted = await runMp(
      [
        "--db",
        db,
        "--format",
        "json",
        "query",
        `SELECT count(*)::INTEGER AS n,
           count(*) FILTER (WHERE (properties->>'$.copy')::BOOLEAN)::INTEGER AS later,
           count(*) FILTER (WHERE (properties->>'$.tie')::BOOLEAN)::INTEGER AS ties,
           count(DISTINCT insert_id)::INTEGER AS ids,
           count(*) FILTER (WHERE properties->>'$.big' = '12345678901234567890')::INTEGER AS big
         FROM events`,
      ],
      { env, timeoutMs: 120_000 },
    )
    expect(counted.code).toBe(0)
    expect(JSON.parse(counted.stdout)).toEqual([
      {
        n: expected.rows,
        later: expected.copies,
        ties: expected.ties,
        ids: expected.rows,
        big: expected.rows,
      },
    ])
  }, 600_000)
})

describe("mp fetch at volume", () => {
  it("fetches a day of about a million events under a 192MB budget, equal to the truth", async () => {
    // a one-day dataset serves about twice its nominal volume
    const fixture = await startFixture({
      seed: 21,
      startDate: "2024-04-02",
      days: 1,
      eventsPerDay: 480_000,
      profiles: 10,
      today: "2024-06-30",
      limits: false,
    })
    try {
      const db = join(fixture.dir, "day.duckdb")
      const fetched = await fixture.mp(
        [
          "--db",
          db,
          "--no-progress",
          "--memory-limit",
          "192MB",
          "fetch",
          "events",
          "--from",
          "2024-04-02",
          "--to",
          "2024-04-02",
        ],
        { timeoutMs: 600_000 },
      )
      expect(fetched.stderr).not.toMatch(/error/)
      expect(fetched.code).toBe(0)
      const truth = await fixture.sim.truth({ from: "2024-04-02", to: "2024-04-02" })
      expect(truth.count).toBeGreaterThan(800_000)
      const got = await eventsTruthOf((args) => fixture.mp(args, { timeoutMs: 300_000 }), db)
      expect(got).toEqual(truth)
    } finally {
      await fixture.close()
    }
  }, 900_000)
})

describe("mp import beyond its budget", () => {
  const writeLines = async (file: string, count: number, line: (i: number) => string) => {
    const out = createWriteStream(file)
    const write = (text: string) =>
      out.write(text) ? Promise.resolve() : new Promise<void>((r) => out.once("drain", () => r()))
    let batch: Array<string> = []
    for (let i = 0; i < count; i++) {
      batch.push(line(i))
      if (batch.length >= 5000) {
        await write(`${batch.join("\n")}\n`)
        batch = []
      }
    }
    await write(batch.length > 0 ? `${batch.join("\n")}\n` : "")
    await new Promise<void>((resolve) => out.end(resolve))
  }

  it("fails with MemoryLimitExceeded naming the option, leaves nothing, and loads with more", async () => {
    // a profiles table keeps its key index in memory: 600k long ids do not fit in 64MB
    const file = join(dir, "profiles.jsonl")
    await writeLines(file, 600_000, (i) =>
      JSON.stringify({
        $distinct_id: `user-${i}-${"x".repeat(40)}`,
        $properties: { $last_seen: "2024-04-01T00:00:00", name: `n${i}`, city: "Zürich" },
      }),
    )
    const db = join(dir, "profiles.duckdb")
    const env = baseEnv(dir)
    const small = await runMp(
      ["--db", db, "--no-progress", "--memory-limit", "64MB", "import", "profiles", file],
      { env, timeoutMs: 300_000 },
    )
    expect(small.code).toBe(1)
    expect(small.stderr).toMatch(/error \[MemoryLimitExceeded\].*--memory-limit/)
    const tables = await runMp(["--db", db, "--format", "json", "inspect", "tables"], { env })
    expect(JSON.parse(tables.stdout)).toEqual([])
    const large = await runMp(
      ["--db", db, "--no-progress", "--memory-limit", "1GB", "import", "profiles", file],
      { env, timeoutMs: 300_000 },
    )
    expect(large.stderr).not.toMatch(/error/)
    expect(large.code).toBe(0)
    const rows = await runMp(["--db", db, "query", "--scalar", "SELECT count(*) FROM profiles"], {
      env,
    })
    expect(rows.stdout.trim()).toBe("600000")
  }, 600_000)

  it("names the file and line of a line longer than DuckDB's reader takes", async () => {
    const file = join(dir, "huge-line.jsonl")
    const props: Record<string, unknown> = { time: DAY, distinct_id: "u", $insert_id: "i" }
    const block = "x".repeat(1 << 20)
    for (let i = 0; i < 40; i++) props[`p${i}`] = block
    await writeLines(file, 2, (i) =>
      i === 0 ? lineOf(1, false) : JSON.stringify({ event: "E", properties: props }),
    )
    const db = join(dir, "huge.duckdb")
    const env = baseEnv(dir)
    // a budget that holds the reader's grown buffer, so the line's own length is what fails
    const r = await runMp(
      ["--db", db, "--no-progress", "--memory-limit", "1GB", "import", "events", file],
      { env, timeoutMs: 120_000 },
    )
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      /error \[InvalidRecord\].*huge-line\.jsonl at line 2: is longer than the 32 MiB DuckDB reads in one line/,
    )
  }, 300_000)
})
