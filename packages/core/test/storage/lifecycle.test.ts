import { spawn } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Exit, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { makeStorage } from "../../src/index.js"
import { events, eventsMeta, fromArray, runExit, useTempDir, withStore } from "./helpers.js"

const tempDir = useTempDir()

const failureOf = <A, E>(exit: Exit.Exit<A, E>): unknown =>
  Exit.isFailure(exit) ? exit.cause.reasons.map((r) => ("error" in r ? r.error : r))[0] : undefined

/** A plain DuckDB process: holds `path` open until stdin closes, or opens it once and exits. */
const duckdbProcess = (path: string, hold: boolean) => {
  const script = `
    const { DuckDBInstance } = require("@duckdb/node-api")
    DuckDBInstance.create(${JSON.stringify(path)}).then(async (db) => {
      const conn = await db.connect()
      await conn.run("SELECT 1")
      process.stdout.write("open\\n")
      if (${hold}) process.stdin.on("end", () => { conn.closeSync(); db.closeSync(); process.exit(0) }).resume()
      else { conn.closeSync(); db.closeSync(); process.exit(0) }
    }, (e) => { process.stdout.write("error:" + e.message + "\\n"); process.exit(3) })`
  const child = spawn(process.execPath, ["-e", script], {
    cwd: join(__dirname, "../.."),
    stdio: ["pipe", "pipe", "inherit"],
  })
  const firstLine = new Promise<string>((resolve) => {
    let out = ""
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString()
      if (out.includes("\n")) resolve(out.split("\n")[0]!)
    })
    child.on("exit", () => resolve(out))
  })
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  return { child, firstLine, exited }
}

