import type { DuckDBConnection, DuckDBResult, DuckDBValue } from "@duckdb/node-api"
import { Effect, Option, type Scope, Stream } from "effect"
import { QueryError } from "../errors.js"
import type { OpenedQuery, SqlParam } from "../Storage.js"
import { errorMessage } from "./duck.js"
import type { NativeResources } from "./open.js"
import { toDuckParams, toJsonRow } from "./values.js"

/** A DuckDB call that an interrupt cancels in DuckDB itself (connection interrupt). */
const interruptible = <A>(
  conn: DuckDBConnection,
  run: () => Promise<A>,
  fail: (error: unknown) => QueryError,
): Effect.Effect<A, QueryError> =>
  Effect.tryPromise({
    try: (signal) => {
      const onAbort = () => conn.interrupt()
      signal.addEventListener("abort", onAbort, { once: true })
      return run().finally(() => signal.removeEventListener("abort", onAbort))
    },
    catch: fail,
  })

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
    const result: DuckDBResult = yield* interruptible(
      conn,
      () => conn.stream(sql, toDuckParams(params) as DuckDBValue[] | undefined),
      fail,
    )
    const types = result.columnTypes()
    const columns = result.columnNames().map((name, i) => ({ name, type: types[i]!.toString() }))
    const rows = Stream.paginate(undefined, () =>
      Effect.map(
        interruptible(conn, () => result.fetchChunk(), fail),
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
