import { existsSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { INSTALL_TIMEOUT_MS, installForFile, run, shipped } from "./helpers.js"

// The library as a user gets it: core and both sources packed, installed by npm outside the
// workspace beside the `effect` their peer dependency asks for, imported by plain Node and
// checked by TypeScript.
const EFFECT = "4.0.6"
const CORE = "@mixpanel-data/core"
const SOURCES = ["@mixpanel-data/file-source", "@mixpanel-data/mixpanel-source"]

const installed = installForFile([CORE, ...SOURCES], [`effect@${EFFECT}`])

/** Writes a script into the project, runs it with Node and parses what it prints. */
const node = async (name: string, script: string): Promise<unknown> => {
  writeFileSync(join(installed.project, name), script)
  const { stdout } = await run(process.execPath, [name], {
    cwd: installed.project,
    env: installed.env,
  })
  return JSON.parse(stdout)
}

/** Opens a store, loads three events through the Promise API and counts them by name. */
const STORE_SCRIPT = `import { openStore } from "@mixpanel-data/core"

const store = await openStore({ mode: "file", path: "library.duckdb" })
try {
  const events = ["Sign Up", "Sign Up", "Purchase"].map((eventName, i) => ({
    eventName,
    time: new Date(Date.UTC(2024, 2, 1, 0, i)),
    distinctId: "user-" + i,
    insertId: "insert-" + i,
    properties: { plan: "pro" },
  }))
  await store.createEventsTable("events", events, {
    type: "events",
    fetchedAt: new Date(),
    fromDate: "2024-03-01",
    toDate: "2024-03-01",
    filters: {},
    source: { name: "script", params: {} },
  })
  const result = await store.query(
    "SELECT event_name, count(*)::INTEGER AS n FROM events GROUP BY 1 ORDER BY 1",
  )
  console.log(JSON.stringify(result.rows))
} finally {
  await store.close()
}
`

/** Imports an export file through the file source with Effect, and counts what it stored. */
const SOURCE_SCRIPT = `import { writeFileSync } from "node:fs"
import { importEvents, Storage, storageLayer } from "@mixpanel-data/core"
import { makeFileSource } from "@mixpanel-data/file-source"
import { makeMixpanelSource } from "@mixpanel-data/mixpanel-source"
import { Effect } from "effect"

const time = Date.UTC(2024, 2, 1) / 1000
const lines = [0, 1, 2, 3].map((i) =>
  JSON.stringify({ event: "Page View", properties: { time: time + i, distinct_id: "u", $insert_id: "i" + i } }),
)
writeFileSync("export.jsonl", lines.join("\\n") + "\\n")

const program = Effect.gen(function* () {
  yield* importEvents({ source: makeFileSource({ paths: ["export.jsonl"] }), table: "events" })
  const storage = yield* Storage
  return yield* storage.queryScalar("SELECT count(*)::INTEGER FROM events")
})
const stored = await Effect.runPromise(program.pipe(Effect.provide(storageLayer({ mode: "memory" }))))
console.log(JSON.stringify({ stored, mixpanelSource: typeof makeMixpanelSource }))
`

/** Uses the three packages' types the way a TypeScript project does. */
const TYPED = `import { openStore, type QueryResult } from "@mixpanel-data/core"
import { type FileSourceConfig, makeFileSource } from "@mixpanel-data/file-source"
import { type MixpanelConfig, makeMixpanelSource } from "@mixpanel-data/mixpanel-source"

const store = await openStore({ mode: "memory" })
const result: QueryResult = await store.query("SELECT 1 AS one")
await store.close()
export const columns: ReadonlyArray<string> = result.columns.map((column) => column.name)
export const options: FileSourceConfig = { paths: ["export.jsonl"] }
export const sources = [makeFileSource(options), makeMixpanelSource] as const
export type Config = MixpanelConfig
`

describe("the packed library", () => {
  it("holds builds with types, and takes effect as a peer", () => {
    for (const name of [CORE, ...SOURCES]) {
      const { files } = installed.packed(name)
      expect(files.filter((file) => !shipped(file))).toEqual([])
      expect(files).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.d.ts"]))
      const manifest = installed.manifest(name)
      expect(manifest.exports?.["."]).toEqual({
        types: "./dist/index.d.ts",
        default: "./dist/index.js",
      })
      // the agent tools (`@mixpanel-data/core/mcp`) need the MCP SDK: optional, so a library
      // that never imports them installs neither it nor its dependencies
      const agentPeers = { "@modelcontextprotocol/sdk": "1.32.2", zod: "^4.6.7" }
      expect(manifest.peerDependencies).toEqual(
        name === CORE ? { effect: `^${EFFECT}`, ...agentPeers } : { effect: `^${EFFECT}` },
      )
      if (name === CORE) {
        expect(manifest.peerDependenciesMeta).toEqual({
          "@modelcontextprotocol/sdk": { optional: true },
          zod: { optional: true },
        })
        expect(existsSync(join(installed.project, "node_modules", "@modelcontextprotocol"))).toBe(
          false,
        )
      }
      const runtime = name === CORE ? "@duckdb/node-api" : CORE
      expect(Object.keys(manifest.dependencies ?? {})).toEqual([runtime])
      // one core and one effect for all: nothing nested under a package
      expect(existsSync(join(installed.project, "node_modules", name, "node_modules"))).toBe(false)
    }
  })

  it(
    "is imported by Node, opens a store and answers a query",
    async () => {
      expect(await node("store.mjs", STORE_SCRIPT)).toEqual([
        ["Purchase", 1],
        ["Sign Up", 2],
      ])
    },
    INSTALL_TIMEOUT_MS,
  )

  it(
    "imports a file through the file source with Effect",
    async () => {
      expect(await node("source.mjs", SOURCE_SCRIPT)).toEqual({
        stored: 4,
        mixpanelSource: "function",
      })
    },
    INSTALL_TIMEOUT_MS,
  )

  it(
    "gives TypeScript its declarations through the packages' exports",
    async () => {
      writeFileSync(join(installed.project, "typed.ts"), TYPED)
      writeFileSync(
        join(installed.project, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            target: "ES2022",
            module: "NodeNext",
            moduleResolution: "NodeNext",
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: [],
          },
          files: ["typed.ts"],
        }),
      )
      // the workspace's own compiler, so nothing more is downloaded
      const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
      await run(process.execPath, [tsc, "-p", "tsconfig.json"], {
        cwd: installed.project,
        env: installed.env,
      })
    },
    INSTALL_TIMEOUT_MS,
  )
})
