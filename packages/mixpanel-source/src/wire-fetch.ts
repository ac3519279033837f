import * as http from "node:http"
import * as https from "node:https"
import { Readable } from "node:stream"

export interface WireFetch {
  readonly fetch: typeof globalThis.fetch
  readonly close: () => void
}

/**
 * A `fetch` over node:http(s) that hands the body over exactly as sent, still compressed.
 * Runtime fetch decompresses gzip leniently (a cut gzip stream reads as a short success), so
 * the export decodes bodies itself and so notices a missing gzip trailer. Also applies the
 * response and idle timeouts on real time, whatever Clock the caller's effects run on.
 *
 * Kept over `@effect/platform-node`'s `NodeHttpClient` (4.0.6) after measuring both on Node
 * 20.20 with gzip passed through: one prerendered simulator day of 400k events (67.1 MiB gzip,
 * 366.5 MiB of lines) served from another process, 11 interleaved runs each, client CPU time
 * (median / min) on the shared 2-core machine:
 *   raw gzip bytes into a sink      this fetch 144 / 107 ms   NodeHttpClient stream 191 / 141 ms
 *   gunzipped into a sink           this fetch 1573 / 1353 ms NodeHttpClient stream 1707 / 1490 ms
 * (a day of 200k events, 15 runs: raw 81 / 51 against 97 / 55, gunzipped 850 / 672 against
 * 818 / 705). Both hand the gzip bytes on untouched (the body starts 1f 8b). The client's public
 * body is an Effect stream; its Node response sits only behind internals. Its undici layer does
 * not load on Node 20 (undici 8 asks zlib for zstd), and its timeouts would run on the effects'
 * Clock, which tests and benchmarks speed up.
 */
export const makeWireFetch = (timeouts: {
  readonly responseMs: number
  readonly idleMs: number
}): WireFetch => {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY })
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY })

  const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url)
      const headers: Record<string, string> = {}
      const given = init?.headers
      if (given !== undefined) {
        const entries =
          given instanceof Headers
            ? [...given.entries()]
            : Array.isArray(given)
              ? given
              : Object.entries(given as Record<string, string>)
        for (const [k, v] of entries)
          if (typeof k === "string" && typeof v === "string") headers[k.toLowerCase()] = v
      }
      const raw = init?.body
      let body: Buffer | undefined
      if (typeof raw === "string") body = Buffer.from(raw)
      else if (raw instanceof Uint8Array) body = Buffer.from(raw.buffer, raw.byteOffset, raw.length)
      else if (raw instanceof URLSearchParams) {
        body = Buffer.from(raw.toString())
        headers["content-type"] ??= "application/x-www-form-urlencoded"
      } else if (raw !== undefined && raw !== null) {
        reject(new TypeError("unsupported request body"))
        return
      }
      if (body !== undefined) headers["content-length"] = String(body.length)
      const isHttps = url.protocol === "https:"
      const signal = init?.signal ?? undefined
      if (signal?.aborted) {
        reject(signal.reason ?? new Error("aborted"))
        return
      }
      const req = (isHttps ? https : http).request(url, {
        method: init?.method ?? "GET",
        headers,
        agent: isHttps ? httpsAgent : httpAgent,
      })
      let settled = false
      const responseTimer = setTimeout(() => {
        req.destroy(new Error(`no response within ${timeouts.responseMs} ms`))
      }, timeouts.responseMs)
      const onAbort = () => req.destroy(new Error("aborted"))
      signal?.addEventListener("abort", onAbort, { once: true })
      const cleanup = () => {
        clearTimeout(responseTimer)
        signal?.removeEventListener("abort", onAbort)
      }
      req.on("error", (error) => {
        cleanup()
        if (!settled) {
          settled = true
          reject(error)
        }
      })
      req.on("response", (res) => {
        clearTimeout(responseTimer)
        settled = true
        res.setTimeout(timeouts.idleMs, () =>
          res.destroy(new Error(`no data for ${timeouts.idleMs} ms`)),
        )
        res.on("close", cleanup)
        const responseHeaders = new Headers()
        for (const [k, v] of Object.entries(res.headers)) {
          if (Array.isArray(v)) for (const one of v) responseHeaders.append(k, one)
          else if (v !== undefined) responseHeaders.set(k, v)
        }
        const status = res.statusCode ?? 0
        const noBody = status === 204 || status === 304 || init?.method === "HEAD"
        if (noBody) res.resume()
        resolve(
          new Response(noBody ? null : (Readable.toWeb(res) as unknown as ReadableStream), {
            status,
            statusText: res.statusMessage ?? "",
            headers: responseHeaders,
          }),
        )
      })
      req.end(body)
    })

  return {
    fetch: fetch as typeof globalThis.fetch,
    close: () => {
      httpAgent.destroy()
      httpsAgent.destroy()
    },
  }
}
