import { TableNotFound } from "@mixpanel-data/core"
import { Effect } from "effect"
import { badArguments, CliError } from "../cli-error.js"
import { resolveDbPath } from "../db.js"
import type { Globals } from "../globals.js"
import { note } from "../output.js"
import { confirm } from "../prompt.js"
import { runProgram } from "../run.js"
import { withStore } from "../store.js"

type Opts = Record<string, unknown>

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()

/**
 * Drops a table with its typed views, or a typed view alone; without --force it asks on a
 * terminal and refuses anywhere else.
 */
export const drop = async (globals: Globals, table: string, opts: Opts) => {
  const force = opts.force === true
  const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true
  if (!force && !interactive) {
    throw badArguments(`not dropping "${table}" without --force when not on a terminal`)
  }
  const path = resolveDbPath(globals)
  const ask = (question: string) =>
    force
      ? Effect.void
      : Effect.flatMap(
          Effect.promise(() => confirm(question)),
          (yes) => (yes ? Effect.void : Effect.fail(new CliError("Cancelled", "nothing dropped"))),
        )
  const program = withStore({ mode: "existing", path }, (storage) =>
    Effect.gen(function* () {
      const views = yield* storage.listViews
      const view = views.find((v) => same(v.name, table))
      if (view !== undefined) {
        yield* ask(`Drop view "${view.name}" from ${path}? (its table "${view.table}" stays)`)
        yield* storage.dropView(table)
        return note(globals, `Dropped view "${view.name}".`)
      }
      if (!(yield* storage.tableExists(table))) return yield* new TableNotFound({ table })
      const dependent = views.filter((v) => same(v.table, table)).map((v) => `"${v.name}"`)
      const also =
        dependent.length === 0
          ? ""
          : ` and its view${dependent.length > 1 ? "s" : ""} ${dependent.join(", ")}`
      if (!force) {
        const info = (yield* storage.listTables).find((t) => t.name === table)
        const rows = info ? ` (${info.rowCount} rows)` : ""
        yield* ask(`Drop table "${table}"${rows}${also} from ${path}?`)
      }
      yield* storage.dropTable(table)
      note(globals, `Dropped "${table}"${also}.`)
    }),
  )
  return runProgram(globals, program)
}
