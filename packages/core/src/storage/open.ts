import { existsSync, linkSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, dirname, join, resolve } from "node:path"
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api"
import { Effect, type Scope } from "effect"
import { DatabaseLocked, DatabaseNotFound, StorageIOError } from "../errors.js"
import { removeStaleEntries } from "../files/stale.js"
import { errorMessage } from "./duck.js"
import { registerSignalCleanup } from "./signals.js"

/** Tuning shared by every mode. */
export interface EngineOptions {
  /**
   * The memory budget (DuckDB's `memory_limit`, e.g. `"512MB"`, `"2GB"`) for the whole session.
   * When absent, ingestion runs under a default budget (192 MB) that is lifted when it ends,
   * and queries under DuckDB's own default. Big loads spill to `tempDirectory` past it.
   */
  readonly memoryLimit?: string
  /**
   * Where DuckDB spills what does not fit in memory. Default: DuckDB's own (`<database>.tmp`
   * beside a file), or a private temp folder for in-memory and ephemeral stores.
   */
  readonly tempDirectory?: string
  /**
   * Where record ingestion stages its batch files for DuckDB to load (default: the OS temp
   * folder). A host that restricts DuckDB's file access allows this folder.
   */
  readonly spoolDir?: string
  /**
   * Locks the instance down once it is prepared, for a host that serves untrusted SQL: no file
   * outside the database, its temp folder and these folders (a spool folder among them), no
   * ATTACH, no COPY elsewhere, no extension loading, no network. It holds for the life of the
   * store: DuckDB cannot turn access back on.
   */
  readonly allowedDirectories?: ReadonlyArray<string>
}

export type StorageOptions = EngineOptions &
  (
    | { readonly mode: "file"; readonly path: string }
    | { readonly mode: "ephemeral" }
    | { readonly mode: "existing"; readonly path: string; readonly readOnly?: boolean }
    | { readonly mode: "memory" }
  )

/**
 * Everything native a store holds, so it can be closed in the one safe order (connections,
 * instance) from a scope finalizer or, synchronously, from a signal handler.
 */
export class NativeResources {
  readonly connections = new Set<DuckDBConnection>()
  instance: DuckDBInstance | undefined
  spoolDir: string | undefined
  /** The budget the user set, if any (see `EngineOptions.memoryLimit`). */
  memoryLimit: string | undefined
  /**
   * Stored rows were deleted (days replaced): checkpoints merge row groups again, so the space
   * of the deleted rows comes back.
   *
   * A writer opens with DuckDB's row-group vacuum off. Left on, every checkpoint after a load
   * into a table that already held rows rewrites the partly filled row groups each parallel
   * INSERT leaves, the new rows in practice: measured on 3 loads of 251k export lines under
   * 192 MB, 4.74 s with it and 3.49 s without; in a whole `mp fetch` of 1.35M events over 10
   * days, 16.3 s against 12.1 s. Appends then leave partly filled row groups (a little more
   * metadata, no lost space), while rows deleted from shared row groups would stay on disk: a
   * session that deletes stored rows turns the vacuum back on from then on.
   */
  vacuumWanted = false

  closeConnection(conn: DuckDBConnection): void {
    if (!this.connections.delete(conn)) return
    try {
      conn.closeSync()
    } catch {
      // already gone
    }
  }

  closeAll(): void {
    for (const conn of [...this.connections]) this.closeConnection(conn)
    const instance = this.instance
    this.instance = undefined
    try {
      instance?.closeSync()
    } catch {
      // already gone
    }
  }

  connect(): Effect.Effect<DuckDBConnection, StorageIOError> {
    return Effect.tryPromise({
      try: async () => {
        if (!this.instance) throw new Error("the database is closed")
        const conn = await this.instance.connect()
        this.connections.add(conn)
        await conn.run("SET TimeZone = 'UTC'")
        return conn
      },
      catch: (error) => new StorageIOError({ operation: "connect", reason: errorMessage(error) }),
    })
  }

  /** A connection closed with the scope (or earlier, by `closeConnection`). */
  scopedConnection(): Effect.Effect<DuckDBConnection, StorageIOError, Scope.Scope> {
    return Effect.acquireRelease(this.connect(), (conn) =>
      Effect.sync(() => this.closeConnection(conn)),
    )
  }
}

export interface OpenedDatabase {
  readonly path: string
  readonly readOnly: boolean
  readonly resources: NativeResources
}

const lockPattern = /Could not set lock on file/i
const pidPattern = /PID (\d+)/

const openError = (path: string, error: unknown) => {
  const reason = errorMessage(error)
  if (lockPattern.test(reason)) {
    const pid = pidPattern.exec(reason)?.[1]
    return pid === undefined
      ? new DatabaseLocked({ path })
      : new DatabaseLocked({ path, pid: Number(pid) })
  }
  return new StorageIOError({ operation: "open", path, reason })
}

