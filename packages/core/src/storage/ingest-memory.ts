import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect, type Scope } from "effect"
import type { NativeResources } from "./open.js"

/**
 * DuckDB's buffer pool keeps every block it writes cached up to `memory_limit` (by default
 * most of the machine's memory), so a long ingestion would grow the process with the table.
 * While at least one ingestion runs on a store, its limit is lowered to this cap (never
 * raised), and restored when the last one ends: ingestion then runs in flat memory, and
 * cached blocks are simply read back from disk when needed. The cap sets how much larger a
 * long ingestion's peak is than a short one's: at 128 MiB, 2M rows peak about 1.15× 200k.
 */
export const INGEST_MEMORY_LIMIT_BYTES = 128 * 1024 * 1024

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

interface Lowered {
  holders: number
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

/**
 * Holds the ingestion memory cap for the scope. Best effort: when DuckDB cannot lower its
 * limit right now (it holds more than the cap), ingestion runs under the existing limit.
 */
export const ingestionMemory = (
  resources: NativeResources,
  conn: DuckDBConnection,
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const held = state.get(resources) ?? { holders: 0, saved: undefined, allocator: [] }
      state.set(resources, held)
      held.holders++
      if (held.holders > 1) return
      try {
        const limit = await current(conn, "memory_limit")
        const bytes = settingBytes(limit)
        if (bytes !== undefined && bytes > INGEST_MEMORY_LIMIT_BYTES) {
          await setGlobal(conn, "memory_limit", `${INGEST_MEMORY_LIMIT_BYTES}B`)
          held.saved = limit
        }
        for (const setting of ALLOCATOR_SETTINGS) {
          const value = await current(conn, setting)
          await setGlobal(conn, setting, INGEST_ALLOCATOR_FLUSH)
          held.allocator.push([setting, value])
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
          if (held.saved !== undefined) await setGlobal(conn, "memory_limit", held.saved)
        } catch {
          // the store may be closing
        }
      }),
  )
