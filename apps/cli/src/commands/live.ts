import {
  answerRows,
  formatResult,
  Progress,
  parseWindow,
  type QueryResult,
  type ReportAnswers,
  type ReportKind,
  reportResult,
  type SourceError,
} from "@mixpanel-data/core"
import type { InsightsAnswer, Live } from "@mixpanel-data/mixpanel-source"
import { Effect } from "effect"
import { badArguments } from "../cli-error.js"
import { type Globals, stdoutFormat } from "../globals.js"
import { tableOptions, writeOut } from "../output.js"
import { makeProgressView } from "../progress.js"
import { runProgram } from "../run.js"
import { mixpanelConfig, mixpanelSource } from "../sources.js"

/**
 * `mp live KIND`: Mixpanel's own reports, asked through the query API (each run spends one of
 * the project's 60 queries an hour). `--format json` prints the answer normalized to the shape
 * `mp report` prints, so the two can be compared; table (the default), jsonl and csv print the
 * same rows `mp report` prints. `--where` and an `--on` with brackets or quotes are Mixpanel's
 * expression language; a bare `--on` names a property, as `mp report`'s does.
 */

type Opts = Record<string, unknown>

const text = (opts: Opts, name: string): string | undefined => {
  const value = opts[name]
  return typeof value === "string" ? value : undefined
}

const whole = (opts: Opts, name: string): number | undefined => {
  const value = opts[name]
  return typeof value === "number" ? value : undefined
}

/** Only the fields that hold a value: a query leaves out what was not given. */
const given = <A extends Record<string, unknown>>(fields: A) =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as {
    [K in keyof A]: Exclude<A[K], undefined>
  }

const range = (opts: Opts) => ({ from: text(opts, "from") ?? "", to: text(opts, "to") ?? "" })

