import type { DuckDBConnection, DuckDBResult, DuckDBValue } from "@duckdb/node-api"
import { Effect, Option, type Scope, Stream } from "effect"
import { QueryError } from "../errors.js"
import type { OpenedQuery, SqlParam } from "../storage.js"
import { errorMessage } from "./duck.js"
import type { NativeResources } from "./open.js"
import { toDuckParams, toJsonRow } from "./values.js"

/**
 * DuckDB calls on one connection that an interrupt cancels in DuckDB itself. Effect does not
 * wait for an abandoned promise, so `settle` (run before the connection closes) interrupts and
 * waits until no call is in flight: closing a connection under a running call can hang.
 */
const guardedCalls = (conn: DuckDBConnection, fail: (error: unknown) => QueryError) => {
  let inFlight: Promise<unknown> | undefined
  const call = <A>(run: () => Promise<A>): Effect.Effect<A, QueryError> =>
    Effect.tryPromise({
      try: (signal) => {
        const onAbort = () => conn.interrupt()
        signal.addEventListener("abort", onAbort, { once: true })
        const promise = run().finally(() => {
          signal.removeEventListener("abort", onAbort)
          if (inFlight === promise) inFlight = undefined
        })
        inFlight = promise
        return promise
      },
      catch: fail,
    })
  const settle = Effect.promise(async () => {
    while (inFlight !== undefined) {
      conn.interrupt()
      const pending = inFlight
      await Promise.race([
        pending.then(
          () => undefined,
          () => undefined,
        ),
        new Promise((resolve) => setTimeout(resolve, 50)),
      ])
    }
  })
  return { call, settle }
}

/**
 * A query answered in bounded memory: DuckDB's streaming result on a connection of its own
 * (closed with the scope), its columns known at once, the rows read one data chunk (about
 * 2048 rows) at a time as the consumer pulls. Interrupting a pull cancels the query.
 */
export const openQuery = (
  resources: NativeResources,
  sql: string,
  params?: ReadonlyArray<SqlParam>,
): Effect.Effect<OpenedQuery, QueryError, Scope.Scope> =>
  Effect.gen(function* () {
    const conn = yield* Effect.mapError(
      resources.scopedConnection(),
      (error) => new QueryError({ sql, reason: error.reason }),
    )
    const fail = (error: unknown) => new QueryError({ sql, reason: errorMessage(error) })
    const calls = guardedCalls(conn, fail)
    // Registered after the connection, so it runs before the connection closes.
    yield* Effect.addFinalizer(() => calls.settle)
    const result: DuckDBResult = yield* calls.call(() =>
      conn.stream(sql, toDuckParams(params) as DuckDBValue[] | undefined),
    )
    const types = result.columnTypes()
    const columns = result.columnNames().map((name, i) => ({ name, type: types[i]!.toString() }))
    const rows = Stream.paginate(undefined, () =>
      Effect.map(
        calls.call(() => result.fetchChunk()),
        (
          chunk,
        ): readonly [
          ReadonlyArray<ReadonlyArray<ReadonlyArray<unknown>>>,
          Option.Option<undefined>,
        ] => {
          if (chunk === null || chunk.rowCount === 0) return [[], Option.none()]
          const batch = chunk.getRows().map((row) => toJsonRow(row, types))
          return [[batch], Option.some(undefined)]
        },
      ),
    )
    return { columns, rows }
  })

export const streamQuery = (
  resources: NativeResources,
  sql: string,
  params?: ReadonlyArray<SqlParam>,
): Stream.Stream<ReadonlyArray<ReadonlyArray<unknown>>, QueryError> =>
  Stream.unwrap(Effect.map(openQuery(resources, sql, params), (opened) => opened.rows))
