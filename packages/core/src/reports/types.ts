/**
 * The local reports: Mixpanel's report semantics computed in SQL over a stored events table,
 * bucketed in the table's project time zone (UTC unless it was fetched or imported for a
 * legacy zone). Ranges are inclusive days, midnight to midnight in that zone. Each report has
 * an options type, a row shape (for `table`, `jsonl` and `csv` output) and the shape of
 * Mixpanel's own API answer (for `--format json`).
 */

/** `YYYY-MM-DD`, a day in the table's project zone. */
export type Day = string

export interface ReportRange {
  /** Events table to report on (default `events`). */
  readonly table?: string
  readonly from: Day
  readonly to: Day
}

/** Bucket of a report. Weeks start on Monday (as Mixpanel's funnel examples do). */
export type ReportUnit = "hour" | "day" | "week" | "month"

// ---------------------------------------------------------------- segmentation

export interface SegmentationOptions extends ReportRange {
  readonly event: string
  /** Default `day`. */
  readonly unit?: ReportUnit
  /** general: events; unique: distinct users; average: general ÷ unique. Default general. */
  readonly type?: "general" | "unique" | "average"
  /**
   * Break down by this property (a key of `properties`); values as text, null as `"null"`,
   * absent as `"undefined"`.
   */
  readonly on?: string
  /** A SQL boolean expression over the table's columns (checked like a read-only query). */
  readonly where?: string
  /** With `on`: the top values by total over the range (default 60). */
  readonly limit?: number
}

export interface SegmentationRow {
  readonly bucket: string
  /** The event name, or the `on` value. */
  readonly segment: string
  readonly value: number
}

/** `{"data":{"series":[…],"values":{segment:{bucket:n}}},"legend_size":n}`, buckets sorted. */
export interface SegmentationAnswer {
  readonly data: {
    readonly series: ReadonlyArray<string>
    readonly values: Record<string, Record<string, number>>
  }
  readonly legend_size: number
}

// ---------------------------------------------------------------- funnel

export interface FunnelOptions extends ReportRange {
  /** Two or more event names, in order. */
  readonly steps: ReadonlyArray<string>
  /** The conversion window in seconds, counted from the user's entry (default 30 days). */
  readonly windowSeconds?: number
  /** Entry buckets; absent: one bucket for the whole range, keyed by `from`. */
  readonly unit?: "day" | "week" | "month"
}

export interface FunnelStep {
  readonly count: number
  /** Mean seconds from the previous step (null at step 0). */
  readonly avg_time: number | null
  /** Mean seconds from step 0 (null at step 0). */
  readonly avg_time_from_start: number | null
  readonly step_conv_ratio: number
  readonly overall_conv_ratio: number
  readonly goal: string
  readonly event: string
}

export interface FunnelBucket {
  readonly steps: ReadonlyArray<FunnelStep>
  readonly analysis: {
    readonly completion: number
    readonly starting_amount: number
    readonly steps: number
    /**
     * The index into `steps` (1 or more: step 0 has none before it) of the step converting the
     * smallest share of the one before (lowest `step_conv_ratio`; the first such on a tie).
     */
    readonly worst: number
  }
}

/** `{"meta":{"dates":[…]},"data":{DATE:{"steps":[…],"analysis":{…}}}}`. */
export interface FunnelAnswer {
  readonly meta: { readonly dates: ReadonlyArray<Day> }
  readonly data: Record<Day, FunnelBucket>
}

export interface FunnelRow {
  readonly date: Day
  /** The step's index in `steps`: 0 for the entry step. */
  readonly step: number
  readonly event: string
  readonly count: number
  readonly step_conv_ratio: number
  readonly overall_conv_ratio: number
  readonly avg_time: number | null
  readonly avg_time_from_start: number | null
}

// ---------------------------------------------------------------- retention

export interface RetentionOptions extends ReportRange {
  /** birth: the cohort's first BORN event; required for birth. */
  readonly born?: string
  /** The returning event; absent: any event. */
  readonly returning?: string
  /** Cohort buckets and interval length: day = 24 h, week = 7 days, month = 30 days. */
  readonly unit?: "day" | "week" | "month"
  /** Intervals after the 0th (default 10): `counts` has intervals + 1 entries. */
  readonly intervals?: number
  readonly type?: "birth" | "compounded"
  /** Retained in interval i or any later one. */
  readonly unbounded?: boolean
}

/** `{DATE:{"counts":[…],"first":n}}`. */
export type RetentionAnswer = Record<
  Day,
  { readonly counts: ReadonlyArray<number>; readonly first: number }
>

export interface RetentionRow {
  readonly date: Day
  readonly first: number
  readonly interval: number
  readonly count: number
}

// ---------------------------------------------------------------- frequency

export interface FrequencyOptions extends ReportRange {
  readonly event: string
  readonly unit: "day" | "week" | "month"
  readonly subUnit: "hour" | "day"
}

/** `{"data":{DATE:[n0, n1, …]}}`: users who did EVENT in at least k+1 distinct sub-units. */
export interface FrequencyAnswer {
  readonly data: Record<Day, ReadonlyArray<number>>
}

export interface FrequencyRow {
  readonly date: Day
  /** At least this many distinct sub-units. */
  readonly at_least: number
  readonly users: number
}

// ---------------------------------------------------------------- active users

export interface ActiveOptions extends ReportRange {
  /** day: DAU, week: WAU, month: MAU (default day). */
  readonly unit?: "day" | "week" | "month"
}

export interface ActiveRow {
  readonly date: Day
  readonly users: number
}

/** Segmentation's shape (as `type=unique` over every event): one series, `"active users"`. */
export type ActiveAnswer = SegmentationAnswer
