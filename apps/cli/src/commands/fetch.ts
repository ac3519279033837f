import {
  type EventsFetch,
  type ProfilesFetch,
  Progress,
  parseEventsFetch,
  parseProfilesFetch,
  fetchEvents as runFetchEvents,
  fetchProfiles as runFetchProfiles,
  storageLayer,
} from "@mixpanel-data/core"
import { makeMixpanelSource } from "@mixpanel-data/mixpanel-source"
import { Effect, Stream } from "effect"
import { CliError } from "../cli-error.js"
import { resolveDbPath, writableStore } from "../db.js"
import type { Globals } from "../globals.js"
import { writeOut } from "../output.js"
import { makeProgressView } from "../progress.js"
import { flagNames, modeFlags, readRequest } from "../requests.js"
import { runProgram } from "../run.js"
import { mixpanelConfig, mixpanelSource, type SourceOverrides } from "../sources.js"
import { describeOutcome } from "./summary.js"

type Opts = Record<string, unknown>

/** Streams lines to stdout as they come (each day whole), storing nothing. */
const toStdout = <E>(lines: Stream.Stream<string, E>) =>
  Stream.runForEach(Stream.grouped(lines, 1000), (batch) =>
    Effect.promise(() => writeOut(`${batch.join("\n")}\n`)),
  )

/** The source's settings a fetch overrides: the project's zone and the days fetched at once. */
const overridesOf = (fetch: EventsFetch): SourceOverrides => ({
  ...(fetch.timeZone !== undefined ? { timeZone: fetch.timeZone } : {}),
  ...(fetch.workers !== undefined ? { workers: fetch.workers } : {}),
})

/**
 * Opens the Mixpanel source for a fetch: the chosen account's credentials, the fetch's
 * overrides, and `spoolDir` (where day files are staged) when the store reads only one folder.
 */
const openSource = (globals: Globals, overrides: SourceOverrides, spoolDir?: string) =>
  Effect.flatMap(
    Effect.try({
      try: () => ({ ...mixpanelConfig(globals, overrides), ...(spoolDir ? { spoolDir } : {}) }),
      catch: (error) =>
        error instanceof CliError ? error : new CliError("BadArguments", String(error)),
    }),
    (config) => Effect.map(makeMixpanelSource(config), (source) => ({ config, source })),
  )

/** A checked events fetch into the store: the source, then core's pipeline. */
export const storeEvents = (globals: Globals, fetch: EventsFetch, spoolDir?: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const { config, source } = yield* openSource(globals, overridesOf(fetch), spoolDir)
      return yield* runFetchEvents({
        source,
        table: fetch.table,
        request: fetch.request,
        mode: fetch.mode,
        ...(fetch.lookbackDays !== undefined ? { lookbackDays: fetch.lookbackDays } : {}),
        ...(config.timeZone !== undefined ? { timeZone: config.timeZone } : {}),
      })
    }),
  )

/** A checked profiles fetch into the store: the source, then core's pipeline. */
export const storeProfiles = (globals: Globals, fetch: ProfilesFetch, spoolDir?: string) =>
  Effect.scoped(
    Effect.flatMap(openSource(globals, {}, spoolDir), ({ source }) =>
      runFetchProfiles({ source, table: fetch.table, request: fetch.request, mode: fetch.mode }),
    ),
  )

export const fetchEvents = async (globals: Globals, table: string, opts: Opts) => {
  const fetch = readRequest(
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
  const overrides = overridesOf(fetch)
  mixpanelConfig(globals, overrides)
  if (opts.stdout === true) {
    return runProgram(
      globals,
      Effect.scoped(
        Effect.flatMap(mixpanelSource(globals, overrides), (source) =>
          toStdout(source.exportLines(fetch.request)),
        ),
      ),
    )
  }
  const path = resolveDbPath(globals)
  const view = makeProgressView(`events → ${table}`, {
    enabled: globals.progress,
    verbose: globals.verbose,
  })
  const started = Date.now()
  const program = Effect.map(storeEvents(globals, fetch), (outcome) => {
    view.finish()
    describeOutcome(globals, "events", table, path, outcome, Date.now() - started)
  }).pipe(
    Effect.provide(storageLayer(writableStore(globals, path))),
    Effect.provideService(Progress, view.reporter),
    Effect.onError(() => Effect.sync(view.clear)),
  )
  return runProgram(globals, program, { onInterrupt: view.clear })
}

export const fetchProfiles = async (globals: Globals, table: string, opts: Opts) => {
  const fetch = readRequest(
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
            Stream.map(source.profiles(fetch.request), (p) =>
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
  const started = Date.now()
  const program = Effect.map(storeProfiles(globals, fetch), (outcome) => {
    view.finish()
    describeOutcome(globals, "profiles", table, path, outcome, Date.now() - started)
  }).pipe(
    Effect.provide(storageLayer(writableStore(globals, path))),
    Effect.provideService(Progress, view.reporter),
    Effect.onError(() => Effect.sync(view.clear)),
  )
  return runProgram(globals, program, { onInterrupt: view.clear })
}
