import { existsSync } from "node:fs"
import {
  importEvents,
  importProfiles,
  Progress,
  parseImport,
  storageLayer,
} from "@mixpanel-data/core"
import { makeFileSource } from "@mixpanel-data/file-source"
import { Effect } from "effect"
import { badArguments, CliError } from "../cli-error.js"
import { resolveDbPath, writableStore } from "../db.js"
import type { Globals } from "../globals.js"
import { makeProgressView } from "../progress.js"
import { flagNames, modeFlags, readRequest } from "../requests.js"
import { runProgram } from "../run.js"
import { describeOutcome } from "./summary.js"

type Opts = Record<string, unknown>

/** Imports Mixpanel export files through the file source and the same pipeline as a fetch. */
export const importFiles = async (
  globals: Globals,
  kind: "events" | "profiles",
  files: ReadonlyArray<string>,
  opts: Opts,
) => {
  if (files.filter((f) => f === "-").length > 1) throw badArguments("stdin (-) can be read once")
  for (const file of files) {
    if (file !== "-" && !existsSync(file)) {
      throw new CliError("FileNotFound", `no such file or folder: ${file}`)
    }
  }
  const { table, mode, timeZone } = readRequest(
    parseImport(
      kind,
      {
        table: opts.table,
        ...modeFlags(opts),
        timeZone: opts.projectTimezone,
      },
      flagNames,
    ),
  )
  const path = resolveDbPath(globals)
  const source = makeFileSource({
    paths: files,
    ...(timeZone !== undefined ? { timeZone } : {}),
  })
  const view = makeProgressView(`import ${kind} → ${table}`, {
    enabled: globals.progress,
    verbose: globals.verbose,
  })
  const started = Date.now()
  const work =
    kind === "events"
      ? importEvents({ source, table, mode, ...(timeZone !== undefined ? { timeZone } : {}) })
      : importProfiles({ source, table, mode })
  const program = Effect.tap(work, (outcome) =>
    Effect.sync(() => {
      view.finish()
      describeOutcome(globals, kind, table, path, outcome, Date.now() - started)
    }),
  ).pipe(
    Effect.provide(storageLayer(writableStore(globals, path))),
    Effect.provideService(Progress, view.reporter),
    Effect.onError(() => Effect.sync(view.clear)),
  )
  return runProgram(globals, program, { onInterrupt: view.clear })
}
