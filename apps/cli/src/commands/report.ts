import {
  formatResult,
  type ReportInput,
  type ReportKind,
  reportResult,
  runReport,
} from "@mixpanel-data/core"
import { Effect } from "effect"
import { resolveDbPath } from "../db.js"
import { type Globals, stdoutFormat } from "../globals.js"
import { tableOptions, writeOut } from "../output.js"
import { runProgram } from "../run.js"
import { readOnly, withStore } from "../store.js"

/**
 * `mp report KIND`: one of core's reports over a table of the database, opened read-only.
 * `--format json` prints Mixpanel's own answer; table (the default), jsonl and csv print the
 * report's rows.
 */
export const report = (globals: Globals, kind: ReportKind, input: ReportInput) => {
  const format = stdoutFormat(globals)
  const path = resolveDbPath(globals)
  const program = withStore(readOnly(path), () =>
    Effect.flatMap(runReport(kind, input), ({ answer, rows }) => {
      if (format === "json") return Effect.promise(() => writeOut(`${JSON.stringify(answer)}\n`))
      const result = reportResult(kind, rows)
      return Effect.promise(() => writeOut(formatResult(format, result, tableOptions(globals))))
    }),
  )
  return runProgram(globals, program)
}
