import { type Effect, Schema } from "effect"
import type { QueryError, TableReadError, TableTypeMismatch } from "../errors.js"
import type { Storage } from "../storage.js"

/**
 * A report was asked for with arguments it cannot answer: `from` after `to`, a unit the report
 * does not bucket by, a missing event, a limit below 1, a `where` that is not one expression.
 * `option` names the argument as the reports' options do (`from`, `unit`, `where`, …).
 */
export class InvalidReportOptions extends Schema.TaggedError<InvalidReportOptions>()(
  "InvalidReportOptions",
  { option: Schema.String, reason: Schema.String },
) {
  override get message() {
    return `Invalid report option "${this.option}": ${this.reason}`
  }
}

/** What a report can fail with: its table (missing, of profiles, badly named), its SQL, its options. */
export type ReportError = TableReadError | TableTypeMismatch | QueryError | InvalidReportOptions

/** A report run: Mixpanel's answer and the report's rows, or why not. */
export type ReportRun<Answer, Row> = Effect.Effect<
  { readonly answer: Answer; readonly rows: ReadonlyArray<Row> },
  ReportError,
  Storage
>
