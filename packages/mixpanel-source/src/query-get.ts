import { ServerError, type SourceError } from "@mixpanel-data/core"
import { Effect } from "effect"
import type { Api, Params } from "./api.js"
import { SOURCE } from "./errors.js"
import { type Scheduler, Transient } from "./scheduler.js"

/** One request to the query API and its answer, parsed from JSON. */
export type QueryGet = (request: {
  readonly method?: "GET" | "POST"
  readonly path: string
  readonly params: Params
  /** The span the request is traced under. */
  readonly span: string
}) => Effect.Effect<unknown, SourceError>

/**
 * The query API's one way to ask: every request through the query scheduler (its hourly and
 * concurrent limits, Retry-After and backoff), the answer parsed as JSON. An answer that is not
 * JSON (cut in transit) is retried; after the retries it fails naming the endpoint.
 */
export const makeQueryGet =
  (api: Api, scheduler: Scheduler): QueryGet =>
  ({ method = "GET", path, params, span }) =>
    scheduler
      .run(
        path,
        Effect.gen(function* () {
          const response = yield* api.send({ host: "query", method, path, params })
          const text = yield* api.text(response)
          try {
            return JSON.parse(text) as unknown
          } catch {
            return yield* Effect.fail(
              new Transient({
                error: new ServerError({
                  source: SOURCE,
                  status: 200,
                  body: `unreadable answer from ${path}: ${text.slice(0, 500)}`,
                }),
                reason: `unreadable answer from ${path}`,
              }),
            )
          }
        }),
      )
      .pipe(Effect.withSpan(span, { attributes: { path } }))

/** A readable answer in a shape the endpoint does not give: a final error naming it. */
export const unexpectedAnswer = (path: string, reason: string): ServerError =>
  new ServerError({
    source: SOURCE,
    status: 200,
    body: `unexpected answer from ${path}: ${reason}`,
  })
