import { formatResult, type ViewInfo } from "@mixpanel-data/core"
import { Effect } from "effect"
import { resolveDbPath } from "../db.js"
import { type Globals, stdoutFormat } from "../globals.js"
import { note, tableOptions, writeOut } from "../output.js"
import { runProgram } from "../run.js"
import { withStore } from "../store.js"

type Opts = Record<string, unknown>

/** The view's columns on stdout (key, type, sampled rows holding it); a summary on stderr. */
const report = (globals: Globals, verb: string, view: ViewInfo) =>
  Effect.promise(async () => {
    note(
      globals,
      `${verb} view "${view.name}" over "${view.table}": ${view.columns.length} typed columns from ${view.sampledRows} sampled rows.`,
    )
    await writeOut(
      formatResult(
        stdoutFormat(globals),
        {
          columns: [
            { name: "column", type: "VARCHAR" },
            { name: "key", type: "VARCHAR" },
            { name: "type", type: "VARCHAR" },
            { name: "rows", type: "BIGINT" },
          ],
          rows: view.columns.map((c) => [c.column, c.key, c.type, c.rows]),
        },
        tableOptions(globals),
      ),
    )
  })

/** The database opened for writing; it must exist (a view needs a table). */
const onStore = <A, E>(
  globals: Globals,
  use: Parameters<typeof withStore<A, E, never>>[1],
): Promise<number> =>
  runProgram(
    globals,
    withStore(
      {
        mode: "existing",
        path: resolveDbPath(globals),
        ...(globals.memoryLimit !== undefined ? { memoryLimit: globals.memoryLimit } : {}),
      },
      use,
    ),
  )

export const create = (globals: Globals, table: string, opts: Opts) => {
  stdoutFormat(globals)
  return onStore(globals, (storage) =>
    Effect.flatMap(
      storage.createView(table, {
        ...(typeof opts.name === "string" ? { name: opts.name } : {}),
        ...(typeof opts.top === "number" ? { top: opts.top } : {}),
      }),
      (view) => report(globals, "Created", view),
    ),
  )
}

export const refresh = (globals: Globals, name: string) => {
  stdoutFormat(globals)
  return onStore(globals, (storage) =>
    Effect.flatMap(storage.refreshView(name), (view) => report(globals, "Refreshed", view)),
  )
}

export const drop = (globals: Globals, name: string) =>
  onStore(globals, (storage) =>
    Effect.tap(storage.dropView(name), () =>
      Effect.sync(() => note(globals, `Dropped view "${name}".`)),
    ),
  )
