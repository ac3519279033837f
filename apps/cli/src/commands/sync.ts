import { type SyncOutcome, storageLayer, syncTables } from "@mixpanel-data/core"
import { Effect } from "effect"
import { resolveDbPath, writableStore } from "../db.js"
import { ExitCode, exitCodeFor } from "../exit-codes.js"
import type { Globals } from "../globals.js"
import { makeProgressView } from "../progress.js"
import { runProgram } from "../run.js"
import { mixpanelSource } from "../sources.js"

type Opts = Record<string, unknown>

const number = new Intl.NumberFormat("en-US")

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim()

/** The one line a table's sync prints on stdout (plain text: cron mails it as it is). */
export const syncLine = (outcome: SyncOutcome): string => {
  switch (outcome._tag) {
    case "Events": {
      const r = outcome.result
      return `${outcome.table}: events ${outcome.from}..${outcome.to}, ${r.daysFetched} day(s) fetched, ${number.format(r.rows)} added, table holds ${number.format(r.tableRows)}${r.complete ? "" : " (incomplete)"}`
    }
    case "Profiles": {
      const r = outcome.result
      return `${outcome.table}: profiles, ${number.format(r.rows)} added, ${number.format(r.duplicates)} updated, table holds ${number.format(r.tableRows)}`
    }
    case "Skipped":
      return `${outcome.table}: skipped, ${outcome.reason}`
    case "Failed":
      return `${outcome.table}: FAILED [${outcome.error._tag}] ${oneLine(outcome.error.message)}`
  }
}

/**
 * `mp sync`: every table fetched from Mixpanel brought up to date with its recorded filters, one
 * line per table on stdout. Exits 0 when every table synced, else with the first failure's code.
 */
export const sync = async (globals: Globals, opts: Opts) => {
  const path = resolveDbPath(globals)
  let failed: string | undefined
  let view: ReturnType<typeof makeProgressView> | undefined
  const clear = () => view?.clear()
  const program = syncTables({
    sourceName: "mixpanel",
    sourceFor: (timeZone) => mixpanelSource(globals, timeZone === undefined ? {} : { timeZone }),
    ...(typeof opts.to === "string" ? { to: opts.to } : {}),
    ...(typeof opts.lookback === "number" ? { lookbackDays: opts.lookback } : {}),
    ...(Array.isArray(opts.table) && opts.table.length > 0
      ? { tables: opts.table.map(String) }
      : {}),
    progressFor: (table) => {
      view = makeProgressView(`sync → ${table}`, {
        enabled: globals.progress,
        verbose: globals.verbose,
      })
      return view.reporter
    },
    onTable: (outcome) =>
      Effect.sync(() => {
        clear()
        if (outcome._tag === "Failed" && failed === undefined) failed = outcome.error._tag
        process.stdout.write(`${syncLine(outcome)}\n`)
      }),
  }).pipe(
    Effect.provide(storageLayer(writableStore(globals, path))),
    Effect.ensuring(Effect.sync(clear)),
  )
  const code = await runProgram(globals, program, { onInterrupt: clear })
  return code === ExitCode.ok && failed !== undefined ? exitCodeFor(failed) : code
}
