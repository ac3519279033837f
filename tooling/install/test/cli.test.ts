import { spawn } from "node:child_process"
import { once } from "node:events"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { describe, expect, it } from "vitest"
import { INSTALL_TIMEOUT_MS, installForFile, run, shipped } from "./helpers.js"

// The bundled front ends as a user gets them: packed, installed by npm outside the workspace,
// and run through the commands npm links.
const installed = installForFile(["@mixpanel-data/cli", "@mixpanel-data/server"])
/** The database `mp` imports into and `mp-server` then serves. */
const db = () => join(installed.root, "data.duckdb")

const bin = (name: string) => join(installed.project, "node_modules", ".bin", name)
const mp = (args: ReadonlyArray<string>) =>
  run(bin("mp"), args, { cwd: installed.project, env: installed.env })

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
    for (const [name, command] of [
      ["@mixpanel-data/cli", "mp"],
      ["@mixpanel-data/server", "mp-server"],
    ] as const) {
      const packed = installed.packed(name)
      expect(packed.files.filter((file) => !shipped(file))).toEqual([])
      const manifest = installed.manifest(name)
      expect(Object.keys(manifest.dependencies ?? {})).toEqual(["@duckdb/node-api"])
      expect(manifest.peerDependencies).toBeUndefined()
      expect(packed.files).toContain(manifest.bin?.[command])
    }
  })

  it(
    "runs the installed mp: --version, an import and a query",
    async () => {
      const version = await mp(["--version"])
      expect(version.stdout.trim()).toBe(installed.manifest("@mixpanel-data/cli").version)

      const file = join(installed.root, "export.jsonl")
      writeExport(file)
      await mp(["import", "events", file, "--db", db()])
      const query = await mp([
        "query",
        "SELECT event_name, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
        "--db",
        db(),
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
      const child = spawn(bin("mp-server"), ["--db", db(), "--port", "0"], {
        cwd: installed.project,
        env: { ...installed.env, MP_SERVER_TOKEN: "install-check" },
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
