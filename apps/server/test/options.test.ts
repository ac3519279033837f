import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { parseOptions } from "../src/options.js"
import { cleanEnv, removeDir, requireBundle, SERVER, startServer, tempDir } from "./harness.js"

let dir: string

beforeAll(() => {
  requireBundle()
  dir = tempDir()
})

afterAll(() => removeDir(dir))

const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [SERVER, ...args], {
    env: cleanEnv(env),
    encoding: "utf8",
    timeout: 30_000,
  })

describe("mp-server options", () => {
  it("prints help and the version", () => {
    const help = run(["--help"])
    expect(help.status).toBe(0)
    expect(help.stdout).toContain("Usage: mp-server --db PATH")
    for (const flag of ["--host", "--port", "--token", "--query-timeout-ms", "--max-rows"]) {
      expect(help.stdout).toContain(flag)
    }
    const version = run(["--version"])
    expect(version.status).toBe(0)
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })

  it("refuses bad arguments with exit code 3 and one clear line", () => {
    for (const args of [
      [],
      ["--db", join(dir, "x.duckdb"), "--port", "http"],
      ["--db", join(dir, "x.duckdb"), "--port", "70000"],
      ["--db", join(dir, "x.duckdb"), "--max-rows", "0"],
      ["--db", join(dir, "x.duckdb"), "--token", "short"],
      ["--db", join(dir, "x.duckdb"), "--bogus"],
    ]) {
      const result = run(args)
      expect(result.status, args.join(" ")).toBe(3)
      expect(result.stderr.trim().split("\n")).toHaveLength(1)
      expect(result.stderr).toMatch(/^mp-server: /)
    }
  })

  it("reads MP_SERVER_TOKEN, and never prints a given token", async () => {
    const server = await startServer({
      db: join(dir, "env.duckdb"),
      env: cleanEnv({ MP_SERVER_TOKEN: "token-from-env-1234" }),
    })
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect((await fetch(`${server.url}/tables`)).status).toBe(401)
      const ok = await fetch(`${server.url}/tables`, {
        headers: { authorization: "Bearer token-from-env-1234" },
      })
      expect(ok.status).toBe(200)
    } finally {
      await server.stop()
    }
  })

  it("generates a token when none is given, and prints it once on the start line", async () => {
    const server = await startServer({ db: join(dir, "generated.duckdb") })
    try {
      expect(server.token.length).toBeGreaterThanOrEqual(32)
      expect((await server.call("/tables")).status).toBe(200)
    } finally {
      await server.stop()
    }
  })

  it("fails to start with a clear error when the database is held by another process", async () => {
    const db = join(dir, "locked.duckdb")
    const first = await startServer({ db })
    try {
      const second = run(["--db", db, "--port", "0"])
      expect(second.status).not.toBe(0)
      expect(second.stderr).toContain("DatabaseLocked")
    } finally {
      await first.stop()
    }
  })

  it("stops on SIGTERM while queries run, without being killed", async () => {
    const server = await startServer({ db: join(dir, "stop.duckdb") })
    const heavy =
      "SELECT count(*) FROM range(1000000) a, range(1000000) b WHERE a.range + b.range = -1"
    const running = [
      server.query({ sql: heavy }).catch(() => undefined),
      server.query({ sql: heavy, format: "ndjson" }).catch(() => undefined),
    ]
    await new Promise((r) => setTimeout(r, 500))
    await server.stop()
    expect(server.process.signalCode).not.toBe("SIGKILL")
    // a signal is the normal way to stop a server: a clean exit, not an error or an interrupt
    expect(server.process.exitCode).toBe(0)
    await Promise.all(running)
  })

  it("parses flags over environment over defaults", () => {
    const parsed = parseOptions(
      ["--port", "9000"],
      { MP_DB: "/data/x.duckdb", MP_SERVER_PORT: "1234", MP_MAX_ROWS: "5" },
      "1.0.0",
    )
    expect(parsed).toMatchObject({
      _tag: "Serve",
      options: { db: "/data/x.duckdb", port: 9000, maxRows: 5, host: "127.0.0.1" },
    })
  })
})
