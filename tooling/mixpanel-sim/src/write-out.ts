import type { ServerResponse } from "node:http"

/** Size of the pieces a body held in memory goes out in. */
export const WRITE_CHUNK = 65_536

export const closed = (res: ServerResponse): boolean => res.destroyed || res.writableEnded

/** Writes respecting backpressure; resolves false once the client has gone. */
export const writeOut = (res: ServerResponse, data: Buffer | string): Promise<boolean> => {
  if (closed(res)) return Promise.resolve(false)
  if (res.write(data)) return Promise.resolve(true)
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off("drain", onDrain)
      res.off("close", onClose)
      resolve(ok)
    }
    const onDrain = () => done(true)
    const onClose = () => done(false)
    res.on("drain", onDrain)
    res.on("close", onClose)
  })
}

/** Resolves once everything written so far has been handed to the socket. */
export const flushed = (res: ServerResponse): Promise<void> =>
  new Promise((resolve) => {
    if (closed(res)) resolve()
    else res.write("", () => resolve())
  })

/** Buffers in memory cut into pieces of at most `size` bytes (views, not copies). */
export function* pieces(
  buffers: Iterable<Buffer>,
  size = WRITE_CHUNK,
): Generator<Buffer, void, undefined> {
  for (const b of buffers) for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size)
}
