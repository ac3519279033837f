import { rm } from "node:fs/promises"
import {
  BadRequestError,
  checkEventsRequest,
  daysOfRequest,
  type EventPart,
  type EventRecord,
  type EventsRequest,
  exportLineLayout,
  IncompleteExport,
  type JsonlLayout,
  type ProfileRecord,
  type ProfilesRequest,
  reportProgress,
  type Source,
  type SourceError,
  type UpstreamEventCounts,
} from "@mixpanel-data/core"
import { Effect, type Scope, Stream } from "effect"
import { makeApi } from "./api.js"
import { type MixpanelConfig, type ResolvedConfig, resolveConfig } from "./config.js"
import { type Discovery, makeDiscovery } from "./discovery.js"
import { makeEngage } from "./engage.js"
import { describeCause, SOURCE } from "./errors.js"
import { makeEventCounts } from "./event-counts.js"
import { type SpooledDay, spoolDay } from "./export-day.js"
import { type Live, makeLive } from "./live.js"
import { makeQueryGet } from "./query-get.js"
import { makeScheduler, type Scheduler } from "./scheduler.js"
import { makeSpoolFolder } from "./spool-folder.js"
import { readSpooled } from "./spooled-file.js"
import { toEventRecord } from "./transform.js"
import { makeWireFetch } from "./wire-fetch.js"

export interface MixpanelSource extends Source, Discovery {
  readonly name: "mixpanel"
  /** Events as records, parsed and transformed here (for stdout and library users). */
  readonly eventRecords: (request: EventsRequest) => Stream.Stream<EventRecord, SourceError>
  /** Mixpanel's export lines exactly as sent, each day whole. */
  readonly exportLines: (request: EventsRequest) => Stream.Stream<string, SourceError>
  /** Mixpanel's own reports, asked live through the query API, in the local reports' shapes. */
  readonly live: Live
  /** Mixpanel's own count of each event per day (`/events`), to compare a table with. */
  readonly eventCounts: UpstreamEventCounts
  /** The schedulers every request goes through (attempt counts for diagnostics). */
  readonly schedulers: { readonly export: Scheduler; readonly query: Scheduler }
}

/** Where storage finds the columns in a spooled export line. */
export const exportLayout = (timeZone: string | undefined): JsonlLayout =>
  exportLineLayout("ms", timeZone)

const removeAll = (paths: Iterable<string>) =>
  Effect.promise(() => Promise.all([...paths].map((p) => rm(p, { force: true })))).pipe(
    Effect.asVoid,
  )

const PROGRESS_BYTES = 4 << 20

/**
 * The Mixpanel source: export, engage and discovery as Effect streams, every request through
 * one scheduler per API family. Needs only a Scope (sockets, and spooled files not yet handed
 * on, are released with it).
 */
