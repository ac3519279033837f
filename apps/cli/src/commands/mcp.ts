import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { makeSqlGuard, SqlGuard, type StorageOptions, storageLayer } from "@mixpanel-data/core"
import { type McpFetch, type McpStore, makeMcpServer } from "@mixpanel-data/core/mcp"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js"
import { Effect, Layer, RcRef, References } from "effect"
import { resolveDbPath, writableStore } from "../db.js"
import type { Globals } from "../globals.js"
import { runProgram } from "../run.js"
import { readOnly } from "../store.js"
import { storeEvents, storeProfiles } from "./fetch.js"

declare const __MP_VERSION__: string

type Opts = Record<string, unknown>

/** An idle store stays open this long, so a burst of calls opens it once. */
const IDLE_MS = 1000

/** A private folder for the day files a fetch stages: the only one the locked store reads. */
const spoolFolder = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "mp-mcp-spool-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true })),
)

/**
 * `mp mcp`: the agent tools over stdio. stdout carries protocol messages only; anything else
 * (logs, warnings) goes to stderr. The database opens for the calls in flight and closes when
 * they end, so other `mp` commands can use it in between: read-only, or writable with
 * `--allow-fetch`. Either way the store is locked down (no files but its own and the fetch's
 * spool folder, no network) and SQL passes the SQL guard first, as on the server.
 */
export const mcp = async (globals: Globals, opts: Opts) => {
  const path = resolveDbPath(globals)
  const allowFetch = opts.allowFetch === true
  // Whatever writes to the console writes to stderr: stdout is the protocol's.
  console.log = console.error
  console.info = console.error
  console.debug = console.error

  const program = Effect.gen(function* () {
    const spoolDir = allowFetch ? yield* spoolFolder : undefined
    const budget = globals.memoryLimit !== undefined ? { memoryLimit: globals.memoryLimit } : {}
    const options: StorageOptions =
      spoolDir === undefined
        ? { ...readOnly(path), ...budget, allowedDirectories: [] }
        : { ...writableStore(globals, path), spoolDir, allowedDirectories: [spoolDir] }
    const guard = yield* makeSqlGuard
    const opened = yield* RcRef.make({
      acquire: Layer.build(storageLayer(options)),
      idleTimeToLive: IDLE_MS,
    })
    const store: McpStore = {
      use: (work) =>
        Effect.scoped(
          Effect.flatMap(RcRef.get(opened), (context) =>
            work.pipe(Effect.provideContext(context), Effect.provideService(SqlGuard, guard)),
          ),
        ),
    }
    const fetch: McpFetch | undefined =
      spoolDir === undefined
        ? undefined
        : {
            events: (request) => storeEvents(globals, request, spoolDir),
            profiles: (request) => storeProfiles(globals, request, spoolDir),
          }
    const server = makeMcpServer({
      name: "mp",
      version: __MP_VERSION__,
      store,
      ...(fetch ? { fetch } : {}),
    })
    const transport = new StdioServerTransport()
    // Serves until the client closes stdin (or a signal interrupts).
    yield* Effect.callback<void>((resume) => {
      process.stdin.once("end", () => resume(Effect.void))
      server
        .connect(transport)
        .then(() => {
          server.server.onclose = () => resume(Effect.void)
        })
        .catch((error) => resume(Effect.die(error)))
      return Effect.promise(() => server.close())
    })
    yield* Effect.promise(() => server.close())
  }).pipe(Effect.scoped, Effect.provideService(References.MinimumLogLevel, "Warn"))
  return runProgram(globals, program)
}
