import { createWriteStream } from "node:fs"
import { rm } from "node:fs/promises"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { copiesPathFor, EventLines, type FirstSeen, type SpooledLines } from "@mixpanel-data/core"
import { Effect } from "effect"
import { type ByteCounter, openBytes } from "./bytes.js"
import type { Input } from "./inputs.js"

export interface SpoolOptions {
  readonly stdin: () => NodeJS.ReadableStream
  readonly timeZone: string | undefined
  /** Raw (possibly compressed) bytes read, across inputs. */
  readonly counter: ByteCounter
  /** Rows and bytes written since the last call. */
  readonly onProgress: (rows: number, bytes: number) => void
  /** One key filter for every input of a load, so copies across files are found too. */
  readonly seen: FirstSeen
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
 * Streams an input's bytes (gunzipped when gzip) through core's `EventLines` into `path`, with
 * backpressure: memory stays constant whatever the input's size. Lines that are not JSON
 * objects fail with a `LineProblem`; blank lines are kept (as empty lines) so that line N of the
 * spool file is line N of the input. A failure or interrupt deletes the file.
 */
export const spoolInput = (
  input: Input,
  path: string,
  options: SpoolOptions,
): Effect.Effect<SpooledLines, unknown> =>
  Effect.suspend(() => {
    const copies = copiesPathFor(path)
    const lines = new EventLines({
      derive: true,
      timeUnit: "auto",
      timeZone: options.timeZone,
      keepBlankLines: true,
      onProgress: options.onProgress,
      copies,
      seen: options.seen,
    })
    const write = untilSettled(
      async (signal) => {
        const out = createWriteStream(path)
        const bytes = Readable.from(withoutBom(openBytes(input, options.stdin, options.counter)), {
          objectMode: false,
        })
        // a failing stream emits its error first; the pipeline then destroys the others with it
        let failedFirst: unknown
        for (const stream of [bytes, lines, out]) {
          stream.once("error", () => {
            failedFirst ??= stream
          })
        }
        try {
          await pipeline(bytes, lines, out, { signal })
        } catch (error) {
          if (!out.closed) await new Promise<void>((resolve) => out.once("close", () => resolve()))
          throw failedFirst === out ? new SpoolWriteError(error) : error
        }
      },
      (error) => error,
    )
    return write.pipe(
      Effect.onExit((exit) =>
        exit._tag === "Success"
          ? Effect.void
          : Effect.promise(() =>
              Promise.all([path, copies].map((p) => rm(p, { force: true }).catch(() => undefined))),
            ),
      ),
      Effect.map(() => lines.spooled(path)),
    )
  })
