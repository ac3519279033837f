import { spawn } from "node:child_process"
import { createWriteStream, mkdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { startSimulator } from "@mixpanel-data/mixpanel-sim"
import type { Part, PartResult } from "./part.js"
import { MP } from "./process.js"
import { read } from "./reader.js"

/**
 * R7: one day of many events fetched, and the same events imported from a file, each within
 * the default memory budget (no `--memory-limit`), each ending exact. The size is 500k events
 * by default (`--volume N`; CI's budget); the bench runs the same paths at 2M and 10M.
 */

const DAY = "2024-04-02"
const PEAK_LIMIT_MB = 768

/** Peak RSS of a child from /proc (VmHWM, its own high-water mark), polled while it runs. */
const hwmMb = (pid: number): number => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

const runMeasured = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, stdoutFile?: string) =>
  new Promise<{ code: number | null; stderr: string; peakMb: number; seconds: number }>(
    (resolve, reject) => {
      const started = performance.now()
      const child = spawn(process.execPath, [MP, ...args], {
        env,
        stdio: ["ignore", stdoutFile ? "pipe" : "ignore", "pipe"],
      })
      if (stdoutFile) child.stdout!.pipe(createWriteStream(stdoutFile))
      let stderr = ""
      child.stderr?.setEncoding("utf8").on("data", (d: string) => {
        stderr = (stderr + d).slice(-4096)
      })
      let peakMb = 0
      const poll = setInterval(() => {
        peakMb = Math.max(peakMb, hwmMb(child.pid!))
      }, 20)
      child.on("error", reject)
      child.on("exit", () => {
        peakMb = Math.max(peakMb, hwmMb(child.pid!))
      })
      child.on("close", (code) => {
        clearInterval(poll)
        resolve({ code, stderr, peakMb, seconds: (performance.now() - started) / 1000 })
      })
    },
  )

export const volume = (events: number): Part => ({
  id: "R7",
  title: `volume: one day of about ${events.toLocaleString("en-US")} events, fetched and imported`,
  run: async (_sim, baseEnv, dir) => {
    mkdirSync(dir, { recursive: true })
    const sim = await startSimulator({
      port: 0,
      seed: 9,
      startDate: DAY,
      days: 1,
      // this day of the simulator's calendar carries about twice its nominal daily volume
      eventsPerDay: Math.round(events / 2),
      profiles: 100,
      today: "2024-06-30",
      limits: false,
      prerender: false,
    })
    const env = {
      ...baseEnv,
      MP_API_URL: sim.url,
      MP_USERNAME: sim.auth.username,
      MP_SECRET: sim.auth.secret,
      MP_PROJECT_ID: String(sim.auth.projectId),
    }
    const rows: Array<ReadonlyArray<string | number>> = []
    const failures: Array<string> = []
    let passed = 0
    try {
      const truth = await sim.truth({ from: DAY, to: DAY, properties: true })
      const check = async (
        what: string,
        db: string,
        run: { code: number | null; stderr: string; peakMb: number; seconds: number },
      ) => {
        const problems: Array<string> = []
        if (run.code !== 0) problems.push(`exit ${run.code}: ${run.stderr.slice(-300)}`)
        else {
          const got = (await read(db)).days.get(DAY) ?? { count: 0, checksum: "" }
          if (got.count !== truth.count || got.checksum !== truth.checksum)
            problems.push(`${got.count} events, the truth ${truth.count} (or a different set)`)
        }
        if (run.peakMb >= PEAK_LIMIT_MB) problems.push(`peak RSS ${Math.round(run.peakMb)} MB`)
        rows.push([
          what,
          truth.count,
          Math.round(run.peakMb),
          run.seconds.toFixed(1),
          problems.length === 0 ? "yes" : "NO",
        ])
        if (problems.length === 0) passed++
        else failures.push(`${what}: ${problems.join("; ")}`)
      }
      const fetched = join(dir, "fetched.duckdb")
      await check(
        "mp fetch events, one day",
        fetched,
        await runMeasured(
          ["--db", fetched, "--no-progress", "fetch", "events", "--from", DAY, "--to", DAY],
          env,
        ),
      )
      const file = join(dir, "day.jsonl")
      const exported = await runMeasured(
        ["--no-progress", "fetch", "events", "--from", DAY, "--to", DAY, "--stdout"],
        env,
        file,
      )
      if (exported.code !== 0) throw new Error(`the export failed: ${exported.stderr}`)
      const imported = join(dir, "imported.duckdb")
      await check(
        "mp import events, the same lines",
        imported,
        await runMeasured(["--db", imported, "--no-progress", "import", "events", file], env),
      )
    } finally {
      await sim.close()
    }
    return {
      header: [
        "what",
        "events (deduplicated)",
        "peak RSS (MB)",
        "seconds",
        `exact, under ${PEAK_LIMIT_MB} MB`,
      ],
      rows,
      total: 2,
      passed,
      failures,
    } satisfies PartResult
  },
})
