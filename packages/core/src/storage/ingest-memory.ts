import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect, type Scope } from "effect"
import type { NativeResources } from "./open.js"

/**
 * DuckDB's buffer pool keeps every block it writes cached up to `memory_limit` (by default
 * most of the machine's memory), so a long ingestion would grow the process with the table.
 * While at least one ingestion runs on a store, its limit is lowered to this cap (never
 * raised), and restored when the last one ends: ingestion then runs in flat memory, and
 * cached blocks are simply read back from disk when needed.
 */
export const INGEST_MEMORY_LIMIT_BYTES = 256 * 1024 * 1024

interface Lowered {
  holders: number
  /** The limit to restore, or undefined when it was not lowered. */
  saved: string | undefined
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

const currentLimit = async (conn: DuckDBConnection): Promise<string> => {
  const reader = await conn.runAndReadAll("SELECT current_setting('memory_limit')")
  return String(reader.getRows()[0]?.[0] ?? "")
}

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
      const held = state.get(resources) ?? { holders: 0, saved: undefined }
      state.set(resources, held)
      held.holders++
      if (held.holders > 1) return
      try {
        const limit = await currentLimit(conn)
        const bytes = settingBytes(limit)
        if (bytes !== undefined && bytes > INGEST_MEMORY_LIMIT_BYTES) {
          await conn.run(`SET GLOBAL memory_limit = '${INGEST_MEMORY_LIMIT_BYTES}B'`)
          held.saved = limit
        }
      } catch {
        // keep the existing limit
      }
    }),
    () =>
      Effect.promise(async () => {
        const held = state.get(resources)
        if (held === undefined || --held.holders > 0) return
        state.delete(resources)
        if (held.saved === undefined) return
        try {
          await conn.run(`SET GLOBAL memory_limit = '${held.saved.replaceAll("'", "''")}'`)
        } catch {
          // the store may be closing
        }
      }),
  )
