import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { type Simulator, type SimulatorOptions, startSimulator } from "@mixpanel-data/mixpanel-sim"

export const MP = fileURLToPath(new URL("../dist/mp.js", import.meta.url))

/** The CLI is tested as the user runs it: the built bundle. */
export const requireBundle = (): void => {
  if (!existsSync(MP)) {
    throw new Error(`${MP} is missing: run "pnpm build" before the CLI tests.`)
  }
}

export interface RunResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly env?: Record<string, string | undefined>
  readonly input?: string | Buffer
  readonly timeoutMs?: number
}

/** A clean environment: no inherited MP_* variables, colours off, HOME in a temp folder. */
export const baseEnv = (home: string): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("MP_")) env[k] = v
  }
  return { ...env, HOME: home, NO_COLOR: "1" }
}

export const runMp = (args: ReadonlyArray<string>, options: RunOptions = {}): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MP, ...args], {
      env: options.env as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000)
    child.on("error", reject)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
    child.stdin.on("error", () => {})
    child.stdin.end(options.input ?? "")
  })

export interface Fixture {
  readonly dir: string
  readonly sim: Simulator
  /** Environment pointing `mp` at the simulator, with a private HOME. */
  readonly env: Record<string, string>
  readonly mp: (args: ReadonlyArray<string>, options?: RunOptions) => Promise<RunResult>
  readonly close: () => Promise<void>
}

export const simEnv = (sim: Simulator, home: string): Record<string, string> => ({
  ...baseEnv(home),
  MP_API_URL: sim.url,
  MP_USERNAME: sim.auth.username,
  MP_SECRET: sim.auth.secret,
  MP_PROJECT_ID: String(sim.auth.projectId),
})

export const SMALL: SimulatorOptions = {
  seed: 11,
  startDate: "2024-03-01",
  days: 4,
  users: 120,
  profiles: 300,
  today: "2024-06-01",
  limits: false,
}

export const startFixture = async (options: SimulatorOptions = SMALL): Promise<Fixture> => {
  requireBundle()
  const dir = mkdtempSync(join(tmpdir(), "mp-cli-test-"))
  const sim = await startSimulator({ port: 0, ...options })
  const env = simEnv(sim, dir)
  return {
    dir,
    sim,
    env,
    mp: (args, o = {}) => runMp(args, { ...o, env: { ...env, ...o.env } }),
    close: async () => {
      await sim.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The first line of stderr that reports an error. */
export const errorLine = (r: RunResult): string =>
  r.stderr.split("\n").find((l) => l.startsWith("error [")) ?? ""