describe("lifecycle", () => {
  it("creates the database file and its parent folders", async () => {
    const path = join(tempDir(), "a", "b", "c", "data.duckdb")
    const reported = await withStore({ mode: "file", path }, (s) => Effect.succeed(s.path))
    expect(reported).toBe(path)
    expect(existsSync(path)).toBe(true)
  })

  it("creates a new file whole: a name a killed creation left is removed, nothing else", async () => {
    const folder = join(tempDir(), "whole")
    mkdirSync(folder)
    const path = join(folder, "data.duckdb")
    // a process that no longer runs (pid far above any live one) was killed while creating
    const stale = `${path}.creating-999999999`
    writeFileSync(stale, "")
    writeFileSync(`${stale}.wal`, "")
    const other = join(folder, "other.duckdb.creating-999999999")
    writeFileSync(other, "")
    await withStore({ mode: "file", path }, (s) => s.execute("CREATE TABLE t (a INT)"))
    expect(readdirSync(folder).sort()).toEqual(["data.duckdb", "other.duckdb.creating-999999999"])
    // a second creation finds it there and opens it
    const count = await withStore({ mode: "file", path }, (s) =>
      s.queryScalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'"),
    )
    expect(Number(count)).toBe(1)
  })

  it("persists tables and metadata across reopen cycles", async () => {
    const path = join(tempDir(), "persist.duckdb")
    await withStore({ mode: "file", path }, (s) =>
      s.createEventsTable("jan", fromArray(events(100)), eventsMeta()),
    )
    for (let cycle = 0; cycle < 3; cycle++) {
      const out = await withStore({ mode: "existing", path }, (s) =>
        Effect.gen(function* () {
          yield* s.appendEvents("jan", fromArray(events(10, 100 + cycle * 10)))
          return {
            count: yield* s.queryScalar("SELECT count(*) FROM jan"),
            meta: yield* s.getMetadata("jan"),
          }
        }),
      )
      expect(out.count).toBe(110 + cycle * 10)
      expect(out.meta.source).toEqual(eventsMeta().source)
      expect(out.meta.filters).toEqual(eventsMeta().filters)
    }
  })

  it("writes a real DuckDB file that DuckDB itself opens", async () => {
    const path = join(tempDir(), "format.duckdb")
    await withStore({ mode: "file", path }, (s) =>
      s.createEventsTable("t", fromArray(events(5)), eventsMeta()),
    )
    const other = duckdbProcess(path, false)
    expect(await other.firstLine).toBe("open")
    expect(await other.exited).toBe(0)
  })

  it("fails with StorageIOError when the folder cannot be created", async () => {
    const dir = tempDir()
    const blocker = join(dir, "file")
    writeFileSync(blocker, "not a folder")
    const exit = await runExit(makeStorage({ mode: "file", path: join(blocker, "x", "db.duckdb") }))
    expect((failureOf(exit) as { _tag: string })._tag).toBe("StorageIOError")
  })

  it("fails with StorageIOError when the file is not a database", async () => {
    const path = join(tempDir(), "garbage.duckdb")
    writeFileSync(path, "this is not a duckdb file at all".repeat(200))
    const exit = await runExit(makeStorage({ mode: "existing", path }))
    expect((failureOf(exit) as { _tag: string })._tag).toBe("StorageIOError")
  })

  it("fails with DatabaseNotFound when opening a missing file", async () => {
    const path = join(tempDir(), "missing.duckdb")
    const exit = await runExit(makeStorage({ mode: "existing", path }))
    expect(failureOf(exit)).toMatchObject({ _tag: "DatabaseNotFound", path })
    expect(existsSync(path)).toBe(false)
  })

  it("opens read-only: reads work, writes fail with typed errors", async () => {
    const path = join(tempDir(), "ro.duckdb")
    await withStore({ mode: "file", path }, (s) =>
      s.createEventsTable("t", fromArray(events(20)), eventsMeta()),
    )
    const out = await withStore({ mode: "existing", path, readOnly: true }, (s) =>
      Effect.gen(function* () {
        const count = yield* s.queryScalar("SELECT count(*) FROM t")
        const tables = yield* s.listTables
        const write = yield* Effect.flip(s.appendEvents("t", fromArray(events(1))))
        const sql = yield* Effect.flip(s.execute("CREATE TABLE x (a INT)"))
        return { count, tables, write, sql, readOnly: s.readOnly }
      }),
    )
    expect(out.readOnly).toBe(true)
    expect(out.count).toBe(20)
    expect(out.tables.map((t) => t.name)).toEqual(["t"])
    expect(out.write._tag).toBe("StorageIOError")
    expect(out.sql._tag).toBe("QueryError")
  })

  it("passes the memory limit to DuckDB", async () => {
    const limit = await withStore({ mode: "memory", memoryLimit: "64MB" }, (s) =>
      s.queryScalar("SELECT current_setting('memory_limit')"),
    )
    expect(String(limit)).toMatch(/^6\d(\.\d+)? MiB$/)
  })

  it("caps DuckDB's threads at one per 64MB of budget while ingesting, then restores them", async () => {
    const threads = "SELECT current_setting('threads')::INTEGER"
    const out = await withStore({ mode: "memory", memoryLimit: "64MB" }, (s) =>
      Effect.gen(function* () {
        yield* s.query("SET GLOBAL threads = 4")
        let during: unknown
        yield* s.createEventsTable(
          "t",
          fromArray(events(10)).pipe(
            Stream.tap(() =>
              Effect.map(s.queryScalar(threads), (value) => {
                during = value
              }),
            ),
          ),
          eventsMeta(),
        )
        return { during, after: yield* s.queryScalar(threads) }
      }),
    )
    expect(Number(out.during)).toBe(1)
    expect(Number(out.after)).toBe(4)
  })

  it("restores DuckDB's memory and allocator settings once an ingestion ends", async () => {
    const settings =
      "SELECT current_setting('memory_limit') || ' ' || current_setting('allocator_flush_threshold')" +
      " || ' ' || current_setting('allocator_bulk_deallocation_flush_threshold')"
    const out = await withStore({ mode: "memory" }, (s) =>
      Effect.gen(function* () {
        const before = yield* s.queryScalar(settings)
        let during: unknown
        yield* s.createEventsTable(
          "t",
          fromArray(events(10)).pipe(
            Stream.tap(() =>
              Effect.map(s.queryScalar(settings), (value) => {
                during = value
              }),
            ),
          ),
          eventsMeta(),
        )
        return { before, during, after: yield* s.queryScalar(settings) }
      }),
    )
    expect(out.after).toBe(out.before)
    // the default ingestion budget, 192 MB
    expect(String(out.during)).toBe("183.1 MiB 1.0 MiB 1.0 MiB")
  })

  it("keeps a budget the user sets for the whole session, ingestion included", async () => {
    const out = await withStore({ mode: "memory", memoryLimit: "1GB" }, (s) =>
      Effect.gen(function* () {
        let during: unknown
        yield* s.createEventsTable(
          "t",
          fromArray(events(10)).pipe(
            Stream.tap(() =>
              Effect.map(s.queryScalar("SELECT current_setting('memory_limit')"), (value) => {
                during = value
              }),
            ),
          ),
          eventsMeta(),
        )
        return { during, after: yield* s.queryScalar("SELECT current_setting('memory_limit')") }
      }),
    )
    expect(String(out.during)).toBe("953.6 MiB")
    expect(String(out.after)).toBe("953.6 MiB")
  })

  it("in memory: works and leaves no file", async () => {
    const out = await withStore({ mode: "memory" }, (s) =>
      Effect.gen(function* () {
        yield* s.createEventsTable("m", fromArray(events(10)), eventsMeta())
        return { path: s.path, count: yield* s.queryScalar("SELECT count(*) FROM m") }
      }),
    )
    expect(out).toEqual({ path: ":memory:", count: 10 })
  })

  it("closes on failure inside the scope, and the file is unlocked at once", async () => {
    const path = join(tempDir(), "closed.duckdb")
    const exit = await runExit(
      Effect.flatMap(makeStorage({ mode: "file", path }), () => Effect.fail("boom" as const)),
    )
    expect(failureOf(exit)).toBe("boom")
    const other = duckdbProcess(path, false)
    expect(await other.firstLine).toBe("open")
    expect(await other.exited).toBe(0)
  })

  it("DatabaseLocked with the holder's pid when another process has the file", async () => {
    const path = join(tempDir(), "locked.duckdb")
    await withStore({ mode: "file", path }, () => Effect.void)
    const holder = duckdbProcess(path, true)
    try {
      expect(await holder.firstLine).toBe("open")
      const exit = await runExit(makeStorage({ mode: "existing", path }))
      expect(failureOf(exit)).toMatchObject({ _tag: "DatabaseLocked", path, pid: holder.child.pid })
      const file = await runExit(makeStorage({ mode: "file", path }))
      expect((failureOf(file) as { _tag: string })._tag).toBe("DatabaseLocked")
    } finally {
      holder.child.stdin?.end()
      await holder.exited
    }
    const reopened = await withStore({ mode: "existing", path }, (s) => s.listTables)
    expect(reopened).toEqual([])
  })

  it("drops staging tables left by a crashed run when opening", async () => {
    const path = join(tempDir(), "crash.duckdb")
    await withStore({ mode: "file", path }, (s) =>
      s.execute("CREATE TABLE _staging_t_deadbeef (a INT)"),
    )
    const left = await withStore({ mode: "existing", path }, (s) =>
      s.queryScalar("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_staging_%'"),
    )
    expect(left).toBe(0)
  })

  it("reports an unwritable location as StorageIOError", async () => {
    if (process.getuid?.() === 0) return // root writes anywhere
    const dir = join(tempDir(), "ro")
    mkdirSync(dir)
    chmodSync(dir, 0o500)
    const exit = await runExit(makeStorage({ mode: "file", path: join(dir, "db.duckdb") }))
    expect((failureOf(exit) as { _tag: string })._tag).toBe("StorageIOError")
  })
})
