import {
  type EventsRequest,
  type ProfilesRequest,
  Progress,
  fetchEvents as runFetchEvents,
  fetchProfiles as runFetchProfiles,
  storageLayer,
} from "@mixpanel-data/core"
import { Effect, Stream } from "effect"
import { badArguments } from "../cli-error.js"
import { resolveDbPath, writableStore } from "../db.js"
import type { Globals } from "../globals.js"
import { writeOut } from "../output.js"
import { makeProgressView } from "../progress.js"
import { runProgram } from "../run.js"
import { mixpanelConfig, mixpanelSource } from "../sources.js"
import { describeOutcome, writeMode } from "./summary.js"

type Opts = Record<string, unknown>

const day = /^\d{4}-\d{2}-\d{2}$/

const checkDay = (flag: string, value: unknown): string => {
  const text = String(value)
  const parsed = Date.parse(`${text}T00:00:00Z`)
  if (
    !day.test(text) ||
    Number.isNaN(parsed) ||
    new Date(parsed).toISOString().slice(0, 10) !== text
  ) {
    throw badArguments(`${flag} must be a date YYYY-MM-DD, got "${text}"`)
  }
  return text
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined)
const num = (v: unknown) => (typeof v === "number" ? v : undefined)
const strs = (v: unknown) => (Array.isArray(v) && v.length > 0 ? (v as string[]) : undefined)

const eventsRequest = (opts: Opts): EventsRequest => {
  const from = checkDay("--from", opts.from)
  const to = checkDay("--to", opts.to)
  if (from > to) throw badArguments(`--from ${from} is after --to ${to}`)
  const events = strs(opts.events)
  const where = str(opts.where)
  const limit = num(opts.limit)
  if (limit !== undefined && limit > 100_000) throw badArguments("--limit is at most 100000")
  return {
    from,
    to,
    ...(events ? { events } : {}),
    ...(where !== undefined ? { where } : {}),
    ...(limit !== undefined ? { limit } : {}),
  }
}

const profilesRequest = (opts: Opts): ProfilesRequest => {
  const where = str(opts.where)
  const cohort = num(opts.cohort)
  const outputProperties = strs(opts.outputProperties)
  const distinctIds = strs(opts.distinctId)
  const groupId = str(opts.group)
  return {
    ...(where !== undefined ? { where } : {}),
    ...(cohort !== undefined ? { cohortId: cohort } : {}),
    ...(outputProperties ? { outputProperties } : {}),
    ...(distinctIds ? { distinctIds } : {}),
    ...(groupId !== undefined ? { groupId } : {}),
  }
}

/** Streams lines to stdout as they come (each day whole), storing nothing. */
const toStdout = <E>(lines: Stream.Stream<string, E>) =>
  Stream.runForEach(Stream.grouped(lines, 1000), (batch) =>
    Effect.promise(() => writeOut(`${batch.join("\n")}\n`)),
  )

export const fetchEvents = async (globals: Globals, table: string, opts: Opts) => {
  const request = eventsRequest(opts)
  const timeZone = str(opts.projectTimezone)
  const workers = num(opts.workers)
  const overrides = {
    ...(timeZone !== undefined ? { timeZone } : {}),
    ...(workers !== undefined ? { workers } : {}),
  }
  const config = mixpanelConfig(globals, overrides)
  const mode = writeMode(opts)
  const lookbackDays = num(opts.lookback)
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
  const request = profilesRequest(opts)
  mixpanelConfig(globals)
  const mode = writeMode(opts)
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
