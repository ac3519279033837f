import {
  contentTypes,
  parseTextFormat,
  type RowsAnswer,
  readRows,
  SqlGuard,
  Storage,
  type TextFormat,
} from "@mixpanel-data/core"
import { Context, Effect, Layer, Pull, type Scope, Stream } from "effect"
import { HttpEffect, HttpServerResponse } from "effect/http"
import type { QueryRequest } from "./Api.js"
import {
  type ForbiddenStatement,
  type QueryError,
  QueryTimeout,
  type StorageFailure,
} from "./errors.js"
import { ServerConfig } from "./ServerConfig.js"
import { mapGuardError, mapStorageError } from "./storage-errors.js"

export type QueryFailure = ForbiddenStatement | QueryError | QueryTimeout | StorageFailure

export interface QueryRunnerShape {
  /** JSON answers come back as values; ndjson and csv as streaming responses. */
  readonly run: (
    request: QueryRequest,
  ) => Effect.Effect<RowsAnswer | HttpServerResponse.HttpServerResponse, QueryFailure, Scope.Scope>
}

/** Runs checked, read-only SQL with a time limit, collecting or streaming the answer. */
export class QueryRunner extends Context.Service<QueryRunner, QueryRunnerShape>()(
  "@mixpanel-data/server/QueryRunner",
) {}

/** Inside a query every table problem is DuckDB's to report: it is a query error. */
export const make = Effect.gen(function* () {
  const storage = yield* Storage
  const guard = yield* SqlGuard
  const config = yield* ServerConfig
  const timeoutMs = config.options.queryTimeoutMs

  const timedOut = () =>
    Effect.fail(
      new QueryTimeout({
        message: `The query ran longer than ${timeoutMs} ms and was cancelled.`,
        timeoutMs,
      }),
    )
  const withTimeout = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.timeoutOrElse(effect, { duration: timeoutMs, orElse: timedOut })

  const json = (request: QueryRequest): Effect.Effect<RowsAnswer, QueryFailure> =>
    withTimeout(
      readRows(request.sql, request.params ?? [], request.limit ?? config.options.maxRows).pipe(
        Effect.provideService(Storage, storage),
        mapStorageError,
      ),
    )

  /**
   * Streams the answer as DuckDB renders it (`storage.openText`). The query starts and its
   * first chunk is pulled before the response begins, so a bad or slow query still answers
   * 400 / 408; later pulls are timed one by one and the connection is dropped if one stalls.
   * The request scope (holding the DuckDB connection) closes when the body ends or the client
   * goes away, which cancels the query.
   */
  const streamed = (request: QueryRequest, format: Exclude<TextFormat, "json">) =>
    Effect.gen(function* () {
      const { text } = yield* withTimeout(
        storage
          .openText(request.sql, format, request.params ?? [], {
            ...(request.limit === undefined ? {} : { limit: request.limit }),
          })
          .pipe(mapStorageError),
      )
      const pull = yield* Stream.toPull(text)
      const first = yield* withTimeout(
        pull.pipe(
          Pull.catchDone(() => Effect.succeed(undefined)),
          mapStorageError,
        ),
      )
      const body =
        first === undefined
          ? Stream.empty
          : Stream.concat(
              Stream.fromIterable(first),
              Stream.fromPull(Effect.succeed(pull)).pipe(
                Stream.timeoutOrElse({
                  duration: timeoutMs,
                  orElse: () => Stream.fromEffect(timedOut()),
                }),
              ),
            )
      return HttpEffect.scopeTransferToStream(
        HttpServerResponse.stream(body, { contentType: contentTypes[format] }),
      )
    })

  /** The SQL guard judges the user's statement before anything wraps or runs it. */
  const run = (request: QueryRequest) =>
    Effect.gen(function* () {
      yield* mapGuardError(guard.check(request.sql))
      const format = parseTextFormat(request.format ?? "json")
      return format === "json" ? yield* json(request) : yield* streamed(request, format)
    })

  return QueryRunner.of({ run })
})

export const layer = Layer.effect(QueryRunner, make)
