import { createReadStream } from "node:fs"
import { InvalidSourceInput, LineSplitter } from "@mixpanel-data/core"
import { Stream } from "effect"
import { SOURCE } from "./errors.js"

/** The lines of a spooled day, each turned into a value (null skips it). */
export const readSpooled = <A>(
  path: string,
  f: (line: string) => A | null,
): Stream.Stream<A, InvalidSourceInput> =>
  Stream.suspend(() => {
    const splitter = new LineSplitter()
    const take = (out: Array<A>) => (buf: Buffer, start: number, end: number) => {
      if (end <= start) return
      const value = f(buf.toString("utf8", start, end))
      if (value !== null) out.push(value)
    }
    const chunks = Stream.fromAsyncIterable(
      createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>,
      (cause) => new InvalidSourceInput({ source: SOURCE, file: path, reason: String(cause) }),
    )
    return Stream.concat(
      chunks.pipe(
        Stream.map((chunk) => {
          const out: Array<A> = []
          splitter.push(chunk, take(out))
          return out
        }),
      ),
      Stream.sync(() => {
        const out: Array<A> = []
        const rest = splitter.finish()
        if (rest !== null) take(out)(rest, 0, rest.length)
        return out
      }),
    ).pipe(Stream.flattenIterable)
  })