const openInstance = (
  path: string,
  readOnly: boolean,
  resources: NativeResources,
  engine: EngineOptions,
  tempDirectory: string | undefined = engine.tempDirectory,
): Effect.Effect<void, DatabaseLocked | StorageIOError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const options: Record<string, string> = {
          // hand freed memory back early instead of caching up to 128/512 MiB: long ingests
          // then keep a flat footprint
          allocator_flush_threshold: "32MiB",
          allocator_bulk_deallocation_flush_threshold: "32MiB",
          ...(readOnly ? { access_mode: "READ_ONLY" } : {}),
          ...(engine.memoryLimit ? { memory_limit: engine.memoryLimit } : {}),
          ...(tempDirectory ? { temp_directory: tempDirectory } : {}),
          // a writer appends without merging row groups at checkpoints (see `NativeResources`)
          ...(readOnly ? {} : { max_vacuum_tasks: "0" }),
        }
        resources.instance = await DuckDBInstance.create(path, options)
      },
      catch: (error) => openError(path, error),
    }),
    () => Effect.sync(() => resources.closeAll()),
  )

/** `mixpanel-data-<pid>-<random>`: a folder a later start can tell is orphaned. */
const OWNED = /^mixpanel-data-(\d+)-[0-9A-Za-z]+$/

/**
 * The temp folder of a store that must not outlive its process (an ephemeral database, the
 * spill of an in-memory one): removed when the scope closes, on exit, SIGINT and SIGTERM (the
 * store closed first), and, after a SIGKILL, by the next store that opens one.
 */
const ephemeralFolder = (resources: NativeResources) =>
  Effect.gen(function* () {
    yield* Effect.promise(() => removeStaleEntries(tmpdir(), [OWNED]))
    const dir = yield* Effect.acquireRelease(
      Effect.try({
        try: () => mkdtempSync(join(tmpdir(), `mixpanel-data-${process.pid}-`)),
        catch: (error) =>
          new StorageIOError({ operation: "create temp folder", reason: errorMessage(error) }),
      }),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true })),
    )
    yield* Effect.acquireRelease(
      Effect.sync(() =>
        registerSignalCleanup(() => {
          resources.closeAll()
          rmSync(dir, { recursive: true, force: true })
        }),
      ),
      (unregister) => Effect.sync(unregister),
    )
    return dir
  })

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * Creates a new database file whole or not at all. DuckDB writes a new file's headers after
 * creating it, so a process killed in between (measured: a SIGKILL right after `mp fetch`
 * starts) leaves a file every later open refuses as "not a valid DuckDB database file". The
 * file is therefore created and closed under a name of its own (`<name>.creating-<pid>`) and
 * linked into place, which fails if another process created the database meanwhile (then
 * that one is used); where hard links are not supported it is renamed. A name a killed
 * process left is removed by the next creation.
 */
const createWhole = (path: string): Effect.Effect<void, StorageIOError> =>
  Effect.tryPromise({
    try: async () => {
      if (existsSync(path)) return
      const folder = dirname(path)
      const name = basename(path)
      await removeStaleEntries(folder, [
        new RegExp(`^${escapeRegExp(name)}\\.creating-(\\d+)(?:\\.wal)?$`),
      ])
      const creating = `${path}.creating-${process.pid}`
      const remove = () => {
        rmSync(creating, { force: true })
        rmSync(`${creating}.wal`, { force: true })
      }
      remove()
      try {
        const instance = await DuckDBInstance.create(creating)
        instance.closeSync()
        try {
          linkSync(creating, path)
        } catch (error) {
          const code = (error as { code?: unknown }).code
          if (code === "EEXIST") return
          if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw error
          if (!existsSync(path)) renameSync(creating, path)
        }
      } finally {
        remove()
      }
    },
    catch: (error) =>
      new StorageIOError({ operation: "create", path, reason: errorMessage(error) }),
  })

/** Opens (or creates) the database for `options`; everything closes with the scope. */
export const openDatabase = (
  options: StorageOptions,
): Effect.Effect<OpenedDatabase, DatabaseNotFound | DatabaseLocked | StorageIOError, Scope.Scope> =>
  Effect.gen(function* () {
    const resources = new NativeResources()
    resources.spoolDir = options.spoolDir
    resources.memoryLimit = options.memoryLimit
    switch (options.mode) {
      case "memory": {
        // an in-memory database has no file beside which to spill
        const spill = options.tempDirectory ?? join(yield* ephemeralFolder(resources), "spill")
        yield* openInstance(":memory:", false, resources, options, spill)
        return { path: ":memory:", readOnly: false, resources }
      }
      case "file": {
        const path = resolve(options.path)
        yield* Effect.try({
          try: () => mkdirSync(dirname(path), { recursive: true }),
          catch: (error) =>
            new StorageIOError({ operation: "create folder", path, reason: errorMessage(error) }),
        })
        yield* createWhole(path)
        yield* openInstance(path, false, resources, options)
        return { path, readOnly: false, resources }
      }
      case "existing": {
        const path = resolve(options.path)
        if (!existsSync(path)) return yield* Effect.fail(new DatabaseNotFound({ path }))
        const readOnly = options.readOnly ?? false
        yield* openInstance(path, readOnly, resources, options)
        return { path, readOnly, resources }
      }
      case "ephemeral": {
        const dir = yield* ephemeralFolder(resources)
        const path = join(dir, "ephemeral.duckdb")
        yield* openInstance(path, false, resources, options)
        return { path, readOnly: false, resources }
      }
    }
  })
