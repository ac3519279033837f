import { spawn } from "node:child_process"
import { once } from "node:events"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  INSTALL_TIMEOUT_MS,
  makeSandbox,
  type Packed,
  run,
  type Sandbox,
  shipped,
} from "./helpers.js"

// The bundled front ends as a user gets them: packed, installed by npm outside the workspace,
// and run through the commands npm links.
let sandbox: Sandbox
let project: string
let cli: Packed
let server: Packed
/** The database `mp` imports into and `mp-server` then serves. */
let db: string

beforeAll(async () => {
  sandbox = makeSandbox()
  cli = await sandbox.pack("@mixpanel-data/cli")
  server = await sandbox.pack("@mixpanel-data/server")
  project = await sandbox.install([cli.tarball, server.tarball])
  db = join(sandbox.root, "data.duckdb")
}, 2 * INSTALL_TIMEOUT_MS)

afterAll(() => sandbox?.remove())

const bin = (name: string) => join(project, "node_modules", ".bin", name)
const mp = (args: ReadonlyArray<string>) => run(bin("mp"), args, { cwd: project, env: sandbox.env })

/** Three Mixpanel export lines: two sign-ups and a purchase on 2024-03-01 (UTC). */
const writeExport = (path: string) => {
  const time = Date.UTC(2024, 2, 1) / 1000
  const lines = ["Sign Up", "Sign Up", "Purchase"].map((event, i) =>
    JSON.stringify({
      event,
      properties: { time: time + i, distinct_id: `user-${i}`, $insert_id: `insert-${i}` },
    }),
  )
  writeFileSync(path, `${lines.join("\n")}\n`)
}

describe("the packed CLI and server", () => {
  it("hold their bundles, and depend at runtime on DuckDB alone", () => {
    for (const [name, packed, command] of [
      ["@mixpanel-data/cli", cli, "mp"],
      ["@mixpanel-data/server", server, "mp-server"],
    ] as const) {
      expect(packed.files.filter((file) => !shipped(file))).toEqual([])
      const manifest = sandbox.manifest(name)
      expect(Object.keys(manifest.dependencies ?? {})).toEqual(["@duckdb/node-api"])
      expect(manifest.peerDependencies).toBeUndefined()
      expect(packed.files).toContain(manifest.bin?.[command])
    }
  })

  it(
    "runs the installed mp: --version, an import and a query",
    async () => {
      const version = await mp(["--version"])
      expect(version.stdout.trim()).toBe(sandbox.manifest("@mixpanel-data/cli").version)

      const file = join(sandbox.root, "export.jsonl")
      writeExport(file)
      await mp(["import", "events", file, "--db", db])
      const query = await mp([
        "query",
        "SELECT event_name, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
        "--db",
        db,
        "--format",
        "json",
      ])
      expect(JSON.parse(query.stdout)).toEqual([
        { event_name: "Purchase", n: 1 },
        { event_name: "Sign Up", n: 2 },
      ])
    },
    INSTALL_TIMEOUT_MS,
  )

  it(
    "runs the installed mp-server over the imported database",
    async () => {
      const child = spawn(bin("mp-server"), ["--db", db, "--port", "0"], {
        cwd: project,
        env: { ...sandbox.env, MP_SERVER_TOKEN: "install-check" },
        stdio: ["ignore", "pipe", "inherit"],
      })
      const exited = new Promise<number | null>((done) => child.once("exit", done))
      try {
        // the first line on stdout says where it listens
        const line = await Promise.race([
          once(createInterface({ input: child.stdout! }), "line").then(([text]) => String(text)),
          exited.then((code) => Promise.reject(new Error(`mp-server exited with ${code}`))),
        ])
        const { url } = JSON.parse(line) as { url: string }
        const response = await fetch(`${url}/query`, {
          method: "POST",
          headers: { authorization: "Bearer install-check", "content-type": "application/json" },
          body: JSON.stringify({ sql: "SELECT count(*)::INTEGER AS n FROM events" }),
        })
        expect(response.status).toBe(200)
        expect(((await response.json()) as { rows: unknown }).rows).toEqual([[3]])
      } finally {
        child.kill("SIGTERM")
      }
      expect(await exited).toBe(0)
    },
    INSTALL_TIMEOUT_MS,
  )
})
