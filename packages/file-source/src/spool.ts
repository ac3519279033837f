import { createWriteStream } from "node:fs"
import { rm } from "node:fs/promises"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { Effect } from "effect"
import { type ByteCounter, openBytes } from "./bytes.js"
import { openInside } from "./confine.js"
import type { Input } from "./inputs.js"

export interface SpoolOptions {
  readonly stdin: () => NodeJS.ReadableStream
  /** Raw (possibly compressed) bytes read, across inputs. */
  readonly counter: ByteCounter
  /** The folder every file read must really lie in (see `openInside`). */
  readonly within?: string
}

/** Where a spool failed: writing the spool file (not the input's fault). */
export class SpoolWriteError extends Error {
  constructor(readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error))
  }
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf])

/** The chunks without a UTF-8 byte-order mark at the very start (some editors write one). */
async function* withoutBom(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let head: Buffer = Buffer.alloc(0)
  let checked = false
  for await (const chunk of chunks) {
    if (checked) {
      yield chunk
      continue
    }
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk])
    if (head.length < BOM.length && BOM.subarray(0, head.length).equals(head)) continue
    checked = true
    yield head.subarray(0, BOM.length).equals(BOM) ? head.subarray(BOM.length) : head
  }
  if (!checked && head.length > 0 && !BOM.subarray(0, head.length).equals(head)) yield head
}

/**
 * Runs `run` and resumes with its outcome; an interrupt aborts it and waits until it has
 * settled (so nothing is still writing when the caller cleans up).
 */
const untilSettled = <A, E>(
  run: (signal: AbortSignal) => Promise<A>,
  onError: (error: unknown) => E,
): Effect.Effect<A, E> =>
  Effect.callback<A, E>((resume) => {
    const controller = new AbortController()
    const done = run(controller.signal)
    done.then(
      (a) => resume(Effect.succeed(a)),
      (error) => resume(Effect.suspend(() => Effect.fail(onError(error)))),
    )
    return Effect.promise(() => {
      controller.abort()
      return done.then(
        () => undefined,
        () => undefined,
      )
    })
  })

/**
 * Copies an input's bytes (gunzipped when gzip, without a byte-order mark) to `path` as they
 * are, with backpressure: memory stays constant whatever the input's size. For what DuckDB
 * cannot read in place: standard input, and files that start with a byte-order mark. Blank and
 * bad lines are kept as they are, so line N of the copy is line N of the input. A failure or
 * interrupt deletes the file.
 */
export const spoolInput = (
  input: Input,
  path: string,
  options: SpoolOptions,
): Effect.Effect<void, unknown> =>
  untilSettled(
    async (signal) => {
      const out = createWriteStream(path)
      const bytes = Readable.from(
        withoutBom(openBytes(input, options.stdin, options.counter, options.within)),
        {
          objectMode: false,
        },
      )
      // a failing stream emits its error first; the pipeline then destroys the others with it
      let failedFirst: unknown
      for (const stream of [bytes, out]) {
        stream.once("error", () => {
          failedFirst ??= stream
        })
      }
      try {
        await pipeline(bytes, out, { signal })
      } catch (error) {
        if (!out.closed) await new Promise<void>((resolve) => out.once("close", () => resolve()))
        throw failedFirst === out ? new SpoolWriteError(error) : error
      }
    },
    (error) => error,
  ).pipe(
    Effect.onExit((exit) =>
      exit._tag === "Success" ? Effect.void : Effect.promise(() => rm(path, { force: true })),
    ),
  )

/** How a file on disk can be read: compressed or not, and whether it starts with a BOM. */
export interface FileShape {
  readonly gzip: boolean
  readonly bom: boolean
}

/**
 * Reads the start of a file to learn its shape. A gzip file is read through to its end, in
 * constant memory: DuckDB loads a gzip stream cut short (a partial download) up to the cut
 * without a word, so a cut or corrupt stream is refused here, before any of it is loaded
 * (inflating takes a small fraction of the load's time). With `within`, only a file that really
 * lies inside that folder is read (see `openInside`).
 */
export const fileShape = (path: string, within?: string): Effect.Effect<FileShape, unknown> =>
  Effect.tryPromise({
    try: async (signal) => {
      const head = await readHead(path, within)
      const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b
      if (!gzip) return { gzip, bom: head.equals(BOM) }
      const bytes = openBytes({ _tag: "File", path }, () => process.stdin, { bytes: 0 }, within)
      let start: Buffer = Buffer.alloc(0)
      try {
        for await (const chunk of bytes) {
          if (signal.aborted) break
          if (start.length < BOM.length) start = Buffer.concat([start, chunk])
        }
      } finally {
        await bytes.return(undefined)
      }
      return { gzip, bom: start.subarray(0, BOM.length).equals(BOM) }
    },
    catch: (error) => error,
  })

/** The first bytes of a file (as many as a BOM has, or fewer when it is shorter). */
const readHead = async (path: string, within: string | undefined): Promise<Buffer> => {
  const file = await openInside(path, within)
  try {
    const buf = Buffer.alloc(BOM.length)
    const { bytesRead } = await file.read(buf, 0, BOM.length, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await file.close()
  }
}
