import { spawn } from "node:child_process"
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/**
 * Every child process the bench starts goes through here: the bundled CLI as users run it, and
 * the bench's own child scripts. Each run gives the whole process's wall time and peak RSS.
 */

/** The bundled CLI, as `pnpm mp` and the installed `mp` run it. */
export const MP = fileURLToPath(new URL("../../../apps/cli/dist/mp.js", import.meta.url))

export const requireMp = () => {
  if (!existsSync(MP)) throw new Error(`${MP} is missing: run "pnpm build" first`)
}

export const tempDir = (label = "run") => mkdtempSync(join(tmpdir(), `mp-bench-${label}-`))
export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true })

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv
  /** The child's stdout goes straight into this file; otherwise it is returned. */
  readonly stdoutFile?: string
  /** Node flags before the script (`--max-old-space-size=…`). */
  readonly nodeFlags?: ReadonlyArray<string>
}

export interface RunResult {
  /** Wall time of the whole process, spawn to exit. */
  readonly seconds: number
  /** Peak resident memory of the process, MiB. */
  readonly peakMb: number
  /** Empty when `stdoutFile` is given. */
  readonly stdout: string
  /** The last 64 KiB. */
  readonly stderr: string
}

/**
 * Peak RSS: GNU time's `%M`, the kernel's own high-water mark (ru_maxrss) for the child, read
 * when it is reaped, so no short peak is missed. Where /usr/bin/time is absent, the child's
 * `VmHWM` in /proc/<pid>/status (the same high-water mark) polled every 20 ms until it exits,
 * which can miss growth in its last 20 ms.
 */
const GNU_TIME = "/usr/bin/time"
const POLL_MS = 20
const STDERR_KEPT = 1 << 16

const readHwmKb = (pid: number): number => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}

/** Runs `node [flags] script args…` to its end; rejects on a non-zero exit with its stderr. */
export const runNode = (
  script: string,
  args: ReadonlyArray<string>,
  options: RunOptions = {},
): Promise<RunResult> =>
  new Promise<RunResult>((resolve, reject) => {
    const node = [process.execPath, ...(options.nodeFlags ?? []), script, ...args]
    const timed = existsSync(GNU_TIME)
    const peakFile = timed ? join(tempDir("rss"), "peak") : undefined
    const command = peakFile ? [GNU_TIME, "-f", "%M", "-o", peakFile, ...node] : node
    const out = options.stdoutFile ? openSync(options.stdoutFile, "w") : undefined
    const started = performance.now()
    const child = spawn(command[0]!, command.slice(1), {
      env: options.env ?? process.env,
      stdio: ["ignore", out ?? "pipe", "pipe"],
    })
    if (out !== undefined) closeSync(out)
    let stdout = ""
    let stderr = ""
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      stdout += d
    })
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      stderr = (stderr + d).slice(-STDERR_KEPT)
    })
    let polledKb = 0
    const poll =
      timed || child.pid === undefined
        ? undefined
        : setInterval(() => {
            polledKb = Math.max(polledKb, readHwmKb(child.pid!))
          }, POLL_MS)
    /** The peak in KiB, once the process is gone; cleans up what measured it. */
    const peakKb = () => {
      if (poll) clearInterval(poll)
      if (peakFile === undefined) return polledKb
      // With a failed command GNU time writes a status line first; %M is the last line.
      const text = existsSync(peakFile) ? readFileSync(peakFile, "utf8").trim() : ""
      removeDir(join(peakFile, ".."))
      return Number(text.split("\n").at(-1))
    }
    child.on("error", (error) => {
      peakKb()
      reject(error)
    })
    child.on("close", (code, signal) => {
      const seconds = (performance.now() - started) / 1000
      const peakMb = peakKb() / 1024
      if (code === 0) resolve({ seconds, peakMb, stdout, stderr })
      else {
        const how = signal ? `signal ${signal}` : `exit ${code}`
        reject(new Error(`${node.slice(1).join(" ")}: ${how}\n${stderr}`))
      }
    })
  })

/** Runs the bundled CLI: `mp args…`. */
export const runMp = (args: ReadonlyArray<string>, options: RunOptions = {}) =>
  runNode(MP, args, options)

/**
 * The environment of a CLI run: no colour, a config folder of its own (`dir`), so nothing from
 * the user's `~/.mp` (accounts, a default database) takes part, and no `MP_MEMORY_LIMIT`: the
 * bench measures the default budget.
 */
export const mpEnv = (dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const { MP_MEMORY_LIMIT: _, MP_DB: __, ...inherited } = process.env
  return { ...inherited, NO_COLOR: "1", MP_CONFIG_DIR: dir, ...extra }
}

/** The environment of an `mp` child pointed at a simulator. */
export const simulatorEnv = (
  dir: string,
  sim: {
    readonly url: string
    readonly auth: { username: string; secret: string; projectId: number }
  },
): NodeJS.ProcessEnv =>
  mpEnv(dir, {
    MP_API_URL: sim.url,
    MP_USERNAME: sim.auth.username,
    MP_SECRET: sim.auth.secret,
    MP_PROJECT_ID: String(sim.auth.projectId),
  })

/** Rows of `table` in the database file `db`, asked of the CLI. */
export const tableRows = async (db: string, table: string, env: NodeJS.ProcessEnv) =>
  Number(
    (await runMp(["--db", db, "query", "--scalar", `SELECT count(*) FROM ${table}`], { env }))
      .stdout,
  )

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** A ratio as the JSON line carries it: three decimals. */
export const round = (x: number) => Math.round(x * 1000) / 1000
