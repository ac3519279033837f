import { spawn } from "node:child_process"
import { mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { Part, PartResult } from "./part.js"
import { runMp } from "./process.js"

/**
 * R5: stores that must not outlive their process (an ephemeral database, the spill folder of
 * an in-memory one) and `mp fetch`'s spool leave no file in the temp folder after a close, an
 * uncaught error, an exit without closing, SIGINT, SIGTERM, and a SIGKILL followed by the
 * next run.
 */

const CORE = pathToFileURL(
  fileURLToPath(new URL("../../../packages/core/dist/index.js", import.meta.url)),
).href

/** A library user's process: opens a store, writes a table, then stops as told. */
const script = `import { openStore } from ${JSON.stringify(CORE)}
const [mode, how] = process.argv.slice(2)
const store = await openStore({ mode })
await store.createEventsTable(
  "t",
  [{ eventName: "E", time: new Date(0), distinctId: "u", insertId: "i", properties: { a: 1 } }],
  { type: "events", fetchedAt: new Date(), fromDate: null, toDate: null, filters: {}, source: { name: "test", params: {} } },
)
console.log("ready")
if (how === "close") { await store.close(); process.exit(0) }
if (how === "error") throw new Error("an error nobody catches")
if (how === "exit") process.exit(3)
setInterval(() => {}, 1000)
`

const STOPS = ["close", "error", "exit", "SIGINT", "SIGTERM", "SIGKILL"] as const
type Stop = (typeof STOPS)[number]

/** Runs the library script until it says ready, then stops it as `how` says. */
const runStore = (file: string, mode: string, how: Stop, env: NodeJS.ProcessEnv) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve, reject) => {
      const signal = how.startsWith("SIG") ? (how as NodeJS.Signals) : undefined
      const child = spawn(process.execPath, [file, mode, signal ? "wait" : how], {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      })
      let stderr = ""
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d
      })
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        if (signal && d.includes("ready")) child.kill(signal)
      })
      child.on("error", reject)
      child.on("close", (code, sig) => resolve({ code, signal: sig, stderr }))
    },
  )

export const cleanup = (): Part => ({
  id: "R5",
  title: "cleanup: nothing left in the temp folder, however the process stops",
  run: async (_sim, env, dir) => {
    mkdirSync(dir, { recursive: true })
    const file = join(dir, "store.mjs")
    writeFileSync(file, script)
    const rows: Array<ReadonlyArray<string | number>> = []
    const failures: Array<string> = []
    let total = 0
    let passed = 0
    const check = (what: string, how: Stop, tmp: string, extra: Array<string>) => {
      const left = readdirSync(tmp)
      const found = [...extra, ...(left.length > 0 ? [`left: ${left.join(", ")}`] : [])]
      total++
      if (found.length === 0) passed++
      else failures.push(`${what}, ${how}: ${found.join("; ")}`)
      return found.length === 0 ? "clean" : "LEFT FILES"
    }
    for (const mode of ["ephemeral", "memory"]) {
      const cells: Array<string> = []
      for (const how of STOPS) {
        const tmp = join(dir, `${mode}-${how}`)
        mkdirSync(tmp)
        const runEnv = { ...env, TMPDIR: tmp }
        const run = await runStore(file, mode, how, runEnv)
        const extra: Array<string> = []
        if (how === "close" && run.code !== 0) extra.push(`exit ${run.code}: ${run.stderr}`)
        if (how === "SIGKILL") {
          // the next store to open clears what the killed one could not
          const next = await runStore(file, mode, "close", runEnv)
          if (next.code !== 0) extra.push(`the next run failed: ${next.stderr}`)
        }
        cells.push(check(`${mode} store`, how, tmp, extra))
      }
      rows.push([`library, ${mode} store`, ...cells])
    }
    const cells: Array<string> = ["-", "-", "-"]
    for (const how of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
      const tmp = join(dir, `fetch-${how}`)
      mkdirSync(tmp)
      const runEnv = { ...env, TMPDIR: tmp }
      const db = join(dir, `fetch-${how}.duckdb`)
      const args = ["--db", db, "--no-progress", "fetch", "events", "--from", "2024-04-01"]
      const full = [...args, "--to", "2024-04-06"]
      // stopped once its first day is on disk, while later days still download
      const stopped = await new Promise<void>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [fileURLToPath(new URL("../../../apps/cli/dist/mp.js", import.meta.url)), ...full],
          {
            env: runEnv,
            stdio: "ignore",
          },
        )
        const poll = setInterval(() => {
          const holds = (f: string) => {
            try {
              return readdirSync(join(tmp, f)).length > 0
            } catch {
              return false
            }
          }
          if (readdirSync(tmp).some(holds)) {
            clearInterval(poll)
            child.kill(how)
          }
        }, 5)
        child.on("error", reject)
        child.on("close", () => {
          clearInterval(poll)
          resolve()
        })
      })
      await stopped
      const extra: Array<string> = []
      if (how === "SIGKILL") {
        const next = await runMp(full, runEnv)
        if (next.code !== 0) extra.push(`the next run failed: ${next.stderr.slice(-300)}`)
      }
      cells.push(check("mp fetch events", how, tmp, extra))
    }
    rows.push(["mp fetch events (spooled days)", ...cells])
    return {
      header: ["what", ...STOPS.map((s) => (s === "SIGKILL" ? "SIGKILL, then the next run" : s))],
      rows,
      total,
      passed,
      failures,
    } satisfies PartResult
  },
})
