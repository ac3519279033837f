import { createGzip } from "node:zlib"
import type { Dataset } from "./dataset.js"
import { exportChunks } from "./events.js"

/**
 * Level 1: about 69 bytes a line against level 6's 55, at twice the speed. The plain copy (about
 * 465 bytes a line) dominates the memory either way, and a day is often served only once.
 */
export const PRERENDER_GZIP_LEVEL = 1
export const DEFAULT_PRERENDER_MAX_BYTES = 512 * 1024 * 1024
/** Plain bytes rendered between two yields to the event loop. */
const YIELD_EVERY_BYTES = 1_048_576

/** One day's unfiltered export body, plain and gzipped (one gzip stream). */
export interface RenderedDay {
  readonly plain: Buffer
  readonly gzip: Buffer
  readonly lines: number
}

export interface PrerenderStats {
  /** Bodies held: one per day and `time_in_ms` variant asked for. */
  readonly bodies: number
  /** Renders run (concurrent requests for a day share one). */
  readonly renders: number
  readonly lines: number
  readonly plainBytes: number
  readonly gzipBytes: number
  /** Bodies rendered but not kept because the cap was reached (those days are generated). */
  readonly overCap: number
}

const countLines = (b: Buffer): number => {
  let n = 0
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++
  return n
}

/** Renders a day's body: generation on this thread, gzip on the thread pool alongside. */
const render = async (ds: Dataset, day: number, timeInMs: boolean): Promise<RenderedDay> => {
  const gz = createGzip({ level: PRERENDER_GZIP_LEVEL, chunkSize: 65_536 })
  const compressed: Buffer[] = []
  gz.on("data", (b: Buffer) => compressed.push(b))
  const ended = new Promise<void>((resolve, reject) => {
    gz.once("end", resolve)
    gz.once("error", reject)
  })
  ended.catch(() => undefined)
  const plain: Buffer[] = []
  try {
    let sinceYield = 0
    for (const chunk of exportChunks(ds, { fromDay: day, toDay: day }, timeInMs)) {
      plain.push(chunk)
      gz.write(chunk)
      sinceYield += chunk.length
      if (sinceYield >= YIELD_EVERY_BYTES) {
        sinceYield = 0
        await new Promise((r) => setImmediate(r))
      }
    }
    gz.end()
    await ended
  } catch (e) {
    gz.destroy()
    throw e
  }
  const body = Buffer.concat(plain)
  return { plain: body, gzip: Buffer.concat(compressed), lines: countLines(body) }
}

/**
 * Each day's export body for the common request (no `event`, `where` or `limit`), rendered on
 * first use and then served from memory. Concurrent requests for a day share one render. Costs
 * about 465 bytes a line plain plus about 70 gzipped; past `maxBytes` a day is not kept and is
 * generated per request as without prerendering. A day that gets late events
 * (`Dataset.late`) is dropped and rendered again on its next request.
 */
export class Prerenderer {
  private readonly bodies = new Map<string, RenderedDay>()
  private readonly rendering = new Map<string, Promise<RenderedDay | undefined>>()
  private readonly refused = new Set<string>()
  private held = { lines: 0, plainBytes: 0, gzipBytes: 0 }
  private overCap = 0
  private renders = 0
  private readonly unsubscribe: () => void

  constructor(
    private readonly ds: Dataset,
    private readonly maxBytes = DEFAULT_PRERENDER_MAX_BYTES,
  ) {
    this.unsubscribe = ds.late.onAdd((day) => this.invalidate(day))
  }

  /** A body already held, without rendering. */
  cached(day: number, timeInMs: boolean): RenderedDay | undefined {
    return this.bodies.get(`${day}:${timeInMs}`)
  }

  /**
   * The day's body, rendered on first use; undefined for days outside the dataset and once the
   * cap has refused the day.
   */
  get(day: number, timeInMs: boolean): Promise<RenderedDay | undefined> {
    if (day < this.ds.startDay || day >= this.ds.endDay) return Promise.resolve(undefined)
    const key = `${day}:${timeInMs}`
    const held = this.bodies.get(key)
    if (held !== undefined) return Promise.resolve(held)
    if (this.refused.has(key)) return Promise.resolve(undefined)
    let pending = this.rendering.get(key)
    if (pending === undefined) {
      if (this.bytes() >= this.maxBytes) {
        this.refuse(key)
        return Promise.resolve(undefined)
      }
      this.renders++
      const version = this.ds.late.version(day)
      pending = render(this.ds, day, timeInMs).then(
        (body) => {
          // a render that late events overtook answers its waiters and is not kept
          if (this.ds.late.version(day) !== version) return body
          this.rendering.delete(key)
          if (this.bytes() + body.plain.length + body.gzip.length > this.maxBytes) {
            this.refuse(key)
          } else {
            this.bodies.set(key, body)
            this.held = {
              lines: this.held.lines + body.lines,
              plainBytes: this.held.plainBytes + body.plain.length,
              gzipBytes: this.held.gzipBytes + body.gzip.length,
            }
          }
          // The requests waiting for this render are answered from it either way.
          return body
        },
        (e: unknown) => {
          if (this.rendering.get(key) === pending) this.rendering.delete(key)
          throw e
        },
      )
      this.rendering.set(key, pending)
    }
    return pending
  }

  stats(): PrerenderStats {
    return {
      bodies: this.bodies.size,
      renders: this.renders,
      ...this.held,
      overCap: this.overCap,
    }
  }

  clear(): void {
    this.bodies.clear()
    this.held = { lines: 0, plainBytes: 0, gzipBytes: 0 }
    this.unsubscribe()
  }

  /** Forgets a day's bodies (held, being rendered, or refused): its events changed. */
  invalidate(day: number): void {
    for (const timeInMs of [true, false]) {
      const key = `${day}:${timeInMs}`
      const body = this.bodies.get(key)
      if (body !== undefined) {
        this.bodies.delete(key)
        this.held = {
          lines: this.held.lines - body.lines,
          plainBytes: this.held.plainBytes - body.plain.length,
          gzipBytes: this.held.gzipBytes - body.gzip.length,
        }
      }
      this.rendering.delete(key)
      this.refused.delete(key)
    }
  }

  private bytes(): number {
    return this.held.plainBytes + this.held.gzipBytes
  }

  private refuse(key: string): void {
    this.refused.add(key)
    this.overCap++
  }
}
