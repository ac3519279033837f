import type { IncomingMessage, ServerResponse } from "node:http"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { createGzip } from "node:zlib"
import type { FaultSpec } from "./faults.js"

/** Mixpanel gzips a body once it is larger than about this many bytes. */
export const GZIP_THRESHOLD = 1400

export const acceptsGzip = (req: IncomingMessage): boolean =>
  /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))

export const sendError = (
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void => {
  const body = JSON.stringify({ error: message, status: "error" })
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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const closed = (res: ServerResponse): boolean => res.destroyed || res.writableEnded

/** Writes respecting backpressure; resolves false once the client has gone. */
const writeOut = (res: ServerResponse, data: Buffer | string): Promise<boolean> => {
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

const flushed = (res: ServerResponse): Promise<void> =>
  new Promise((resolve) => {
    if (closed(res)) resolve()
    else res.write("", () => resolve())
  })

/**
 * Streams a 200 body made of text chunks: gzip (level 1) when the client accepts it and the body
 * exceeds the threshold, and the body faults (resets, truncations, trickles) applied on the way.
 */
export const sendBody = async (
  req: IncomingMessage,
  res: ServerResponse,
  chunks: Iterable<string | Buffer>,
  contentType: string,
  fault: FaultSpec | undefined,
): Promise<void> => {
  const iterator = chunks[Symbol.iterator]()
  const kind = fault?.kind
  const after = fault?.afterBytes ?? 16_384
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
  const gzip =
    acceptsGzip(req) && (pendingBytes > GZIP_THRESHOLD || (kind === "cut-gzip" && pendingBytes > 0))
  const plainFault = kind === "cut-gzip" && !gzip ? "cut-line" : kind
  const headers: Record<string, string | number> = { "content-type": contentType }
  if (gzip) headers["content-encoding"] = "gzip"
  if (done && !gzip && plainFault === undefined) {
    const body = Buffer.concat(pending)
    headers["content-length"] = body.length
    res.writeHead(200, headers)
    res.end(body)
    return
  }
  res.writeHead(200, headers)
  if (kind === undefined) {
    // No fault: let streams pipeline the generator, the compressor and the socket.
    async function* rest(): AsyncGenerator<Buffer> {
      yield* pending
      for (let b = pull(); b !== undefined; b = pull()) yield b
    }
    try {
      if (gzip) await pipeline(Readable.from(rest()), createGzip({ level: 1 }), res)
      else await pipeline(Readable.from(rest()), res)
    } catch {
      res.destroy()
    }
    return
  }
  res.flushHeaders()

  // Encoded stage: trickle, gzip truncation, backpressure.
  let encodedOut = 0
  let trickled = 0
  let stopped = false
  const trickleBytes = kind === "slow-trickle" ? (fault?.trickleBytes ?? 4096) : 0
  const piece = fault?.pieceBytes ?? 64
  const tick = fault?.tickMs ?? 25
  let held: Buffer = Buffer.alloc(0)
  const emit = async (data: Buffer): Promise<boolean> => {
    if (stopped) return false
    if (kind === "cut-gzip" && gzip) {
      // Hold back the tail so the stream can always be cut before the trailer.
      data = Buffer.concat([held, data])
      if (encodedOut + data.length > after) {
        const keep = Math.max(0, after - encodedOut)
        await writeOut(res, data.subarray(0, keep))
        stopped = true
        return false
      }
      held = data.subarray(Math.max(0, data.length - 16))
      data = data.subarray(0, Math.max(0, data.length - 16))
    }
    while (trickled < trickleBytes && data.length > 0) {
      const n = Math.min(piece, trickleBytes - trickled, data.length)
      if (!(await writeOut(res, data.subarray(0, n)))) return false
      await flushed(res)
      trickled += n
      encodedOut += n
      data = data.subarray(n)
      await sleep(tick)
    }
    if (data.length === 0) return !closed(res)
    encodedOut += data.length
    return writeOut(res, data)
  }

  const gz = gzip ? createGzip({ level: 1 }) : undefined
  const queue: Buffer[] = []
  gz?.on("data", (b: Buffer) => queue.push(b))
  const pump = async (): Promise<boolean> => {
    while (queue.length > 0) if (!(await emit(queue.shift()!))) return false
    return true
  }
  const write = async (data: Buffer): Promise<boolean> => {
    if (data.length === 0) return true
    if (!gz) return emit(data)
    await new Promise<void>((resolve, reject) => gz.write(data, (e) => (e ? reject(e) : resolve())))
    return pump()
  }
  const finish = async (): Promise<void> => {
    if (gz) {
      const ended = new Promise<void>((resolve) => gz.once("end", () => resolve()))
      gz.end()
      await ended
      await pump()
    }
    if (!closed(res)) res.end()
  }
  const flushGzip = async (): Promise<void> => {
    if (!gz) return
    await new Promise<void>((resolve) => gz.flush(() => resolve()))
    await pump()
  }

  // Raw stage: the body faults that cut the text itself.
  let rawOut = 0
  let applied = false
  try {
    for (;;) {
      let chunk = pending.shift()
      if (chunk === undefined) chunk = pull()
      if (chunk === undefined) break
      if (pending.length === 0) {
        const next = pull()
        if (next !== undefined) pending.push(next)
      }
      const last = done && pending.length === 0
      const cutHere =
        plainFault === "reset-mid-body" ||
        plainFault === "terminated-early" ||
        plainFault === "cut-line"
          ? rawOut + chunk.length >= after || last
          : false
      if (!cutHere) {
        rawOut += chunk.length
        if (!(await write(chunk))) break
        continue
      }
      applied = true
      const at = Math.min(Math.max(0, after - rawOut), chunk.length)
      if (plainFault === "reset-mid-body") {
        const cut = Math.min(at, Math.max(0, chunk.length - 1))
        await write(chunk.subarray(0, cut))
        await flushGzip()
        await flushed(res)
        res.socket?.destroy()
        res.destroy()
        return
      }
      // Line-aligned prefix: up to the end of the line that crosses `at`.
      let nl = chunk.indexOf(10, at > 0 ? at - 1 : 0)
      if (nl < 0) nl = chunk.length - 1
      if (plainFault === "terminated-early") {
        await write(chunk.subarray(0, nl + 1))
        await write(Buffer.from("terminated early\n"))
      } else {
        // cut-line: whole lines, then the first half of the following line (or of the last one).
        let start = nl + 1
        let end = chunk.indexOf(10, start)
        if (start >= chunk.length || end < 0) {
          end = nl
          start = chunk.lastIndexOf(10, nl - 1) + 1
        }
        const half = start + Math.max(1, Math.floor((end - start) / 2))
        await write(chunk.subarray(0, half))
      }
      break
    }
    if (!applied && !stopped && !closed(res)) {
      // An empty body still shows the fault.
      if (plainFault === "reset-mid-body") {
        await flushed(res)
        res.socket?.destroy()
        res.destroy()
        return
      }
      if (plainFault === "terminated-early") await write(Buffer.from("terminated early\n"))
      if (plainFault === "cut-line") await write(Buffer.from('{"event":"'))
    }
    if (closed(res)) return
    if (!stopped) await finish()
    else {
      gz?.destroy()
      res.end()
    }
  } catch {
    res.destroy()
  } finally {
    if (gz && !gz.destroyed) gz.destroy()
  }
}

/** Sends a JSON value as a body (through the same fault-aware writer). */
export const sendJsonBody = (
  req: IncomingMessage,
  res: ServerResponse,
  value: unknown,
  fault: FaultSpec | undefined,
): Promise<void> => sendBody(req, res, [JSON.stringify(value)], "application/json", fault)
