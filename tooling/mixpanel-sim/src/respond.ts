import type { IncomingMessage, ServerResponse } from "node:http"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { createGzip, type Gzip } from "node:zlib"
import { STREAM_GZIP_LEVEL, sendFaultedBody } from "./body-faults.js"
import type { FaultSpec } from "./faults.js"
import { closed, pieces, writeOut } from "./write-out.js"

/** Mixpanel gzips a body once it is larger than about this many bytes. */
export const GZIP_THRESHOLD = 1400

export const acceptsGzip = (req: IncomingMessage): boolean =>
  /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))

/**
 * An error answer: `{"error":...,"status":"error"}`, or with `request` (the path and query
 * string) the query API's `{"request":...,"error":...}`.
 */
export const sendError = (
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
  request?: string,
): void => {
  const body = JSON.stringify(
    request === undefined ? { error: message, status: "error" } : { request, error: message },
  )
  if (res.headersSent) {
    res.destroy()
    return
  }
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...headers,
  })
  res.end(body)
}

/** A body: its plain bytes in chunks, and the same body gzipped when it was rendered ahead. */
export interface Body {
  readonly chunks: Iterable<string | Buffer>
  /** The whole body as one gzip stream, already in memory. */
  readonly gzip?: Buffer | undefined
}

/**
 * A gzip stream that accepts a megabyte ahead, so generating (this thread) and compressing (the
 * thread pool) overlap instead of taking turns at every chunk.
 */
const streamingGzip = (): Gzip => {
  const options = { level: STREAM_GZIP_LEVEL, chunkSize: 65_536, writableHighWaterMark: 1_048_576 }
  return createGzip(options)
}

const isBody = (b: Body | Iterable<string | Buffer>): b is Body =>
  typeof b === "object" && "chunks" in b

/**
 * Streams a 200 body: gzip when the client accepts it and the body exceeds the threshold (the
 * prerendered gzip when there is one, else streamed at a cheap level), and the body faults
 * (resets, truncations, trickles) applied on the way by `sendFaultedBody`, on the plain byte
 * stream whatever its origin.
 */
export const sendBody = async (
  req: IncomingMessage,
  res: ServerResponse,
  body: Body | Iterable<string | Buffer>,
  contentType: string,
  fault: FaultSpec | undefined,
): Promise<void> => {
  const source: Body = isBody(body) ? body : { chunks: body }
  const iterator = source.chunks[Symbol.iterator]()
  const kind = fault?.kind
  // Read ahead to the gzip threshold, and always one chunk more so the last chunk is known.
  const pending: Buffer[] = []
  let pendingBytes = 0
  let done = false
  const pull = (): Buffer | undefined => {
    if (done) return undefined
    const n = iterator.next()
    if (n.done) {
      done = true
      return undefined
    }
    return typeof n.value === "string" ? Buffer.from(n.value) : n.value
  }
  while (pendingBytes <= GZIP_THRESHOLD) {
    const b = pull()
    if (b === undefined) break
    if (b.length > 0) {
      pending.push(b)
      pendingBytes += b.length
    }
  }
  const next = (): Buffer | undefined => pending.shift() ?? pull()
  const gzip =
    acceptsGzip(req) && (pendingBytes > GZIP_THRESHOLD || (kind === "cut-gzip" && pendingBytes > 0))
  const plainFault = kind === "cut-gzip" && !gzip ? "cut-line" : kind
  const headers: Record<string, string | number> = { "content-type": contentType }
  if (gzip) headers["content-encoding"] = "gzip"
  if (done && !gzip && plainFault === undefined) {
    const whole = Buffer.concat(pending)
    headers["content-length"] = whole.length
    res.writeHead(200, headers)
    res.end(whole)
    return
  }
  res.writeHead(200, headers)
  if (fault !== undefined && plainFault !== undefined) {
    await sendFaultedBody(res, next, gzip, fault, plainFault)
    return
  }
  try {
    if (gzip && source.gzip !== undefined) {
      for (const b of pieces([source.gzip])) if (!(await writeOut(res, b))) return
    } else if (gzip) {
      // Let streams pipeline the generator, the compressor and the socket.
      async function* rest(): AsyncGenerator<Buffer> {
        for (let b = next(); b !== undefined; b = next()) yield b
      }
      await pipeline(Readable.from(rest()), streamingGzip(), res)
      return
    } else {
      for (let b = next(); b !== undefined; b = next()) if (!(await writeOut(res, b))) return
    }
    if (!closed(res)) res.end()
  } catch {
    res.destroy()
  }
}

/** Sends a JSON value as a body (through the same fault-aware writer). */
export const sendJsonBody = (
  req: IncomingMessage,
  res: ServerResponse,
  value: unknown,
  fault: FaultSpec | undefined,
): Promise<void> => sendBody(req, res, [JSON.stringify(value)], "application/json", fault)
