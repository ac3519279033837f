import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll } from "vitest"

export const SERVER = fileURLToPath(new URL("../dist/mp-server.js", import.meta.url))

export const requireBundle = (): void => {
  if (!existsSync(SERVER)) {
    throw new Error(`${SERVER} is missing: run "pnpm build" before the server tests.`)
  }
}

/** The environment without inherited MP_* variables. */
export const cleanEnv = (extra: Record<string, string> = {}): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("MP_")) env[k] = v
  }
  return { ...env, ...extra }
}

export const tempDir = (prefix = "mp-server-test-"): string => mkdtempSync(join(tmpdir(), prefix))

export interface RunningServer {
  readonly url: string
  readonly token: string
  readonly process: ChildProcess
  readonly stderr: () => string
  /** Fetch with the bearer token. */
  readonly call: (path: string, init?: RequestInit) => Promise<Response>
  readonly json: <T = any>(path: string, init?: RequestInit) => Promise<{ status: number; body: T }>
  readonly query: (body: unknown) => Promise<{ status: number; body: any }>
  readonly stop: () => Promise<void>
}

export interface StartOptions {
  readonly db: string
  readonly args?: ReadonlyArray<string>
  readonly env?: Record<string, string>
}

/** Starts the built server on a random port and reads its start line. */
export const startServer = (options: StartOptions): Promise<RunningServer> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [SERVER, "--db", options.db, "--port", "0", ...(options.args ?? [])],
      { env: options.env ?? cleanEnv(), stdio: ["ignore", "pipe", "pipe"] },
    )
    let stderr = ""
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      stderr += d
    })
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`server did not start in time: ${stderr}`))
    }, 30_000)
    child.on("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}: ${stderr}`))
    })
    const lines = createInterface({ input: child.stdout! })
    lines.once("line", (line) => {
      clearTimeout(timer)
      child.removeAllListeners("exit")
      const start = JSON.parse(line) as { url: string; token?: string }
      const token = start.token ?? options.env?.MP_SERVER_TOKEN ?? ""
      const call = (path: string, init: RequestInit = {}) =>
        fetch(`${start.url}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
        })
      const json = async (path: string, init?: RequestInit) => {
        const response = await call(path, init)
        const text = await response.text()
        return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
      }
      const stopped = new Promise<void>((done) => child.once("exit", () => done()))
      resolve({
        url: start.url,
        token,
        process: child,
        stderr: () => stderr,
        call,
        json,
        query: (body) =>
          json("/query", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
          }),
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
          const killer = setTimeout(() => child.kill("SIGKILL"), 10_000)
          await stopped
          clearTimeout(killer)
        },
      })
    })
  })

export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true })

export interface ServerFixture {
  /** The temporary folder that holds the database. */
  readonly dir: string
  readonly server: RunningServer
}

/**
 * A test file's server on a fresh database in a temporary folder: started before the file's
 * tests, stopped and removed after them. Read its fields inside the tests.
 */
export const serverForFile = (
  given: ReadonlyArray<string> | ((dir: string) => Omit<StartOptions, "db">) = [],
): ServerFixture => {
  const fixture: { dir: string; server: RunningServer | undefined } = {
    dir: "",
    server: undefined,
  }
  beforeAll(async () => {
    requireBundle()
    fixture.dir = tempDir()
    const options = typeof given === "function" ? given(fixture.dir) : { args: given }
    fixture.server = await startServer({ db: join(fixture.dir, "data.duckdb"), ...options })
  })
  afterAll(async () => {
    await fixture.server?.stop()
    if (fixture.dir) removeDir(fixture.dir)
  })
  return {
    get dir() {
      return fixture.dir
    },
    get server() {
      if (fixture.server === undefined) throw new Error("the server starts before the tests")
      return fixture.server
    },
  }
}

/** Reads a streamed body chunk by chunk, counting lines, never holding it whole. */
export const countLines = async (
  response: Response,
  onLine?: (line: string, index: number) => void,
): Promise<{ lines: number; bytes: number }> => {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let carry = ""
  let lines = 0
  let bytes = 0
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    bytes += value.byteLength
    const text = carry + decoder.decode(value, { stream: true })
    const parts = text.split("\n")
    carry = parts.pop() ?? ""
    for (const line of parts) {
      onLine?.(line, lines)
      lines++
    }
  }
  if (carry.length > 0) {
    onLine?.(carry, lines)
    lines++
  }
  return { lines, bytes }
}

export interface SseMessage {
  readonly event: string
  readonly data: any
}

/** Reads server-sent events until the stream ends. */
export const readSse = async (response: Response): Promise<ReadonlyArray<SseMessage>> => {
  const messages: Array<SseMessage> = []
  let event = "message"
  let data = ""
  await countLines(response, (line) => {
    if (line === "") {
      if (data !== "") messages.push({ event, data: JSON.parse(data) })
      event = "message"
      data = ""
    } else if (line.startsWith("event: ")) event = line.slice(7)
    else if (line.startsWith("data: ")) data += line.slice(6)
  })
  return messages
}

/** Polls a job until it is finished (bounded). */
export const waitForJob = async (
  server: RunningServer,
  id: string,
  until: (job: any) => boolean = (job) => ["succeeded", "failed", "cancelled"].includes(job.status),
  attempts = 600,
): Promise<any> => {
  for (let i = 0; i < attempts; i++) {
    const { body } = await server.json(`/jobs/${id}`)
    if (until(body)) return body
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`job ${id} did not reach the expected state`)
}

export const postJob = (server: RunningServer, request: unknown) =>
  server.json("/jobs", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  })

/**
 * A server for a test file (see `serverForFile`), `options` may put files in its folder first.
 */
export const useServer = (
  options: (dir: string) => Omit<StartOptions, "db"> = () => ({}),
): (() => RunningServer) => {
  const fixture = serverForFile(options)
  return () => fixture.server
}
