import { writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  INSTALL_TIMEOUT_MS,
  makeSandbox,
  type Packed,
  run,
  type Sandbox,
  shipped,
} from "./helpers.js"

// The library as a user gets it: packed, installed by npm outside the workspace beside the
// `effect` its peer dependency asks for, imported by plain Node and checked by TypeScript.
const EFFECT = "4.0.6"

let sandbox: Sandbox
let project: string
let core: Packed

beforeAll(async () => {
  sandbox = makeSandbox()
  core = await sandbox.pack("@mixpanel-data/core")
  project = await sandbox.install([`effect@${EFFECT}`, core.tarball])
}, 2 * INSTALL_TIMEOUT_MS)

afterAll(() => sandbox?.remove())

/** Opens a store, loads three events through the Promise API and counts them by name. */
const SCRIPT = `import { openStore } from "@mixpanel-data/core"

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

describe("the packed library", () => {
  it("holds its build with types, and takes effect as a peer", () => {
    expect(core.files.filter((file) => !shipped(file))).toEqual([])
    expect(core.files).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.d.ts"]))
    const manifest = sandbox.manifest("@mixpanel-data/core")
    expect(manifest.exports?.["."]).toEqual({
      types: "./dist/index.d.ts",
      default: "./dist/index.js",
    })
    expect(manifest.peerDependencies).toEqual({ effect: `^${EFFECT}` })
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(["@duckdb/node-api"])
  })

  it(
    "is imported by Node, opens a store and answers a query",
    async () => {
      writeFileSync(join(project, "script.mjs"), SCRIPT)
      const { stdout } = await run(process.execPath, ["script.mjs"], {
        cwd: project,
        env: sandbox.env,
      })
      expect(JSON.parse(stdout)).toEqual([
        ["Purchase", 1],
        ["Sign Up", 2],
      ])
    },
    INSTALL_TIMEOUT_MS,
  )

  it(
    "gives TypeScript its declarations through the package's exports",
    async () => {
      writeFileSync(
        join(project, "check.ts"),
        `import { openStore, type QueryResult } from "@mixpanel-data/core"
const store = await openStore({ mode: "memory" })
const result: QueryResult = await store.query("SELECT 1 AS one")
await store.close()
export const columns: ReadonlyArray<string> = result.columns.map((column) => column.name)
`,
      )
      writeFileSync(
        join(project, "tsconfig.json"),
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
          files: ["check.ts"],
        }),
      )
      // the workspace's own compiler, so nothing more is downloaded
      const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
      await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project, env: sandbox.env })
    },
    INSTALL_TIMEOUT_MS,
  )
})
