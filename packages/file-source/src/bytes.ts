import { Readable } from "node:stream"
import { createGunzip } from "node:zlib"
import { openInside } from "./confine.js"
import type { Input } from "./inputs.js"

/** Counts raw (possibly compressed) bytes as they are read, for progress. */
export interface ByteCounter {
  bytes: number
}

const GZIP_MAGIC_0 = 0x1f
const GZIP_MAGIC_1 = 0x8b

/**
 * The decompressed bytes of an input, pulled on demand (bounded memory). Gzip is recognised by
 * its magic bytes, not the file name; concatenated gzip members are read through. With `within`,
 * a file is read only if it really lies inside that folder (see `openInside`).
 */
export async function* openBytes(
  input: Input,
  stdin: () => NodeJS.ReadableStream,
  counter: ByteCounter,
  within?: string,
): AsyncGenerator<Buffer> {
  const raw: NodeJS.ReadableStream =
    input._tag === "File"
      ? (await openInside(input.path, within)).createReadStream({ highWaterMark: 1 << 18 })
      : stdin()
  const source = counted(raw, counter)
  let head: Buffer = Buffer.alloc(0)
  for (;;) {
    if (head.length >= 2) break
    const next = await source.next()
    if (next.done) break
    head = head.length === 0 ? next.value : Buffer.concat([head, next.value])
  }
  if (head.length === 0) return
  const replay = (async function* () {
    yield head
    yield* source
  })()
  if (head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1) {
    const gunzip = Readable.from(replay).pipe(createGunzip({ chunkSize: 1 << 18 }))
    try {
      for await (const chunk of gunzip) yield chunk as Buffer
    } finally {
      gunzip.destroy()
    }
  } else {
    yield* replay
  }
}

async function* counted(raw: NodeJS.ReadableStream, counter: ByteCounter): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of raw) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer)
      counter.bytes += buf.length
      yield buf
    }
  } finally {
    if (raw !== process.stdin && "destroy" in raw && typeof raw.destroy === "function") {
      raw.destroy()
    }
  }
}
