import { Effect, Stream } from "effect"
import type { QueryError, StorageIOError } from "../errors.js"
import { InvalidReportOptions, type ReportError } from "../reports/errors.js"
import { type ReportInput, type ReportKind, type ReportOutput, runReport } from "../reports/run.js"
import { takeRows } from "../storage/stream.js"
import { type QueryResult, type SqlParam, Storage } from "../storage.js"
import { type ForbiddenStatement, SqlGuard } from "./sql-guard.js"

/** A query's first rows, and whether the answer held more than were kept. */
export interface RowsAnswer extends QueryResult {
  readonly truncated: boolean
}

/**
 * Runs `sql` on a connection of its own and keeps its first `limit` rows, reading one more to
 * tell whether it was cut (`truncated`); the query stops there, so a large answer is never held.
 * The SQL is not checked: a caller's SQL passes `SqlGuard` first (`guardedRows`).
 */
export const readRows = (
  sql: string,
  params: ReadonlyArray<SqlParam>,
  limit: number,
): Effect.Effect<RowsAnswer, QueryError | StorageIOError, Storage> =>
  Effect.scoped(
    Effect.gen(function* () {
      const storage = yield* Storage
      const { columns, rows: batches } = yield* storage.openQuery(sql, params)
      const rows: Array<ReadonlyArray<unknown>> = []
      yield* Stream.runForEach(takeRows(limit + 1)(batches), (batch) =>
        Effect.sync(() => {
          for (const row of batch) rows.push(row)
        }),
      )
      const truncated = rows.length > limit
      if (truncated) rows.length = limit
      return { columns, rows, truncated }
    }),
  )

/** A caller's SQL: judged by the guard, then its first `limit` rows (`readRows`). */
export const guardedRows = (
  sql: string,
  params: ReadonlyArray<SqlParam>,
  limit: number,
): Effect.Effect<
  RowsAnswer,
  ForbiddenStatement | QueryError | StorageIOError,
  Storage | SqlGuard
> =>
  Effect.flatMap(SqlGuard, (guard) =>
    Effect.andThen(guard.check(sql), readRows(sql, params, limit)),
  )

/**
 * A report's `where` is the one piece of SQL a caller writes into a report: it passes the guard
 * as a query would, before the report checks it is a single expression over the table. SQL that
 * does not parse is a bad `where` option.
 */
export const checkReportWhere = (
  input: ReportInput,
): Effect.Effect<void, ForbiddenStatement | InvalidReportOptions, SqlGuard> =>
  typeof input.where !== "string"
    ? Effect.void
    : Effect.flatMap(SqlGuard, (guard) =>
        guard
          .check(`SELECT 1 WHERE (\n${input.where}\n)`)
          .pipe(
            Effect.catchTag("QueryError", (error) =>
              Effect.fail(new InvalidReportOptions({ option: "where", reason: error.reason })),
            ),
          ),
      )

/** A report asked for by a caller: its `where` judged by the guard, then the report. */
export const guardedReport = <K extends ReportKind>(
  kind: K,
  input: ReportInput,
): Effect.Effect<ReportOutput<K>, ReportError | ForbiddenStatement, Storage | SqlGuard> =>
  Effect.andThen(checkReportWhere(input), runReport(kind, input))
