import { request } from "node:http"
import { gunzipSync } from "node:zlib"
import { eventChecksum, type Simulator, simDerivedInsertId } from "../src/index.js"

export const basic = (user: string, pass: string): string =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`

export const AUTH = basic("sim-user", "sim-secret")

export interface RawResponse {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  /** Bytes as sent (still gzipped when the server gzipped). */
  readonly body: Buffer
  /** Set when the connection failed mid-body. */
  readonly error?: string
}

/** A GET or POST with node:http, returning raw bytes and never throwing on a broken body. */
export const raw = (
  sim: Simulator,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const req = request(
      `${sim.url}${path}`,
      { method: opts.method ?? "GET", headers: { authorization: AUTH, ...opts.headers } },
      (res) => {
        const parts: Buffer[] = []
        let done = false
        const finish = (error?: string) => {
          if (done) return
          done = true
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts),
            ...(error ? { error } : {}),
          })
        }
        res.on("data", (b: Buffer) => parts.push(b))
        res.on("end", () => finish())
        res.on("error", (e) => finish(e.message))
        res.on("aborted", () => finish("aborted"))
        res.on("close", () => finish(res.complete ? undefined : "incomplete"))
      },
    )
    req.on("error", reject)
    if (opts.body !== undefined) req.end(opts.body)
    else req.end()
  })

export const exportPath = (params: Record<string, string>): string =>
  `/api/2.0/export?${new URLSearchParams({ project_id: "1", ...params })}`

/** Export body as text (gunzipped when needed). */
export const exportText = async (
  sim: Simulator,
  params: Record<string, string>,
  gzip = false,
): Promise<string> => {
  const r = await raw(sim, exportPath(params), {
    headers: gzip ? { "accept-encoding": "gzip" } : {},
  })
  if (r.status !== 200) throw new Error(`export ${r.status}: ${r.body.toString()}`)
  return (r.headers["content-encoding"] === "gzip" ? gunzipSync(r.body) : r.body).toString("utf8")
}

export interface Line {
  event: string
  properties: Record<string, unknown> & {
    time: number
    distinct_id: string
    $insert_id?: string
    mp_processing_time_ms: number
  }
}

export const parseLines = (text: string): Line[] =>
  text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Line)

/** What a correct client does: dedupe on Mixpanel's 4-tuple, derive missing insert ids. */
export const naiveTruth = (lines: ReadonlyArray<Line>, toUtcMs: (time: number) => number) => {
  const seen = new Map<
    string,
    { eventName: string; distinctId: string; timeMs: number; insertId: string }
  >()
  for (const l of lines) {
    const timeMs = toUtcMs(l.properties.time)
    const insertId =
      l.properties.$insert_id ??
      simDerivedInsertId(l.event, l.properties.distinct_id, timeMs, l.properties)
    const key = `${l.event}\u001f${l.properties.distinct_id}\u001f${timeMs}\u001f${insertId}`
    seen.set(key, { eventName: l.event, distinctId: l.properties.distinct_id, timeMs, insertId })
  }
  return { count: seen.size, checksum: eventChecksum(seen.values()) }
}

export const engage = async (
  sim: Simulator,
  form: Record<string, string>,
  path = "/api/query/engage",
): Promise<{ status: number; json: any; text: string }> => {
  const r = await raw(sim, `${path}?project_id=1`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  })
  const text = r.body.toString("utf8")
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: r.status, json, text }
}
