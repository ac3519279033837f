import {
  formatResult,
  Progress,
  storageLayer,
  type VerifyResult,
  type VerifyRow,
  verifyAndRepairEvents,
  verifyColumns,
  verifyEvents,
} from "@mixpanel-data/core"
import { Effect } from "effect"
import { resolveDbPath, writableStore } from "../db.js"
import { ExitCode } from "../exit-codes.js"
import { type Globals, stdoutFormat } from "../globals.js"
import { note, tableOptions, writeOut } from "../output.js"
import { makeProgressView } from "../progress.js"
import { runProgram } from "../run.js"
import { mixpanelSource } from "../sources.js"
import { readOnly } from "../store.js"
import { describeOutcome } from "./summary.js"

type Opts = Record<string, unknown>

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined

const daysText = (days: ReadonlyArray<string>): string =>
  days.length <= 6 ? days.join(", ") : `${days.slice(0, 6).join(", ")}, …`

/** One line on stderr: what was compared and whether it matched. */
const summary = (result: VerifyResult, prefix = ""): string => {
  const what = `${result.days} day(s) × ${result.events.length} event(s) of "${result.table}" (${result.from}..${result.to})`
  if (result.differingDays.length === 0) return `${prefix}${what}: every count matches Mixpanel.`
  return `${prefix}${what}: ${result.differingDays.length} day(s) differ from Mixpanel (${result.differing.length} event count(s)): ${daysText(result.differingDays)}.`
}

const print = async (globals: Globals, rows: ReadonlyArray<VerifyRow>, extra?: object) => {
  const format = stdoutFormat(globals)
  if (format === "json") {
    await writeOut(`${JSON.stringify({ ...extra, rows })}\n`)
    return
  }
  const result = {
    columns: verifyColumns,
    rows: rows.map((r) => [r.day, r.event, r.local, r.mixpanel, r.difference]),
  }
  if (rows.length > 0) await writeOut(formatResult(format, result, tableOptions(globals)))
}

/**
 * `mp verify events [TABLE]`: every event's count on every day of the table's range against
 * Mixpanel's own (`/api/query/events`). Prints the rows that differ (all rows with `--all`),
 * one summary line on stderr, and exits `ExitCode.differences` when a day differs. `--repair`
 * refetches exactly those days and compares them again.
 */
export const verify = async (globals: Globals, table: string | undefined, opts: Opts) => {
  stdoutFormat(globals)
  const name = table ?? "events"
  const path = resolveDbPath(globals)
  const from = text(opts.from)
  const to = text(opts.to)
  const range = {
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
  }
  const all = opts.all === true
  const repair = opts.repair === true
  let differ = 0
  const view = makeProgressView(`repair → ${name}`, {
    enabled: globals.progress,
    verbose: globals.verbose,
  })
  const connect = (timeZone: string | undefined) =>
    Effect.map(mixpanelSource(globals, timeZone === undefined ? {} : { timeZone }), (source) => ({
      upstream: source.eventCounts,
      source,
    }))
  const program = Effect.gen(function* () {
    if (!repair) {
      const result = yield* verifyEvents({ table: name, ...range, connect })
      yield* Effect.promise(() =>
        print(globals, all ? result.rows : result.differing, {
          table: result.table,
          from: result.from,
          to: result.to,
          events: result.events,
          differingDays: result.differingDays,
        }),
      )
      note(globals, summary(result))
      differ = result.differingDays.length
      return
    }
    const started = Date.now()
    const outcome = yield* verifyAndRepairEvents({ table: name, ...range, connect })
    view.finish()
    const { before, fetch, after } = outcome
    note(globals, summary(before, "Before: "))
    if (fetch !== undefined && after !== undefined) {
      describeOutcome(globals, "events", name, path, fetch, Date.now() - started)
      note(globals, summary(after, "After the repair: "))
    }
    const shown = after ?? before
    yield* Effect.promise(() =>
      print(globals, all ? shown.rows : shown.differing, {
        table: before.table,
        from: before.from,
        to: before.to,
        events: before.events,
        repairedDays: before.differingDays,
        differingDays: shown.differingDays,
      }),
    )
    differ = shown.differingDays.length
  }).pipe(
    Effect.provide(storageLayer(repair ? writableStore(globals, path) : readOnly(path))),
    Effect.provideService(Progress, view.reporter),
    Effect.onError(() => Effect.sync(view.clear)),
  )
  const code = await runProgram(globals, program, { onInterrupt: view.clear })
  return code === ExitCode.ok && differ > 0 ? ExitCode.differences : code
}
