import { createWriteStream } from "node:fs"
import { rm } from "node:fs/promises"
import { join } from "node:path"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { createGunzip } from "node:zlib"
import { type EventsRequest, IncompleteExport, type SourceError } from "@mixpanel-data/core"
import { Effect } from "effect"
import type { Api } from "./api.js"
import { describeCause, SOURCE } from "./errors.js"
import { ExportLines, IncompleteBody } from "./export-lines.js"
import { type Scheduler, Transient } from "./scheduler.js"

/** One whole day of export lines on disk, exactly as Mixpanel sent them (gunzipped). */
export interface SpooledDay {
  readonly day: string
  readonly path: string
  /** Event lines in the file (blank lines aside). */
  readonly rows: number
  readonly bytes: number
}

export interface SpoolOptions {
  readonly spoolDir: string
  /** Files written and not yet handed on: deleted by whoever owns the set on failure. */
  readonly pending: Set<string>
  readonly onProgress: (rows: number, bytes: number) => void
}

let sequence = 0

/** Gunzip output pieces: fewer, larger chunks through the checker and the file. */
const GUNZIP_CHUNK = 256 << 10

const exportParams = (request: EventsRequest, day: string) => ({
  from_date: day,
  to_date: day,
  time_in_ms: "true",
  event:
    request.events !== undefined && request.events.length > 0
      ? JSON.stringify(request.events)
      : undefined,
  where: request.where,
  limit: request.limit === undefined ? undefined : String(request.limit),
})

const removeFile = (path: string, pending: Set<string>) =>
  Effect.promise(() => rm(path, { force: true })).pipe(
    Effect.ensuring(Effect.sync(() => pending.delete(path))),
  )

/** Local disk trouble is no reason to ask Mixpanel again. */
const isDiskError = (error: unknown): boolean => {
  const e = error as { syscall?: unknown; code?: unknown }
  return (
    e?.syscall === "open" ||
    e?.syscall === "write" ||
    e?.code === "ENOSPC" ||
    e?.code === "EROFS" ||
    e?.code === "EACCES"
  )
}

/**
 * One day of `/api/2.0/export`, gzipped, gunzipped off the main thread and streamed through the
 * body checker into a JSONL file, byte for byte as sent (DuckDB parses it once, on load).
 * The whole day is one request: any failure deletes the partial file and the scheduler asks
 * for the whole day again. Succeeds only with a complete day on disk.
 */
export const spoolDay = (
  api: Api,
  scheduler: Scheduler,
  request: EventsRequest,
  day: string,
  options: SpoolOptions,
): Effect.Effect<SpooledDay, SourceError> => {
  const chunk = `${day}`
  const attempt = Effect.gen(function* () {
    const response = yield* api.send({
      host: "export",
      method: "GET",
      path: "/api/2.0/export",
      params: exportParams(request, day),
      gzip: true,
    })
    const path = join(
      options.spoolDir,
      `mp-export-${day}-${process.pid}-${++sequence}-${Date.now().toString(36)}.jsonl`,
    )
    options.pending.add(path)
    const lines = new ExportLines({ onProgress: options.onProgress })
    const encoding = (response.headers.get("content-encoding") ?? "").toLowerCase()
    const body = response.body
    const written = Effect.tryPromise({
      try: async (signal) => {
        const out = createWriteStream(path)
        if (body === null) {
          await pipeline(Readable.from([]), lines, out, { signal })
          return
        }
        const source = Readable.fromWeb(body as never)
        if (encoding.includes("gzip")) {
          await pipeline(source, createGunzip({ chunkSize: GUNZIP_CHUNK }), lines, out, { signal })
        } else {
          await pipeline(source, lines, out, { signal })
        }
      },
      catch: (error): SourceError | Transient => {
        const reason =
          error instanceof IncompleteBody
            ? error.message
            : `the body broke off: ${describeCause(error)}`
        const incomplete = new IncompleteExport({ source: SOURCE, chunk, reason })
        if (isDiskError(error)) {
          return new IncompleteExport({
            source: SOURCE,
            chunk,
            reason: `cannot write ${options.spoolDir}: ${describeCause(error)}`,
          })
        }
        return new Transient({ error: incomplete, reason })
      },
    })
    yield* written.pipe(
      Effect.onExit((exit) =>
        exit._tag === "Success" ? Effect.void : removeFile(path, options.pending),
      ),
    )
    return { day, path, rows: lines.rows, bytes: lines.bytes }
  })
  return scheduler
    .run(`export ${day}`, attempt)
    .pipe(Effect.withSpan("MixpanelSource.exportDay", { attributes: { day } }))
}
