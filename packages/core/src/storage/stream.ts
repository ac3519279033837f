import type { DuckDBResult, DuckDBValue } from "@duckdb/node-api"
import { Effect, Option, Stream } from "effect"
import { QueryError } from "../errors.js"
import type { SqlParam } from "../Storage.js"
import { errorMessage } from "./duck.js"
import type { NativeResources } from "./open.js"
import { toDuckParams, toJsonRow } from "./values.js"

/**
 * A query answered in bounded memory: DuckDB's streaming result on a connection of its own,
 * read one data chunk (about 2048 rows) at a time as the consumer pulls.
 */
export const streamQuery = (
  resources: NativeResources,
  sql: string,
  params?: ReadonlyArray<SqlParam>,
): Stream.Stream<ReadonlyArray<ReadonlyArray<unknown>>, QueryError> =>
  Stream.unwrap(
    Effect.gen(function* () {
      const conn = yield* Effect.mapError(
        resources.scopedConnection(),
        (error) => new QueryError({ sql, reason: error.reason }),
      )
      const fail = (error: unknown) => new QueryError({ sql, reason: errorMessage(error) })
      const result: DuckDBResult = yield* Effect.tryPromise({
        try: () => conn.stream(sql, toDuckParams(params) as DuckDBValue[] | undefined),
        catch: fail,
      })
      const types = result.columnTypes()
      return Stream.paginate(undefined, () =>
        Effect.map(
          Effect.tryPromise({ try: () => result.fetchChunk(), catch: fail }),
          (
            chunk,
          ): readonly [
            ReadonlyArray<ReadonlyArray<ReadonlyArray<unknown>>>,
            Option.Option<undefined>,
          ] => {
            if (chunk === null || chunk.rowCount === 0) return [[], Option.none()]
            const rows = chunk.getRows().map((row) => toJsonRow(row, types))
            return [[rows], Option.some(undefined)]
          },
        ),
      )
    }),
  )
