import type { ReportAnswers, ReportKind } from "./run.js"
import type {
  ActiveAnswer,
  ActiveRow,
  Day,
  FrequencyAnswer,
  FrequencyRow,
  FunnelAnswer,
  FunnelRow,
  RetentionAnswer,
  RetentionRow,
  SegmentationAnswer,
  SegmentationRow,
} from "./types.js"

/**
 * A report's rows from its answer in Mixpanel's shape: the one way rows are made, whether the
 * answer was computed from the local copy or given by Mixpanel's own API.
 */

/** Each report's row. */
export interface ReportRows {
  readonly segmentation: SegmentationRow
  readonly funnel: FunnelRow
  readonly retention: RetentionRow
  readonly frequency: FrequencyRow
  readonly active: ActiveRow
}

/** One row per segment and bucket: segments in the answer's order, buckets in `series` order. */
const segmentationRows = (answer: SegmentationAnswer): Array<SegmentationRow> =>
  Object.entries(answer.data.values).flatMap(([segment, values]) =>
    answer.data.series.map(
      (bucket): SegmentationRow => ({ bucket, segment, value: values[bucket] ?? 0 }),
    ),
  )

/** One row per entry bucket (in `meta.dates` order) and step. */
const funnelRows = (answer: FunnelAnswer): Array<FunnelRow> =>
  answer.meta.dates.flatMap((date) =>
    (answer.data[date]?.steps ?? []).map(
      (step, i): FunnelRow => ({
        date,
        step: i,
        event: step.event,
        count: step.count,
        step_conv_ratio: step.step_conv_ratio,
        overall_conv_ratio: step.overall_conv_ratio,
        avg_time: step.avg_time,
        avg_time_from_start: step.avg_time_from_start,
      }),
    ),
  )

const byDate = <A>(record: Readonly<Record<Day, A>>): Array<[Day, A]> =>
  Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

/** One row per cohort (by date) and interval, 0 first. */
const retentionRows = (answer: RetentionAnswer): Array<RetentionRow> =>
  byDate(answer).flatMap(([date, cohort]) =>
    cohort.counts.map(
      (count, interval): RetentionRow => ({ date, first: cohort.first, interval, count }),
    ),
  )

/** One row per period (by date) and count of sub-units, from 1. */
const frequencyRows = (answer: FrequencyAnswer): Array<FrequencyRow> =>
  byDate(answer.data).flatMap(([date, users]) =>
    users.map((n, k): FrequencyRow => ({ date, at_least: k + 1, users: n })),
  )

/** One row per bucket of the answer's one series. */
const activeRows = (answer: ActiveAnswer): Array<ActiveRow> => {
  const values = Object.values(answer.data.values)[0] ?? {}
  return answer.data.series.map((date): ActiveRow => ({ date, users: values[date] ?? 0 }))
}

/** A report's rows (the columns of `reportColumns[kind]`) from its answer. */
export const answerRows = <K extends ReportKind>(
  kind: K,
  answer: ReportAnswers[K],
): ReadonlyArray<ReportRows[K]> => rowsOf(kind, answer) as ReadonlyArray<ReportRows[K]>

const rowsOf = (kind: ReportKind, answer: ReportAnswers[ReportKind]): ReadonlyArray<object> => {
  switch (kind) {
    case "segmentation":
      return segmentationRows(answer as SegmentationAnswer)
    case "funnel":
      return funnelRows(answer as FunnelAnswer)
    case "retention":
      return retentionRows(answer as RetentionAnswer)
    case "frequency":
      return frequencyRows(answer as FrequencyAnswer)
    case "active":
      return activeRows(answer as ActiveAnswer)
  }
}