export const makeMixpanelSource = (
  config: MixpanelConfig,
): Effect.Effect<MixpanelSource, never, Scope.Scope> =>
  Effect.gen(function* () {
    const resolved: ResolvedConfig = resolveConfig(config)
    const wire = yield* Effect.acquireRelease(
      Effect.sync(() => makeWireFetch(resolved.timeouts)),
      (w) => Effect.sync(() => w.close()),
    )
    const api = yield* makeApi(resolved, wire)
    const exportScheduler = makeScheduler({
      family: "export",
      limits: resolved.limits.export,
      retry: resolved.retry,
      marginMs: resolved.limits.marginMs,
      secondMarginMs: resolved.limits.secondMarginMs,
    })
    const queryScheduler = makeScheduler({
      family: "query",
      limits: resolved.limits.query,
      retry: resolved.retry,
      marginMs: resolved.limits.marginMs,
      secondMarginMs: resolved.limits.secondMarginMs,
    })
    // added first, so it closes last: after the unhanded files in it are gone
    const spoolFolder = yield* makeSpoolFolder(resolved.spoolDir)
    const active = new Set<Set<string>>()
    yield* Effect.addFinalizer(() => removeAll([...active].flatMap((pending) => [...pending])))
    const timeZone = resolved.timeZone
    const layout = exportLayout(timeZone)

    /** Every requested day spooled whole, in completion order; leftovers deleted on exit. */
    const spooledDays = (request: EventsRequest): Stream.Stream<SpooledDay, SourceError> =>
      Stream.unwrap(
        Effect.gen(function* () {
          const days = yield* checkEventsRequest(request).pipe(
            Effect.map(() => daysOfRequest(request)),
            Effect.mapError((e) => new BadRequestError({ source: SOURCE, body: e.message })),
          )
          const spoolDir = yield* Effect.tryPromise({
            try: spoolFolder,
            catch: (error) =>
              new IncompleteExport({
                source: SOURCE,
                chunk: `${request.from}..${request.to}`,
                reason: `cannot write ${resolved.spoolDir}: ${describeCause(error)}`,
              }),
          })
          yield* reportProgress({ _tag: "Planned", unit: "days", total: days.length })
          const context = yield* Effect.context<never>()
          const pending = new Set<string>()
          active.add(pending)
          let rows = 0
          let bytes = 0
          let reportedBytes = 0
          const onProgress = (r: number, b: number) => {
            rows += r
            bytes += b
            if (bytes - reportedBytes >= PROGRESS_BYTES) {
              reportedBytes = bytes
              Effect.runForkWith(context)(reportProgress({ _tag: "Received", rows, bytes }))
            }
          }
          const options = { spoolDir, pending, onProgress }
          return Stream.fromIterable(days).pipe(
            Stream.mapEffect(
              (day) =>
                spoolDay(api, exportScheduler, request, day, options).pipe(
                  Effect.tap(() => reportProgress({ _tag: "Received", rows, bytes })),
                ),
              { concurrency: resolved.workers, unordered: true },
            ),
            Stream.tap((spooled) => Effect.sync(() => pending.delete(spooled.path))),
            Stream.ensuring(
              Effect.suspend(() => removeAll(pending)).pipe(
                Effect.ensuring(Effect.sync(() => active.delete(pending))),
              ),
            ),
          )
        }),
      )

    const events = (request: EventsRequest): Stream.Stream<EventPart, SourceError> =>
      spooledDays(request).pipe(
        Stream.map(
          (d): EventPart => ({
            _tag: "JsonlPart",
            day: d.day,
            path: d.path,
            layout,
            rows: d.rows,
            bytes: d.bytes,
          }),
        ),
      )

    const readThenDelete = <A>(d: SpooledDay, f: (line: string) => A | null) =>
      readSpooled(d.path, f).pipe(Stream.ensuring(removeAll([d.path])))

    const transformOptions = { timeUnit: "ms" as const, timeZone }

    const eventRecords = (request: EventsRequest): Stream.Stream<EventRecord, SourceError> =>
      spooledDays(request).pipe(
        Stream.flatMap((d) =>
          readThenDelete(d, (line) => toEventRecord(JSON.parse(line), transformOptions)),
        ),
      )

    const exportLines = (request: EventsRequest): Stream.Stream<string, SourceError> =>
      spooledDays(request).pipe(Stream.flatMap((d) => readThenDelete(d, (line) => line)))

    const engage = makeEngage(api, queryScheduler, timeZone)
    // discovery and live reports ask the query API one way, sharing its scheduler with engage
    const query = makeQueryGet(api, queryScheduler)
    const discovery = makeDiscovery(query)
    const live = makeLive(query)
    const credentials = resolved.credentials

    const params: Record<string, unknown> = {
      region: resolved.region,
      projectId: credentials.projectId ?? null,
      auth: credentials._tag === "ServiceAccount" ? "service-account" : "project-secret",
      exportUrl: resolved.exportHost,
      queryUrl: resolved.queryHost,
      timeZone: timeZone ?? "UTC",
    }

    return {
      name: "mixpanel",
      params,
      events,
      profiles: (request: ProfilesRequest): Stream.Stream<ProfileRecord, SourceError> =>
        engage.profiles(request),
      eventRecords,
      exportLines,
      ...discovery,
      live,
      eventCounts: makeEventCounts(live, discovery),
      schedulers: { export: exportScheduler, query: queryScheduler },
    } satisfies MixpanelSource
  })
