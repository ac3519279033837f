import {
  contentTypes,
  csvEncoder,
  jsonlEncoder,
  type RowEncoder,
  Storage,
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
import { SqlGuard } from "./SqlGuard.js"
import { mapStorageError } from "./storage-errors.js"

type Row = ReadonlyArray<unknown>

export interface RowsAnswer {
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>
  readonly rows: ReadonlyArray<Row>
  readonly truncated: boolean
}

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

/** Keeps the first `limit` rows of a stream of row batches (batches stay batches). */
const takeRows =
  (limit: number) =>
  <E, R>(
    batches: Stream.Stream<ReadonlyArray<Row>, E, R>,
  ): Stream.Stream<ReadonlyArray<Row>, E, R> => {
    let left = limit
    return batches.pipe(
      Stream.takeWhile(() => left > 0),
      Stream.map((batch) => {
        const kept = batch.length <= left ? batch : batch.slice(0, left)
        left -= kept.length
        return kept
      }),
    )
  }

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

  const open = (request: QueryRequest) =>
    storage.openQuery(request.sql, request.params ?? []).pipe(mapStorageError)

  const json = (request: QueryRequest): Effect.Effect<RowsAnswer, QueryFailure> => {
    const limit = request.limit ?? config.options.maxRows
    return withTimeout(
      Effect.scoped(
        Effect.gen(function* () {
          const { columns, rows: batches } = yield* open(request)
          const rows: Array<Row> = []
          yield* Stream.runForEach(takeRows(limit + 1)(batches), (batch) =>
            Effect.sync(() => {
              for (const row of batch) rows.push(row)
            }),
          ).pipe(mapStorageError)
          const truncated = rows.length > limit
          if (truncated) rows.length = limit
          return { columns, rows, truncated }
        }),
      ),
    )
  }

  /**
   * Streams the answer. The query starts and its first batch is pulled before the response
   * begins, so a bad or slow query still answers 400 / 408; later pulls are timed one by one
   * and the connection is dropped if one stalls. The request scope (holding the DuckDB
   * connection) closes when the body ends or the client goes away.
   */
  const streamed = (
    request: QueryRequest,
    encoderFor: (columns: RowsAnswer["columns"]) => RowEncoder,
    contentType: string,
  ) =>
    Effect.gen(function* () {
      const { columns, rows: source } = yield* withTimeout(open(request))
      const limited = request.limit === undefined ? source : takeRows(request.limit)(source)
      const pull = yield* Stream.toPull(limited)
      const first = yield* withTimeout(
        pull.pipe(
          Pull.catchDone(() => Effect.succeed(undefined)),
          mapStorageError,
        ),
      )
      const encoder = encoderFor(columns)
      const encode = (batches: ReadonlyArray<ReadonlyArray<Row>>) => {
        let out = ""
        for (const batch of batches) out += encoder.rows(batch)
        return out
      }
      const head = Stream.make(encoder.begin() + (first === undefined ? "" : encode(first)))
      const rest =
        first === undefined
          ? Stream.empty
          : Stream.fromPull(Effect.succeed(pull)).pipe(
              Stream.timeoutOrElse({
                duration: timeoutMs,
                orElse: () => Stream.fromEffect(timedOut()),
              }),
              Stream.mapArray((batches) => [encode(batches)] as const),
            )
      const body = Stream.concat(head, rest).pipe(
        Stream.concat(Stream.sync(() => encoder.end())),
        Stream.filter((text) => text.length > 0),
        Stream.encodeText,
      )
      return HttpEffect.scopeTransferToStream(HttpServerResponse.stream(body, { contentType }))
    })

  const run = (request: QueryRequest) =>
    Effect.gen(function* () {
      yield* guard.check(request.sql)
      switch (request.format ?? "json") {
        case "json":
          return yield* json(request)
        case "ndjson":
          return yield* streamed(request, jsonlEncoder, contentTypes.jsonl)
        case "csv":
          return yield* streamed(request, csvEncoder, contentTypes.csv)
      }
    })

  return QueryRunner.of({ run })
})

export const layer = Layer.effect(QueryRunner, make)
