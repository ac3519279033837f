import { Effect } from "effect"
import type { QueryResult, Storage } from "../storage.js"
import { activeReport } from "./active.js"
import { InvalidReportOptions, type ReportError } from "./errors.js"
import { frequencyReport } from "./frequency.js"
import { funnelReport } from "./funnel.js"
import { retentionReport } from "./retention.js"
import { segmentationReport } from "./segmentation.js"
import type {
  ActiveAnswer,
  ActiveOptions,
  FrequencyAnswer,
  FrequencyOptions,
  FunnelAnswer,
  FunnelOptions,
  RetentionAnswer,
  RetentionOptions,
  SegmentationAnswer,
  SegmentationOptions,
} from "./types.js"

/**
 * The reports by name, read from plain values as a command line or a query string gives them,
 * so every front end reads a report's options the same way and runs it the same way. What the
 * values must hold (real days, known units, bounds) each report checks itself.
 */

export const reportKinds = ["segmentation", "funnel", "retention", "frequency", "active"] as const
export type ReportKind = (typeof reportKinds)[number]

/** Plain values: text, lists of text (`steps`), numbers, and flags (`unbounded`). */
export type ReportInput = Readonly<Record<string, unknown>>

/** Each report's answer, in the shape Mixpanel's API gives it. */
export interface ReportAnswers {
  readonly segmentation: SegmentationAnswer
  readonly funnel: FunnelAnswer
  readonly retention: RetentionAnswer
  readonly frequency: FrequencyAnswer
  readonly active: ActiveAnswer
}

/** A report's answer in Mixpanel's shape, and its rows for tabular output. */
export interface ReportOutput<K extends ReportKind = ReportKind> {
  readonly answer: ReportAnswers[K]
  readonly rows: ReadonlyArray<object>
}

/** The columns of each report's rows, in order, with their DuckDB types. */
export const reportColumns: Record<
  ReportKind,
  ReadonlyArray<{ readonly name: string; readonly type: string }>
> = {
  segmentation: [
    { name: "bucket", type: "VARCHAR" },
    { name: "segment", type: "VARCHAR" },
    { name: "value", type: "DOUBLE" },
  ],
  funnel: [
    { name: "date", type: "VARCHAR" },
    { name: "step", type: "INTEGER" },
    { name: "event", type: "VARCHAR" },
    { name: "count", type: "BIGINT" },
    { name: "step_conv_ratio", type: "DOUBLE" },
    { name: "overall_conv_ratio", type: "DOUBLE" },
    { name: "avg_time", type: "DOUBLE" },
    { name: "avg_time_from_start", type: "DOUBLE" },
  ],
  retention: [
    { name: "date", type: "VARCHAR" },
    { name: "first", type: "BIGINT" },
    { name: "interval", type: "INTEGER" },
    { name: "count", type: "BIGINT" },
  ],
  frequency: [
    { name: "date", type: "VARCHAR" },
    { name: "at_least", type: "INTEGER" },
    { name: "users", type: "BIGINT" },
  ],
  active: [
    { name: "date", type: "VARCHAR" },
    { name: "users", type: "BIGINT" },
  ],
}

/** Rows as a result to format: the report's columns, each row's values in their order. */
export const reportResult = (kind: ReportKind, rows: ReadonlyArray<object>): QueryResult => {
  const columns = reportColumns[kind]
  return {
    columns,
    rows: rows.map((row) => columns.map((c) => (row as Record<string, unknown>)[c.name])),
  }
}

const bad = (option: string, reason: string) => new InvalidReportOptions({ option, reason })

type Read<A> = Effect.Effect<A, InvalidReportOptions>

const optionalText = (input: ReportInput, name: string): Read<string | undefined> => {
  const value = input[name]
  if (value === undefined || value === null) return Effect.succeed(undefined)
  if (typeof value === "string") return Effect.succeed(value)
  return Effect.fail(bad(name, "must be text"))
}

const text = (input: ReportInput, name: string): Read<string> =>
  Effect.flatMap(optionalText(input, name), (value) =>
    value === undefined || value === ""
      ? Effect.fail(bad(name, "is required"))
      : Effect.succeed(value),
  )

/** A whole number given as a number or as decimal digits; bounds are the report's to check. */
const optionalNumber = (input: ReportInput, name: string): Read<number | undefined> => {
  const value = input[name]
  if (value === undefined || value === null) return Effect.succeed(undefined)
  if (typeof value === "number") return Effect.succeed(value)
  if (typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) return Effect.succeed(Number(value))
  return Effect.fail(bad(name, `must be a whole number, got ${JSON.stringify(value)}`))
}

