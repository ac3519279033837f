import {
  Progress,
  parseEventsFetch,
  parseProfilesFetch,
  fetchEvents as runFetchEvents,
  fetchProfiles as runFetchProfiles,
  storageLayer,
} from "@mixpanel-data/core"
import { Effect, Stream } from "effect"
import { resolveDbPath, writableStore } from "../db.js"
import type { Globals } from "../globals.js"
import { writeOut } from "../output.js"
import { makeProgressView } from "../progress.js"
import { flagNames, modeFlags, readRequest } from "../requests.js"
import { runProgram } from "../run.js"
import { mixpanelConfig, mixpanelSource } from "../sources.js"
import { describeOutcome } from "./summary.js"

type Opts = Record<string, unknown>

/** Streams lines to stdout as they come (each day whole), storing nothing. */
const toStdout = <E>(lines: Stream.Stream<string, E>) =>
  Stream.runForEach(Stream.grouped(lines, 1000), (batch) =>
    Effect.promise(() => writeOut(`${batch.join("\n")}\n`)),
  )

export const fetchEvents = async (globals: Globals, table: string, opts: Opts) => {
  const { request, mode, lookbackDays, timeZone, workers } = readRequest(
    parseEventsFetch(
      {
        table,
        from: opts.from,
        to: opts.to,
        lookbackDays: opts.lookback,
        events: opts.events,
        where: opts.where,
        limit: opts.limit,
        ...modeFlags(opts),
        timeZone: opts.projectTimezone,
        workers: opts.workers,
      },
      flagNames,
    ),
  )
  const overrides = {
    ...(timeZone !== undefined ? { timeZone } : {}),
    ...(workers !== undefined ? { workers } : {}),
  }
  const config = mixpanelConfig(globals, overrides)
  if (opts.stdout === true) {
    return runProgram(
      globals,
      Effect.scoped(
        Effect.flatMap(mixpanelSource(globals, overrides), (source) =>
          toStdout(source.exportLines(request)),
        ),
      ),
    )
  }
  const path = resolveDbPath(globals)
  const view = makeProgressView(`events → ${table}`, {
    enabled: globals.progress,
    verbose: globals.verbose,
  })
  const program = Effect.scoped(
    Effect.gen(function* () {
      const source = yield* mixpanelSource(globals, overrides)
      const started = Date.now()
      const outcome = yield* runFetchEvents({
        source,
        table,
        request,
        mode,
        ...(lookbackDays !== undefined ? { lookbackDays } : {}),
        ...(config.timeZone !== undefined ? { timeZone: config.timeZone } : {}),
      })
      view.finish()
      describeOutcome(globals, "events", table, path, outcome, Date.now() - started)
    }),
  ).pipe(
    Effect.provide(storageLayer(writableStore(globals, path))),
    Effect.provideService(Progress, view.reporter),
    Effect.onError(() => Effect.sync(view.clear)),
  )
  return runProgram(globals, program, { onInterrupt: view.clear })
}

export const fetchProfiles = async (globals: Globals, table: string, opts: Opts) => {
  const { request, mode } = readRequest(
    parseProfilesFetch(
      {
        table,
        where: opts.where,
        cohortId: opts.cohort,
        outputProperties: opts.outputProperties,
        distinctIds: opts.distinctId,
        groupId: opts.group,
        ...modeFlags(opts),
      },
      flagNames,
    ),
  )
  mixpanelConfig(globals)
  if (opts.stdout === true) {
    return runProgram(
      globals,
      Effect.scoped(
        Effect.flatMap(mixpanelSource(globals), (source) =>
          toStdout(
            Stream.map(source.profiles(request), (p) =>
              JSON.stringify({
                $distinct_id: p.distinctId,
                $properties: p.properties,
              }),
            ),
          ),
        ),
      ),
    )
  }
  const path = resolveDbPath(globals)
  const view = makeProgressView(`profiles → ${table}`, {
    enabled: globals.progress,
    verbose: globals.verbose,
  })
  const program = Effect.scoped(
    Effect.gen(function* () {
      const source = yield* mixpanelSource(globals)
      const started = Date.now()
      const outcome = yield* runFetchProfiles({ source, table, request, mode })
      view.finish()
      describeOutcome(globals, "profiles", table, path, outcome, Date.now() - started)
    }),
  ).pipe(
    Effect.provide(storageLayer(writableStore(globals, path))),
    Effect.provideService(Progress, view.reporter),
    Effect.onError(() => Effect.sync(view.clear)),
  )
  return runProgram(globals, program, { onInterrupt: view.clear })
}
