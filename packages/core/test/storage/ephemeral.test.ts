import { execFileSync, spawn } from "node:child_process"
import { existsSync, readdirSync, statSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Deferred, Effect, Exit, Fiber, Stream } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { makeStorage, type StorageShape } from "../../src/index.js"
import { events, eventsMeta, fromArray, runExit, withStore } from "./helpers.js"

const here = dirname(fileURLToPath(import.meta.url))
const core = join(here, "../..")

const newest = (dir: string): number =>
  Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((entry) =>
      entry.isDirectory() ? newest(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs,
    ),
  )

/** The child imports the built package: build it when missing or older than the sources. */
const ensureBuilt = () => {
  const built = join(core, "dist/store/open-store.js")
  const sources = Math.max(newest(join(core, "src/storage")), newest(join(core, "src/store")))
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return
  const tsc = createRequire(join(core, "package.json")).resolve("typescript/bin/tsc")
  try {
    execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: core, stdio: "pipe" })
  } catch (error) {
    // type errors elsewhere still emit; only a missing output is fatal
    if (!existsSync(built)) throw error
  }
}

const signalCases = [
  ["SIGTERM", 143],
  ["SIGINT", 130],
] as const

describe("ephemeral stores", () => {
  beforeAll(ensureBuilt)

  it("live in a fresh temp folder each, removed with database and WAL on close", async () => {
    const seen: Array<string> = []
    const grab = (s: StorageShape) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("ev", fromArray(events(500)), eventsMeta())
        seen.push(s.path)
        return { exists: existsSync(s.path), files: readdirSync(dirname(s.path)) }
      })
    const a = await withStore({ mode: "ephemeral" }, grab)
    const b = await withStore({ mode: "ephemeral" }, grab)
    expect(a.exists && b.exists).toBe(true)
    expect(seen[0]).not.toBe(seen[1])
    expect(a.files.some((f) => f.endsWith(".duckdb"))).toBe(true)
    for (const path of seen) {
      expect(existsSync(path)).toBe(false)
      expect(existsSync(`${path}.wal`)).toBe(false)
      expect(existsSync(dirname(path))).toBe(false)
    }
  })

  it("are removed when the scope fails", async () => {
    let path = ""
    const exit = await runExit(
      Effect.gen(function* () {
        const s = yield* makeStorage({ mode: "ephemeral" })
        path = s.path
        yield* s.createEventsTable("ev", fromArray(events(10)), eventsMeta())
        return yield* Effect.fail("boom")
      }),
    )
    expect(Exit.isFailure(exit)).toBe(true)
    expect(path).not.toBe("")
    expect(existsSync(dirname(path))).toBe(false)
  })

  it("are removed when the scope is interrupted mid-write", async () => {
    let path = ""
    await Effect.runPromise(
      Effect.gen(function* () {
        const started = yield* Deferred.make<void>()
        const fiber = yield* Effect.forkChild(
          Effect.scoped(
            Effect.gen(function* () {
              const s = yield* makeStorage({ mode: "ephemeral" })
              path = s.path
              yield* s.createEventsTable(
                "ev",
                Stream.concat(fromArray(events(3000)), Stream.never),
                eventsMeta(),
                { onProgress: () => Deferred.doneUnsafe(started, Effect.void) },
              )
            }),
          ),
        )
        yield* Deferred.await(started)
        yield* Fiber.interrupt(fiber)
      }),
    )
    expect(path).not.toBe("")
    expect(existsSync(dirname(path))).toBe(false)
  })

  it.each(signalCases)("are removed when the process gets %s", async (signal, code) => {
    const child = spawn(process.execPath, [join(here, "fixtures/ephemeral-child.mjs")], {
      stdio: ["ignore", "pipe", "pipe"],
    })
    let stderr = ""
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString()
    })
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    )
    const path = await new Promise<string>((resolve, reject) => {
      let out = ""
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString()
        if (out.includes("\n")) resolve(out.split("\n")[0]!)
      })
      child.on("exit", () => reject(new Error(`child exited early: ${stderr}`)))
    })
    expect(existsSync(path)).toBe(true)
    child.kill(signal)
    const result = await exited
    expect(result.signal === signal || result.code === code).toBe(true)
    expect(existsSync(dirname(path))).toBe(false)
  })
})
