import { Context, Effect } from "effect"

/** What long work reports as it goes; front ends turn these into bars, lines or SSE. */
export type ProgressEvent =
  /** The work is planned: this many day partitions (events) or pages (profiles) in all. */
  | { readonly _tag: "Planned"; readonly unit: "days" | "pages" | "files"; readonly total: number }
  /** Bytes and rows received so far by the source (cumulative for this run). */
  | { readonly _tag: "Received"; readonly rows: number; readonly bytes: number }
  /** Rows written to storage so far (cumulative). */
  | { readonly _tag: "Stored"; readonly rows: number }
  /** A unit (a day, a page, a file) is complete and committed. */
  | { readonly _tag: "UnitDone"; readonly unit: string; readonly rows: number }
  /** The scheduler is holding requests back to respect the upstream's limits. */
  | {
      readonly _tag: "Waiting"
      readonly reason: string
      /** Epoch milliseconds when requests resume, when known. */
      readonly until: number | undefined
    }
  /** A request is retried after a transient failure. */
  | {
      readonly _tag: "Retrying"
      readonly what: string
      readonly attempt: number
      readonly reason: string
    }

export interface ProgressReporter {
  readonly report: (event: ProgressEvent) => Effect.Effect<void>
}

/** The current progress sink; by default progress goes nowhere. */
export const Progress = Context.Reference<ProgressReporter>("@mixpanel-data/core/Progress", {
  defaultValue: () => ({ report: () => Effect.void }),
})

export const reportProgress = (event: ProgressEvent): Effect.Effect<void> =>
  Effect.flatMap(Progress, (p) => p.report(event))
