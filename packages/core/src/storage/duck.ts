import type { DuckDBConnection, DuckDBResultReader, DuckDBValue } from "@duckdb/node-api"
import { Effect } from "effect"
import { QueryError } from "../errors.js"
import type { QueryResult, SqlParam } from "../storage.js"
import { toDuckParams, toJsonRow, typeName } from "./values.js"

export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error)

/** Runs a statement; an interrupt cancels it in DuckDB. Any failure is a `QueryError`. */
export const runOn = (
  conn: DuckDBConnection,
  sql: string,
  params?: ReadonlyArray<SqlParam>,
): Effect.Effect<DuckDBResultReader, QueryError> =>
  Effect.tryPromise({
    try: (signal) => {
      const onAbort = () => conn.interrupt()
      signal.addEventListener("abort", onAbort, { once: true })
      return conn
        .runAndReadAll(sql, toDuckParams(params) as DuckDBValue[] | undefined)
        .finally(() => signal.removeEventListener("abort", onAbort))
    },
    catch: (error) => new QueryError({ sql, reason: errorMessage(error) }),
  })

export const toQueryResult = (reader: DuckDBResultReader): QueryResult => {
  const types = reader.columnTypes()
  const names = reader.columnNames()
  return {
    columns: names.map((name, i) => ({ name, type: typeName(types[i]!) })),
    rows: reader.getRows().map((row) => toJsonRow(row, types)),
  }
}

export const rowsAsObjects = (result: QueryResult): Array<Record<string, unknown>> =>
  result.rows.map((row) => {
    const obj: Record<string, unknown> = {}
    result.columns.forEach((column, i) => {
      obj[column.name] = row[i]
    })
    return obj
  })

export const queryOn = (
  conn: DuckDBConnection,
  sql: string,
  params?: ReadonlyArray<SqlParam>,
): Effect.Effect<QueryResult, QueryError> => Effect.map(runOn(conn, sql, params), toQueryResult)

export const scalarNumber = (
  conn: DuckDBConnection,
  sql: string,
  params?: ReadonlyArray<string | number | null>,
): Effect.Effect<number, QueryError> =>
  Effect.map(queryOn(conn, sql, params), (r) => Number(r.rows[0]?.[0] ?? 0))

/** Rows a DML statement changed (DuckDB answers INSERT/UPDATE/DELETE with one count). */
export const changedRows = (
  conn: DuckDBConnection,
  sql: string,
  params?: ReadonlyArray<string | number | null>,
): Effect.Effect<number, QueryError> =>
  Effect.map(runOn(conn, sql, params), (reader) => Number(reader.getRows()[0]?.[0] ?? 0))