/** A flag: given bare (`true`, or empty text as in `?unbounded`), `true`/`false`, `1`/`0`. */
const flag = (input: ReportInput, name: string): Read<boolean> => {
  const value = input[name]
  if (value === undefined || value === null || value === false) return Effect.succeed(false)
  if (value === true) return Effect.succeed(true)
  if (typeof value === "string") {
    const word = value.trim().toLowerCase()
    if (word === "" || word === "true" || word === "1") return Effect.succeed(true)
    if (word === "false" || word === "0") return Effect.succeed(false)
  }
  return Effect.fail(bad(name, `must be true or false, got ${JSON.stringify(value)}`))
}

const list = (input: ReportInput, name: string): Read<ReadonlyArray<string>> => {
  const value = input[name]
  if (value === undefined || value === null) return Effect.succeed([])
  if (typeof value === "string") return Effect.succeed([value])
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
    return Effect.succeed(value as ReadonlyArray<string>)
  }
  return Effect.fail(bad(name, "must be a list of event names"))
}

const windowUnits: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }

/** A funnel's window: `7d`, `24h`, `90m`, `3600s`, `2w`, or bare seconds. */
export const parseWindow = (value: string): number | undefined => {
  const m = /^\s*(\d+)\s*([smhdw]?)\s*$/i.exec(value)
  if (m === null) return undefined
  return Number(m[1]) * (windowUnits[(m[2] ?? "").toLowerCase()] ?? 1)
}

const windowSeconds = (input: ReportInput): Read<number | undefined> =>
  Effect.flatMap(optionalText(input, "window"), (value) => {
    if (value === undefined) return Effect.succeed(undefined)
    const seconds = parseWindow(value)
    return seconds === undefined
      ? Effect.fail(bad("window", `must be a length such as 7d, 24h or 90m, got "${value}"`))
      : Effect.succeed(seconds)
  })

/** Only the keys that hold a value: options leave out what was not given. */
const given = <A extends Record<string, unknown>>(fields: A) =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as {
    [K in keyof A]: Exclude<A[K], undefined>
  }

const range = (input: ReportInput) =>
  Effect.all({
    table: optionalText(input, "table"),
    from: text(input, "from"),
    to: text(input, "to"),
  })

export const readSegmentationOptions = (input: ReportInput): Read<SegmentationOptions> =>
  Effect.map(
    Effect.all({
      range: range(input),
      event: text(input, "event"),
      unit: optionalText(input, "unit"),
      type: optionalText(input, "type"),
      on: optionalText(input, "on"),
      where: optionalText(input, "where"),
      limit: optionalNumber(input, "limit"),
    }),
    ({ range, ...rest }) => given({ ...range, ...rest }) as SegmentationOptions,
  )

export const readFunnelOptions = (input: ReportInput): Read<FunnelOptions> =>
  Effect.map(
    Effect.all({
      range: range(input),
      steps: list(input, "steps"),
      windowSeconds: windowSeconds(input),
      unit: optionalText(input, "unit"),
    }),
    ({ range, ...rest }) => given({ ...range, ...rest }) as FunnelOptions,
  )

export const readRetentionOptions = (input: ReportInput): Read<RetentionOptions> =>
  Effect.map(
    Effect.all({
      range: range(input),
      born: optionalText(input, "born"),
      returning: optionalText(input, "return"),
      unit: optionalText(input, "unit"),
      intervals: optionalNumber(input, "intervals"),
      type: optionalText(input, "type"),
      unbounded: flag(input, "unbounded"),
    }),
    ({ range, ...rest }) => given({ ...range, ...rest }) as RetentionOptions,
  )

export const readFrequencyOptions = (input: ReportInput): Read<FrequencyOptions> =>
  Effect.map(
    Effect.all({
      range: range(input),
      event: text(input, "event"),
      unit: text(input, "unit"),
      subUnit: text(input, "subUnit"),
    }),
    ({ range, ...rest }) => given({ ...range, ...rest }) as FrequencyOptions,
  )

export const readActiveOptions = (input: ReportInput): Read<ActiveOptions> =>
  Effect.map(
    Effect.all({ range: range(input), unit: optionalText(input, "unit") }),
    ({ range, ...rest }) => given({ ...range, ...rest }) as ActiveOptions,
  )

/** Reads a report's options from plain values and runs it. */
export const runReport = <K extends ReportKind>(
  kind: K,
  input: ReportInput,
): Effect.Effect<ReportOutput<K>, ReportError, Storage> =>
  reportOf(kind, input) as Effect.Effect<ReportOutput<K>, ReportError, Storage>

const reportOf = (
  kind: ReportKind,
  input: ReportInput,
): Effect.Effect<ReportOutput, ReportError, Storage> => {
  switch (kind) {
    case "segmentation":
      return Effect.flatMap(readSegmentationOptions(input), segmentationReport)
    case "funnel":
      return Effect.flatMap(readFunnelOptions(input), funnelReport)
    case "retention":
      return Effect.flatMap(readRetentionOptions(input), retentionReport)
    case "frequency":
      return Effect.flatMap(readFrequencyOptions(input), frequencyReport)
    case "active":
      return Effect.flatMap(readActiveOptions(input), activeReport)
  }
}
