import type { SourceError } from "@mixpanel-data/core"
import { Clock, Effect, Option, Redacted } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest, HttpClientResponse } from "effect/http"
import type { ResolvedConfig } from "./config.js"
import { classifyStatus, networkFailure, retryAfterMs } from "./errors.js"
import { CurrentSlot, type Transient } from "./scheduler.js"
import type { WireFetch } from "./wire-fetch.js"

export type Params = Readonly<Record<string, string | undefined>>

export interface Api {
  /** Sends one request; any status but 200 fails (classified). The body is not yet read. */
  readonly send: (request: {
    readonly host: "export" | "query"
    readonly method: "GET" | "POST"
    readonly path: string
    readonly params?: Params
    readonly form?: Params
    readonly gzip?: boolean
  }) => Effect.Effect<Response, SourceError | Transient>
  /** The body of a successful answer as text. */
  readonly text: (response: Response) => Effect.Effect<string, Transient>
}

const defined = (params: Params | undefined): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined) out[k] = v
  return out
}

/**
 * Mixpanel over Effect's fetch-based client, on a fetch that keeps bodies as sent (measured
 * against `NodeHttpClient`: see `makeWireFetch`).
 */
export const makeApi = (config: ResolvedConfig, wire: WireFetch): Effect.Effect<Api> =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient.pipe(Effect.provide(FetchHttpClient.layer))
    const credentials = config.credentials
    // the one place the secret is unwrapped: the header, itself kept redacted until sent
    const authorization = Redacted.make(
      `Basic ${Buffer.from(
        credentials._tag === "ServiceAccount"
          ? `${credentials.username}:${Redacted.value(credentials.secret)}`
          : `${Redacted.value(credentials.secret)}:`,
      ).toString("base64")}`,
    )
    const projectId = credentials.projectId

    const readText = (response: Response) =>
      Effect.tryPromise({
        try: () => response.text(),
        catch: networkFailure,
      })

    const send: Api["send"] = (request) =>
      Effect.gen(function* () {
        const host = request.host === "export" ? config.exportHost : config.queryHost
        const params = defined({ ...request.params, project_id: projectId })
        let req = HttpClientRequest.make(request.method)(`${host}${request.path}`).pipe(
          HttpClientRequest.setUrlParams(params),
          HttpClientRequest.setHeader("authorization", Redacted.value(authorization)),
          HttpClientRequest.setHeader("accept", request.gzip ? "text/plain" : "application/json"),
        )
        if (request.gzip) req = HttpClientRequest.setHeader(req, "accept-encoding", "gzip")
        if (request.form !== undefined) {
          req = HttpClientRequest.bodyUrlParams(req, defined(request.form))
        }
        const response = yield* client
          .execute(req)
          .pipe(
            Effect.provideService(FetchHttpClient.Fetch, wire.fetch),
            Effect.mapError(networkFailure),
          )
        const slot = yield* CurrentSlot
        if (slot !== undefined) slot.answered(yield* Clock.currentTimeMillis)
        const web = Option.getOrUndefined(HttpClientResponse.toWeb(response))
        if (web === undefined) return yield* Effect.die(new Error("fetch response expected"))
        if (web.status === 200) return web
        const text = yield* readText(web).pipe(Effect.orElseSucceed(() => ""))
        const now = yield* Clock.currentTimeMillis
        const failure = classifyStatus(
          web.status,
          text,
          retryAfterMs(web.headers.get("retry-after") ?? undefined, now),
        )
        return yield* Effect.fail(failure)
      })

    return { send, text: readText }
  })
