import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect, type Scope } from "effect"
import { MemoryLimitExceeded, QueryError } from "../errors.js"
import type { NativeResources } from "./open.js"

/**
 * The memory budget of every ingestion (fetch, import, server jobs, library loads) when the
 * user sets none: DuckDB's buffer pool otherwise keeps every block it writes cached up to most
 * of the machine's memory, so a long ingestion would grow the process with the table. While at
 * least one ingestion runs on a store, `memory_limit` is lowered to the budget (never raised)
 * and restored when the last one ends; what does not fit spills to the temp directory. A budget
 * the user sets (`memoryLimit`) is DuckDB's limit for the whole session instead.
 */
export const DEFAULT_MEMORY_BUDGET = "192MB"
export const DEFAULT_MEMORY_BUDGET_BYTES = 192 * 1000 * 1000

/**
 * Evicting cached blocks frees memory in bulk, and DuckDB's allocator keeps freed memory up
 * to these thresholds (32 MiB per thread by default here) instead of handing it back: about
 * 150 MB that no setting above accounts for. During ingestion they drop to this.
 */
const INGEST_ALLOCATOR_FLUSH = "1MiB"
const ALLOCATOR_SETTINGS = [
  "allocator_flush_threshold",
  "allocator_bulk_deallocation_flush_threshold",
] as const

/**
 * DuckDB's JSON reader holds a buffer of twice its largest line (16 MiB) per thread: on a
 * machine of many cores that alone would pass a small budget. During ingestion the threads are
 * capped at one per this much of the budget (never raised).
 */
const BUDGET_PER_THREAD = 64 * 1000 * 1000

interface Lowered {
  holders: number
  /** The thread count to restore, or undefined when it was not lowered. */
  threads: string | undefined
  /** The limit to restore, or undefined when it was not lowered. */
  saved: string | undefined
  /** Allocator settings to restore, by name. */
  allocator: Array<readonly [string, string]>
}

const state = new WeakMap<NativeResources, Lowered>()

const units: Record<string, number> = {
  bytes: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
}

/** Why `text` is not a memory budget DuckDB takes (`512MB`, `2GB`, `1.5GiB`), or undefined. */
export const memoryLimitProblem = (text: string): string | undefined => {
  const bytes = settingBytes(text)
  if (bytes === undefined) return `"${text}" is not a size such as 512MB or 2GB`
  if (bytes < 64 * 1000 * 1000) return `"${text}" is below the smallest budget, 64MB`
  return undefined
}

/** Bytes of a DuckDB size setting such as `18.3 GiB`; undefined when it is not one. */
export const settingBytes = (text: string): number | undefined => {
  const match = /^\s*([\d.]+)\s*([A-Za-z]+)\s*$/.exec(text)
  const unit = match?.[2]?.toLowerCase()
  const scale = unit === undefined ? undefined : units[unit]
  return match && scale !== undefined ? Number(match[1]) * scale : undefined
}

const current = async (conn: DuckDBConnection, setting: string): Promise<string> => {
  const reader = await conn.runAndReadAll(`SELECT current_setting('${setting}')`)
  return String(reader.getRows()[0]?.[0] ?? "")
}

const setGlobal = (conn: DuckDBConnection, setting: string, value: string) =>
  conn.run(`SET GLOBAL ${setting} = '${value.replaceAll("'", "''")}'`)

/** The budget ingestion runs under on this store, for messages. */
export const memoryBudget = (resources: NativeResources): string =>
  resources.memoryLimit ?? DEFAULT_MEMORY_BUDGET

const outOfMemory = /Out of Memory Error|failed to (allocate data|pin block) of size/i

/** DuckDB's out-of-memory failure of an ingestion as the typed error that names the option. */
export const budgetError =
  (resources: NativeResources, operation: string) =>
  <E>(error: E): E | MemoryLimitExceeded =>
    error instanceof QueryError && outOfMemory.test(error.reason)
      ? new MemoryLimitExceeded({
          limit: memoryBudget(resources),
          operation,
          reason: error.reason.split("\n")[0] ?? error.reason,
        })
      : error

/**
 * Holds the ingestion memory budget for the scope. Best effort: when DuckDB cannot lower its
 * limit right now (it holds more than the cap), ingestion runs under the existing limit.
 */
export const ingestionMemory = (
  resources: NativeResources,
  conn: DuckDBConnection,
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const held = state.get(resources) ?? {
        holders: 0,
        saved: undefined,
        threads: undefined,
        allocator: [],
      }
      state.set(resources, held)
      held.holders++
      if (held.holders > 1) return
      try {
        const limit = await current(conn, "memory_limit")
        const bytes = settingBytes(limit)
        if (
          resources.memoryLimit === undefined &&
          bytes !== undefined &&
          bytes > DEFAULT_MEMORY_BUDGET_BYTES
        ) {
          await setGlobal(conn, "memory_limit", DEFAULT_MEMORY_BUDGET)
          held.saved = limit
        }
        for (const setting of ALLOCATOR_SETTINGS) {
          const value = await current(conn, setting)
          await setGlobal(conn, setting, INGEST_ALLOCATOR_FLUSH)
          held.allocator.push([setting, value])
        }
        const budget = settingBytes(memoryBudget(resources)) ?? DEFAULT_MEMORY_BUDGET_BYTES
        const cap = Math.max(1, Math.floor(budget / BUDGET_PER_THREAD))
        const threads = await current(conn, "threads")
        if (Number(threads) > cap) {
          await conn.run(`SET GLOBAL threads = ${cap}`)
          held.threads = threads
        }
      } catch {
        // keep the existing settings
      }
    }),
    () =>
      Effect.promise(async () => {
        const held = state.get(resources)
        if (held === undefined || --held.holders > 0) return
        state.delete(resources)
        try {
          for (const [setting, value] of held.allocator) await setGlobal(conn, setting, value)
          if (held.threads !== undefined)
            await conn.run(`SET GLOBAL threads = ${Number(held.threads)}`)
          // lowered only when the user set no budget: DuckDB's own default comes back exactly
          if (held.saved !== undefined) await conn.run("RESET GLOBAL memory_limit")
        } catch {
          // the store may be closing
        }
      }),
  )
