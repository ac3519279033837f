import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

/** The bundled CLI, as users run it. */
export const MP = fileURLToPath(new URL("../../../apps/cli/dist/mp.js", import.meta.url))

export const requireMp = () => {
  if (!existsSync(MP)) throw new Error(`${MP} is missing: run "pnpm build" first`)
}

export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

/**
 * Runs `mp args…` to its end, with `stdin` as its input; with `killAfterMs`, sends it SIGKILL
 * that long after it started.
 */
export const runMp = (
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  options: { readonly killAfterMs?: number; readonly stdin?: string } = {},
): Promise<Exit> =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const { killAfterMs, stdin } = options
    const child = spawn(process.execPath, [MP, ...args], { env, stdio: ["pipe", "pipe", "pipe"] })
    child.stdin.end(stdin ?? "")
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr = (stderr + d).slice(-65_536)
    })
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfterMs)
    child.on("error", reject)
    child.on("close", (code, signal) => {
      if (timer !== undefined) clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started })
    })
  })
