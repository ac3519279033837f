import {
  type ForbiddenStatement as CoreForbidden,
  guardedReport,
  type ReportAnswers,
  type ReportError,
  type ReportInput,
  type ReportKind,
  SqlGuard,
  Storage,
} from "@mixpanel-data/core"
import { Effect } from "effect"
import {
  ForbiddenStatement,
  InvalidReportOptions,
  type InvalidTableName,
  type QueryError,
  QueryTimeout,
  type StorageFailure,
  type TableNotFound,
} from "./errors.js"
import { ServerConfig } from "./ServerConfig.js"
import { toApiError } from "./storage-errors.js"

export type ReportFailure =
  | InvalidReportOptions
  | ForbiddenStatement
  | QueryError
  | QueryTimeout
  | TableNotFound
  | InvalidTableName
  | StorageFailure

/** A report's failure as an API error: bad options and a table of profiles are the caller's. */
const toReportFailure = (error: ReportError | CoreForbidden): ReportFailure => {
  switch (error._tag) {
    case "ForbiddenStatement":
      return new ForbiddenStatement({ message: error.message, reason: error.reason })
    case "InvalidReportOptions":
      return new InvalidReportOptions({ message: error.message, option: error.option })
    case "TableTypeMismatch":
      return new InvalidReportOptions({ message: error.message, option: "table" })
    default:
      return toApiError(error)
  }
}

/**
 * Runs core's reports for the routes, under the query time limit. A segmentation's `where` is
 * the one piece of SQL a caller writes into a report: it passes the SQL guard, as a query
 * would, before core checks it is a single expression over the table (`guardedReport`).
 */
export const makeReports = Effect.gen(function* () {
  const storage = yield* Storage
  const guard = yield* SqlGuard
  const timeoutMs = (yield* ServerConfig).options.queryTimeoutMs

  return <K extends ReportKind>(
    kind: K,
    input: ReportInput,
  ): Effect.Effect<ReportAnswers[K], ReportFailure> =>
    Effect.gen(function* () {
      const { answer } = yield* guardedReport(kind, input).pipe(
        Effect.provideService(Storage, storage),
        Effect.provideService(SqlGuard, guard),
        Effect.mapError(toReportFailure),
      )
      return answer
    }).pipe(
      Effect.timeoutOrElse({
        duration: timeoutMs,
        orElse: () =>
          Effect.fail(
            new QueryTimeout({
              message: `The report ran longer than ${timeoutMs} ms and was cancelled.`,
              timeoutMs,
            }),
          ),
      }),
    )
})
