import type { ServerResponse } from "node:http"
import { createGzip } from "node:zlib"
import type { FaultKind, FaultSpec } from "./faults.js"
import { closed, flushed, writeOut } from "./write-out.js"

/** Level of gzip made while streaming: cheap, as Mixpanel's own streaming compression. */
export const STREAM_GZIP_LEVEL = 1

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const TERMINATED = Buffer.from("terminated early\n")
/** What a cut-line fault sends when the body is empty. */
const CUT_EMPTY = Buffer.from('{"event":"')

/**
 * Sends a 200 body (headers already written) with a body fault applied. The faults are defined on
 * the plain byte stream, whatever its chunking or origin (generated, or rendered ahead):
 *
 * - `reset-mid-body`: the first `min(afterBytes, size - 1)` bytes, then the connection is reset.
 * - `terminated-early`: whole lines through the one holding byte `afterBytes - 1` (the whole
 *   body when shorter), then `terminated early\n`.
 * - `cut-line`: the same whole lines, then the first half of the following line; the first half of
 *   the last line when there is no following one.
 * - `cut-gzip` (gzip only): the compressed stream cut after `afterBytes` bytes, before its trailer.
 * - `slow-trickle`: the first `trickleBytes` encoded bytes in `pieceBytes` pieces every `tickMs`.
 *
 * `kind` is the fault after mapping (`cut-gzip` on a plain body is `cut-line`).
 */
export const sendFaultedBody = async (
  res: ServerResponse,
  next: () => Buffer | undefined,
  gzip: boolean,
  fault: FaultSpec,
  kind: FaultKind,
): Promise<void> => {
  const after = fault.afterBytes ?? 16_384
  res.flushHeaders()

  // Encoded stage: trickle, gzip truncation, backpressure.
  let encodedOut = 0
  let trickled = 0
  let stopped = false
  const trickleBytes = kind === "slow-trickle" ? (fault.trickleBytes ?? 4096) : 0
  const piece = fault.pieceBytes ?? 64
  const tick = fault.tickMs ?? 25
  let held: Buffer = Buffer.alloc(0)
  const emit = async (data: Buffer): Promise<boolean> => {
    if (stopped) return false
    if (kind === "cut-gzip") {
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

  const gz = gzip ? createGzip({ level: STREAM_GZIP_LEVEL }) : undefined
  const queue: Buffer[] = []
  gz?.on("data", (b: Buffer) => queue.push(b))
  const pump = async (): Promise<boolean> => {
    while (queue.length > 0) if (!(await emit(queue.shift()!))) return false
    return true
  }
  const write = async (data: Buffer): Promise<boolean> => {
    if (data.length === 0) return !closed(res) && !stopped
    if (!gz) return emit(data)
    await new Promise<void>((resolve, reject) => gz.write(data, (e) => (e ? reject(e) : resolve())))
    return pump()
  }
  const flushGzip = async (): Promise<void> => {
    if (!gz) return
    await new Promise<void>((resolve) => gz.flush(() => resolve()))
    await pump()
  }
  const finish = async (): Promise<void> => {
    if (closed(res)) return
    if (stopped) {
      res.end()
      return
    }
    if (gz) {
      const ended = new Promise<void>((resolve) => gz.once("end", () => resolve()))
      gz.end()
      await ended
      await pump()
    }
    if (!closed(res)) res.end()
  }
  const reset = async (): Promise<void> => {
    await flushGzip()
    await flushed(res)
    res.socket?.destroy()
    res.destroy()
  }

  try {
    if (kind === "reset-mid-body") {
      // Look one chunk ahead: the cut is at min(after, size - 1).
      let out = 0
      let cur = next()
      while (cur !== undefined) {
        const following = next()
        const last = following === undefined
        if (out + cur.length >= after || last) {
          const cut = last ? Math.min(after - out, cur.length - 1) : after - out
          await write(cur.subarray(0, Math.max(0, cut)))
          await reset()
          return
        }
        out += cur.length
        if (!(await write(cur))) break
        cur = following
      }
      if (cur === undefined) {
        await reset()
        return
      }
    } else if (kind === "terminated-early" || kind === "cut-line") {
      await cutLines(next, write, kind, after)
    } else {
      for (let c = next(); c !== undefined; c = next()) if (!(await write(c))) break
    }
    // Awaited here, inside the try, so the compressor is not destroyed before it has ended.
    await finish()
  } catch {
    res.destroy()
  } finally {
    if (gz && !gz.destroyed) gz.destroy()
  }
}

/**
 * The raw stage of `terminated-early` and `cut-line`: passes whole lines through until the line
 * holding byte `after - 1`, holding back only the line in progress (a body without newlines is
 * held whole, and such bodies are small).
 */
const cutLines = async (
  next: () => Buffer | undefined,
  write: (data: Buffer) => Promise<boolean>,
  kind: "terminated-early" | "cut-line",
  after: number,
): Promise<void> => {
  const target = Math.max(0, after - 1)
  let held: Buffer = Buffer.alloc(0)
  /** Absolute offset of `held[0]`, always the start of a line. */
  let base = 0
  /** Held index of the newline ending the line that holds byte `target`, once seen. */
  let crossEnd = -1
  let total = 0
  const lineStartBefore = (i: number): number => (i > 0 ? held.lastIndexOf(10, i - 1) + 1 : 0)
  const halve = (start: number, end: number): Buffer =>
    held.subarray(0, start + Math.max(1, Math.floor((end - start) / 2)))
  for (let c = next(); c !== undefined; c = next()) {
    if (c.length === 0) continue
    total += c.length
    held = held.length === 0 ? c : Buffer.concat([held, c])
    if (crossEnd < 0) {
      const from = target - base
      const i = from < held.length ? held.indexOf(10, from) : -1
      if (i < 0) {
        // Pass through the lines that end before the target byte, but the last of them: the
        // body may end with it, and then it is the line a cut-line fault halves.
        const lim = Math.min(from, held.length)
        const k1 = lim > 0 ? held.lastIndexOf(10, lim - 1) : -1
        const k = k1 > 0 ? held.lastIndexOf(10, k1 - 1) : -1
        if (k >= 0) {
          if (!(await write(held.subarray(0, k + 1)))) return
          held = held.subarray(k + 1)
          base += k + 1
        }
        continue
      }
      if (kind === "terminated-early") {
        if (await write(held.subarray(0, i + 1))) await write(TERMINATED)
        return
      }
      // Keep only the crossing line and what follows it.
      const start = lineStartBefore(i)
      if (start > 0) {
        if (!(await write(held.subarray(0, start)))) return
        held = held.subarray(start)
        base += start
      }
      crossEnd = i - start
    }
    const j = held.indexOf(10, crossEnd + 1)
    if (j >= 0) {
      await write(halve(crossEnd + 1, j))
      return
    }
  }
  if (total === 0) {
    await write(kind === "terminated-early" ? TERMINATED : CUT_EMPTY)
    return
  }
  if (crossEnd < 0) {
    // No newline at or after the target: the body's last byte ends the crossing line.
    if (kind === "terminated-early") {
      if (await write(held)) await write(TERMINATED)
      return
    }
    const end = held.length - 1
    await write(halve(lineStartBefore(end), end))
    return
  }
  // cut-line with no following line: the crossing line (held from its start) is halved.
  await write(halve(0, crossEnd))
}
