import { execFile } from "node:child_process"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import type { BenchOptions, BenchResult } from "../registry.js"
import {
  measureJsonlLoad,
  measureNative,
  measureSeed,
  removeDir,
  tempDir,
  writeJsonl,
} from "./measure.js"

export const name = "p1/p2 ingestion"

const here = fileURLToPath(new URL(".", import.meta.url))

interface ChildResult {
  readonly count: number
  readonly seconds: number
  readonly rows: number
  readonly peakMb: number
}

/**
 * Pre-generated records for 1M events take about 1 GB of JS heap; only the timing child needs
 * that room (Node's default old space would stop it). The memory children run with defaults.
 */
const TIMING_HEAP_MB = 6144

const child = async (
  count: number,
  mode: "pregenerated" | "lazy" | "serialise",
  memoryLimit?: string,
): Promise<ChildResult> => {
  const flags = mode !== "lazy" ? [`--max-old-space-size=${TIMING_HEAP_MB}`] : []
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...flags, join(here, "child.js"), String(count), mode, ...(memoryLimit ? [memoryLimit] : [])],
    { maxBuffer: 1 << 20 },
  )
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as ChildResult
}

/** The engine's `memoryLimit` knob, measured beside the default configuration. */
const CAPPED = "256MB"

/** The seed's INSERT path is slow; its rate is measured on a slice of the same events. */
const SEED_EVENTS_MAX = 100_000

export const run = async ({ events, log }: BenchOptions): Promise<BenchResult> => {
  const dir = tempDir()
  try {
    const jsonl = join(dir, "events.jsonl")
    log(`  writing ${events} events as JSONL`)
    await writeJsonl(jsonl, events)
    log("  (b) DuckDB read_json")
    const native = await measureNative(jsonl)
    log("  (a) createEventsTable over pre-generated records, in a child process")
    const ours = await child(events, "pregenerated")
    log("  (e) serialisation floor over the same pre-generated records, in a child process")
    const floor = await child(events, "serialise")
    log("  (d) loadEventsJsonl")
    const jsonlLoad = await measureJsonlLoad(jsonl)
    const seedCount = Math.min(events, SEED_EVENTS_MAX)
    log(`  (c) multi-row INSERT on ${seedCount} events`)
    const seed = await measureSeed(seedCount)
    log("  p2: 200k events in a child process")
    const small = await child(200_000, "lazy")
    log("  p2: 2M events in a child process")
    const large = await child(2_000_000, "lazy")
    log(`  p2 with memoryLimit ${CAPPED}: 200k and 2M`)
    const smallCapped = await child(200_000, "lazy", CAPPED)
    const largeCapped = await child(2_000_000, "lazy", CAPPED)
    const rate = (r: { rows: number; seconds: number }) => r.rows / r.seconds
    const a = rate(ours)
    const b = rate(native)
    const c = rate(seed)
    const d = rate(jsonlLoad)
    const e = rate(floor)
    return {
      rows: [
        ["events", events],
        ["(a) createEventsTable rows/s (records generated before the clock)", Math.round(a)],
        ["(b) DuckDB read_json INSERT rows/s", Math.round(b)],
        [`(c) multi-row INSERT (2000/batch, ${seedCount} events) rows/s`, Math.round(c)],
        ["(d) loadEventsJsonl (dedup included) rows/s", Math.round(d)],
        ["(e) JS alone: JSON.stringify + UTF-8 + write, no DuckDB, rows/s", Math.round(e)],
        ["p1_ingest_vs_native (a/b)", a / b],
        ["p1 ceiling for any JS record path (e/b)", e / b],
        ["p1_seed_vs_native (c/b)", c / b],
        ["p2: records generated lazily as the stream is pulled", "peak RSS of the child"],
        ["p2 peak RSS at 200k (MB)", Math.round(small.peakMb)],
        ["p2 peak RSS at 2M (MB)", Math.round(large.peakMb)],
        ["p2 2M ingest rows/s", Math.round(large.rows / large.seconds)],
        ["p2_memory_2m_vs_200k", large.peakMb / small.peakMb],
        [`p2 peak RSS at 200k, memoryLimit ${CAPPED} (MB)`, Math.round(smallCapped.peakMb)],
        [`p2 peak RSS at 2M, memoryLimit ${CAPPED} (MB)`, Math.round(largeCapped.peakMb)],
        [`p2 2M vs 200k, memoryLimit ${CAPPED}`, largeCapped.peakMb / smallCapped.peakMb],
      ],
      keys: {
        p1_ingest_vs_native: round(a / b),
        p1_seed_vs_native: round(c / b),
        p1_jsonl_load_vs_native: round(d / b),
        p1_js_floor_vs_native: round(e / b),
        p2_memory_2m_vs_200k: round(large.peakMb / small.peakMb),
        p2_peak_mb_2m: Math.round(large.peakMb),
      },
    }
  } finally {
    removeDir(dir)
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000
