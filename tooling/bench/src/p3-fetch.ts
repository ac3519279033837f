import { spawn } from "node:child_process"
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { DuckDBInstance } from "@duckdb/node-api"
import { startSimulator } from "@mixpanel-data/mixpanel-sim"
import type { BenchOptions, BenchResult } from "./registry.js"

/**
 * p3: the whole `mp fetch events` (a real process: HTTP with gzip from the simulator, spooling,
 * loading, deduplicating, committing each day) in events per second, over DuckDB's own
 * `read_json` loading the same events from a local JSONL file into the same columns.
 */
export const name = "p3_fetch"

const MP = fileURLToPath(new URL("../../../apps/cli/dist/mp.js", import.meta.url))
const DAYS = 10
const FROM = "2024-04-01"
const TO = "2024-04-10"

const runMp = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, stdoutFile?: string) =>
  new Promise<number>((resolve, reject) => {
    const out = stdoutFile ? createWriteStream(stdoutFile) : undefined
    const child = spawn(process.execPath, [MP, ...args], {
      env,
      stdio: ["ignore", out ? "pipe" : "ignore", "pipe"],
    })
    let stderr = ""
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      stderr += d
    })
    if (out) child.stdout?.pipe(out)
    const started = performance.now()
    child.on("error", reject)
    child.on("close", (code) => {
      const elapsed = performance.now() - started
      const finish = () =>
        code === 0 ? resolve(elapsed) : reject(new Error(`mp ${args.join(" ")}: ${stderr}`))
      if (out) out.end(finish)
      else finish()
    })
  })

const nativeSql = (file: string) => `CREATE TABLE native AS
  SELECT
    event AS event_name,
    make_timestamp(CAST(CASE WHEN t > 100000000000 THEN t * 1000 ELSE t * 1000000 END AS BIGINT)) AS event_time,
    json_extract_string(properties, '$.distinct_id') AS distinct_id,
    json_extract_string(properties, '$."$insert_id"') AS insert_id,
    properties
  FROM (
    SELECT event, properties, CAST(json_extract_string(properties, '$.time') AS DOUBLE) AS t
    FROM read_json('${file}', format = 'newline_delimited',
                   columns = {event: 'VARCHAR', properties: 'JSON'}))`

export const run = async ({ events, log }: BenchOptions): Promise<BenchResult> => {
  if (!existsSync(MP)) throw new Error(`${MP} is missing: run "pnpm build" first`)
  // At least half a million events over ten days: the size a user fetches, not a warm-up.
  const total = Math.max(500_000, Math.min(events, 1_000_000))
  const dir = mkdtempSync(join(tmpdir(), "mp-bench-p3-"))
  // The simulator emits ~0.8 of the nominal volume once sampling and weekends are applied.
  const sim = await startSimulator({
    port: 0,
    seed: 3,
    startDate: FROM,
    days: DAYS,
    eventsPerDay: Math.round(total / DAYS / 0.8),
    profiles: 100,
    today: "2024-06-30",
    limits: false,
    // The first (untimed) fetch renders each day once; the timed one is served from memory, so
    // the simulator takes next to no CPU from the client being measured.
    prerender: true,
  })
  try {
    const env = {
      ...process.env,
      NO_COLOR: "1",
      MP_CONFIG_DIR: dir,
      MP_API_URL: sim.url,
      MP_USERNAME: sim.auth.username,
      MP_SECRET: sim.auth.secret,
      MP_PROJECT_ID: String(sim.auth.projectId),
    }
    const jsonl = join(dir, "events.jsonl")
    log(`p3: exporting the same events to ${jsonl}`)
    await runMp(["fetch", "events", "--from", FROM, "--to", TO, "--stdout"], env, jsonl)

    log("p3: mp fetch events")
    const db = join(dir, "fetch.duckdb")
    const fetchMs = await runMp(
      ["--db", db, "--no-progress", "fetch", "events", "--from", FROM, "--to", TO],
      env,
    )

    const native = await DuckDBInstance.create(join(dir, "native.duckdb"))
    const conn = await native.connect()
    let rows = 0
    let nativeMs = 0
    let lines = 0
    try {
      await conn.run(`ATTACH '${db}' AS fetched (READ_ONLY)`)
      rows = Number(
        (await conn.runAndReadAll("SELECT count(*) FROM fetched.events")).getRows()[0]![0],
      )
      await conn.run("DETACH fetched")
      log("p3: DuckDB read_json of the same lines")
      const started = performance.now()
      await conn.run(nativeSql(jsonl))
      nativeMs = performance.now() - started
      lines = Number((await conn.runAndReadAll("SELECT count(*) FROM native")).getRows()[0]![0])
    } finally {
      conn.closeSync()
      native.closeSync()
    }
    const fetchRate = rows / (fetchMs / 1000)
    const nativeRate = lines / (nativeMs / 1000)
    return {
      rows: [
        ["simulator", "prerendered: days served from memory, measuring the client"],
        ["events in the table (deduplicated)", rows],
        ["export lines", lines],
        ["JSONL size (MB)", Math.round(statSync(jsonl).size / 1e5) / 10],
        ["mp fetch events: seconds", fetchMs / 1000],
        ["mp fetch events: events/s", Math.round(fetchRate)],
        ["DuckDB read_json: seconds", nativeMs / 1000],
        ["DuckDB read_json: events/s", Math.round(nativeRate)],
        ["p3_fetch_vs_native (goal >= 0.8)", fetchRate / nativeRate],
      ],
      keys: { p3_fetch_vs_native: fetchRate / nativeRate },
    }
  } finally {
    await sim.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
