import { type ChildProcess, spawn } from "node:child_process"
import { createInterface } from "node:readline"

export interface ServerProcess {
  readonly url: string
  readonly token: string
  readonly child: ChildProcess
  readonly stop: () => Promise<void>
}

/** Starts the built `mp-server` on a random loopback port and reads its start line. */
export const startServerProcess = (
  bundle: string,
  db: string,
  env: Record<string, string>,
): Promise<ServerProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, "--db", db, "--port", "0"], {
      env,
      stdio: ["ignore", "pipe", "inherit"],
    })
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error("mp-server did not start within 30 s"))
    }, 30_000)
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`mp-server exited with ${code}`))
    })
    createInterface({ input: child.stdout! }).once("line", (line) => {
      clearTimeout(timer)
      child.removeAllListeners("exit")
      const start = JSON.parse(line) as { url: string; token: string }
      const exited = new Promise<void>((done) => child.once("exit", () => done()))
      resolve({
        url: start.url,
        token: start.token,
        child,
        stop: async () => {
          child.kill("SIGTERM")
          const killer = setTimeout(() => child.kill("SIGKILL"), 10_000)
          await exited
          clearTimeout(killer)
        },
      })
    })
  })