/** A property name as Mixpanel's expression (`properties["$os"]`); an expression as it is. */
export const onExpression = (on: string | undefined): string | undefined =>
  on === undefined || /[[\]()"']/.test(on) ? on : `properties[${JSON.stringify(on)}]`

/** A window (`7d`, `24h`, `90m`, seconds) as Mixpanel's length, in its largest whole unit. */
const windowLength = (
  window: string | undefined,
): { length?: number; lengthUnit?: "day" | "hour" | "minute" | "second" } => {
  if (window === undefined) return {}
  const seconds = parseWindow(window)
  if (seconds === undefined || seconds < 1) {
    throw badArguments(`--window must be a length such as 7d, 24h or 90m, got "${window}"`)
  }
  if (seconds % 86_400 === 0) return { length: seconds / 86_400, lengthUnit: "day" }
  if (seconds % 3_600 === 0) return { length: seconds / 3_600, lengthUnit: "hour" }
  if (seconds % 60 === 0) return { length: seconds / 60, lengthUnit: "minute" }
  return { length: seconds, lengthUnit: "second" }
}

/**
 * Asks one live query and prints it. A wait for the rate limit, and each retry, show on stderr
 * (unless --quiet or --no-progress); stdout holds the answer only.
 */
const ask = <A>(
  globals: Globals,
  label: string,
  query: (live: Live) => Effect.Effect<A, SourceError>,
  rows: (answer: A) => QueryResult,
): Promise<number> => {
  const format = stdoutFormat(globals)
  mixpanelConfig(globals)
  const view = makeProgressView(label, { enabled: globals.progress, verbose: true })
  const program = Effect.scoped(
    Effect.gen(function* () {
      const source = yield* mixpanelSource(globals)
      const answer = yield* query(source.live)
      yield* Effect.sync(view.clear)
      const out =
        format === "json"
          ? `${JSON.stringify(answer)}\n`
          : formatResult(format, rows(answer), tableOptions(globals))
      yield* Effect.promise(() => writeOut(out))
    }),
  ).pipe(
    Effect.provideService(Progress, view.reporter),
    Effect.onError(() => Effect.sync(view.clear)),
  )
  return runProgram(globals, program, { onInterrupt: view.clear })
}

/** A live answer in a report's shape, printed as that report's rows. */
const asReport =
  <K extends ReportKind>(kind: K) =>
  (answer: ReportAnswers[K]): QueryResult =>
    reportResult(kind, answerRows(kind, answer))

export const segmentation = (globals: Globals, event: string, opts: Opts) =>
  ask(
    globals,
    "live segmentation",
    (live) =>
      live.segmentation({
        event,
        ...range(opts),
        ...given({
          unit: text(opts, "unit") as "day" | undefined,
          type: text(opts, "type") as "general" | undefined,
          on: onExpression(text(opts, "on")),
          where: text(opts, "where"),
          limit: whole(opts, "limit"),
        }),
      }),
    asReport("segmentation"),
  )

export const events = (globals: Globals, names: ReadonlyArray<string>, opts: Opts) =>
  ask(
    globals,
    "live events",
    (live) =>
      live.events({
        events: names,
        ...range(opts),
        ...given({
          unit: text(opts, "unit") as "day" | undefined,
          type: text(opts, "type") as "general" | undefined,
        }),
      }),
    asReport("segmentation"),
  )

export const funnel = (globals: Globals, opts: Opts) => {
  const funnelId = whole(opts, "id")
  if (funnelId === undefined) throw badArguments("--id <funnel_id> is required")
  const window = windowLength(text(opts, "window"))
  return ask(
    globals,
    "live funnel",
    (live) =>
      live.funnel({
        funnelId,
        ...range(opts),
        ...window,
        ...given({
          unit: text(opts, "unit") as "day" | undefined,
          on: onExpression(text(opts, "on")),
          where: text(opts, "where"),
          limit: whole(opts, "limit"),
        }),
      }),
    asReport("funnel"),
  )
}

export const retention = (globals: Globals, opts: Opts) =>
  ask(
    globals,
    "live retention",
    (live) =>
      live.retention({
        ...range(opts),
        ...given({
          born: text(opts, "born"),
          returning: text(opts, "return"),
          unit: text(opts, "unit") as "day" | undefined,
          intervals: whole(opts, "intervals"),
          type: text(opts, "type") as "birth" | undefined,
          unbounded: opts.unbounded === true ? true : undefined,
          where: text(opts, "where"),
          bornWhere: text(opts, "bornWhere"),
        }),
      }),
    asReport("retention"),
  )

export const frequency = (globals: Globals, event: string, opts: Opts) =>
  ask(
    globals,
    "live frequency",
    (live) =>
      live.frequency({
        event,
        ...range(opts),
        unit: (text(opts, "unit") ?? "") as "day",
        subUnit: (text(opts, "subUnit") ?? "") as "day",
        ...given({ where: text(opts, "where") }),
      }),
    asReport("frequency"),
  )

/**
 * A saved report's series as rows: one per leaf, its keys in columns named by `headers` (the
 * last key as `date`), then its value.
 */
export const insightsResult = (answer: InsightsAnswer): QueryResult => {
  const leaves: Array<{ path: Array<string>; value: unknown }> = []
  const walk = (node: unknown, path: Array<string>) => {
    if (typeof node === "object" && node !== null) {
      for (const [key, child] of Object.entries(node)) walk(child, [...path, key])
    } else leaves.push({ path, value: node })
  }
  walk(answer.series, [])
  const depth = Math.max(1, ...leaves.map((l) => l.path.length))
  const levels = Array.from({ length: depth - 1 }, (_, i) => answer.headers[i] ?? `level_${i + 1}`)
  const numeric = leaves.every((l) => typeof l.value === "number")
  return {
    columns: [
      ...levels.map((name) => ({ name, type: "VARCHAR" })),
      { name: "date", type: "VARCHAR" },
      { name: "value", type: numeric ? "DOUBLE" : "VARCHAR" },
    ],
    rows: leaves.map(({ path, value }) => [
      ...path.slice(0, -1),
      ...new Array<null>(depth - path.length).fill(null),
      path[path.length - 1] ?? null,
      value,
    ]),
  }
}

export const insights = (globals: Globals, opts: Opts) => {
  const bookmarkId = whole(opts, "id")
  if (bookmarkId === undefined) throw badArguments("--id <bookmark_id> is required")
  return ask(globals, "live insights", (live) => live.insights(bookmarkId), insightsResult)
}
