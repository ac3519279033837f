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
