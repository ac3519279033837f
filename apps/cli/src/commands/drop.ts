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

/** Drops a table; without --force it asks on a terminal and refuses anywhere else. */
export const drop = async (globals: Globals, table: string, opts: Opts) => {
  const force = opts.force === true
  const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true
  if (!force && !interactive) {
    throw badArguments(`not dropping "${table}" without --force when not on a terminal`)
  }
  const path = resolveDbPath(globals)
  const program = withStore({ mode: "existing", path }, (storage) =>
    Effect.gen(function* () {
      if (!(yield* storage.tableExists(table))) return yield* new TableNotFound({ table })
      if (!force) {
        const info = (yield* storage.listTables).find((t) => t.name === table)
        const rows = info ? ` (${info.rowCount} rows)` : ""
        const yes = yield* Effect.promise(() =>
          confirm(`Drop table "${table}"${rows} from ${path}?`),
        )
        if (!yes) return yield* Effect.fail(new CliError("Cancelled", "nothing dropped"))
      }
      yield* storage.dropTable(table)
      note(globals, `Dropped "${table}".`)
    }),
  )
  return runProgram(globals, program)
}
