import {
  type EventsRequest,
  fetchEvents,
  fetchProfiles,
  importEvents,
  importProfiles,
  type ProfilesRequest,
  Storage,
  type StorageShape,
} from "@mixpanel-data/core"
import { makeFileSource } from "@mixpanel-data/file-source"
import { makeMixpanelSource, mixpanelConfigFromEnv } from "@mixpanel-data/mixpanel-source"
import { Effect } from "effect"
import type { JobRequest } from "./Api.js"
import type { JobWork } from "./Jobs.js"

const asFailure = (error: { readonly _tag: string; readonly message: string }) => ({
  _tag: error._tag,
  message: error.message,
})

const eventsRequest = (request: JobRequest): EventsRequest => ({
  from: request.from ?? "",
  to: request.to ?? "",
  ...(request.events === undefined ? {} : { events: request.events }),
  ...(request.where === undefined ? {} : { where: request.where }),
  ...(request.limit === undefined ? {} : { limit: request.limit }),
})

const profilesRequest = (request: JobRequest): ProfilesRequest => ({
  ...(request.where === undefined ? {} : { where: request.where }),
  ...(request.cohortId === undefined ? {} : { cohortId: request.cohortId }),
  ...(request.outputProperties === undefined ? {} : { outputProperties: request.outputProperties }),
  ...(request.distinctIds === undefined ? {} : { distinctIds: request.distinctIds }),
  ...(request.groupId === undefined ? {} : { groupId: request.groupId }),
})

/**
 * What a job does: the pipeline from a source into storage. Mixpanel credentials and the
 * project's time zone come from the server's environment at run time, never from the request.
 */
export const makeJobWork =
  (
    storage: StorageShape,
    spoolDir: string,
    env: Readonly<Record<string, string | undefined>> = process.env,
  ): JobWork =>
  (request) => {
    const mode = request.mode ?? "create"
    const work = Effect.gen(function* () {
      if (request.source === "mixpanel") {
        const config = yield* Effect.try({
          try: () => mixpanelConfigFromEnv(env),
          catch: (error) => ({
            _tag: "InvalidJob",
            message: error instanceof Error ? error.message : String(error),
          }),
        })
        const source = yield* makeMixpanelSource({ ...config, spoolDir })
        if (request.kind === "events") {
          return yield* fetchEvents({
            source,
            table: request.table,
            request: eventsRequest(request),
            mode,
            ...(request.lookbackDays === undefined ? {} : { lookbackDays: request.lookbackDays }),
            ...(config.timeZone === undefined ? {} : { timeZone: config.timeZone }),
          }).pipe(Effect.mapError(asFailure))
        }
        return yield* fetchProfiles({
          source,
          table: request.table,
          request: profilesRequest(request),
          mode,
        }).pipe(Effect.mapError(asFailure))
      }
      const source = makeFileSource({ paths: request.paths ?? [], spoolDir })
      if (request.kind === "events") {
        return yield* importEvents({
          source,
          table: request.table,
          mode,
          ...(request.events === undefined ? {} : { events: request.events }),
        }).pipe(Effect.mapError(asFailure))
      }
      return yield* importProfiles({ source, table: request.table, mode }).pipe(
        Effect.mapError(asFailure),
      )
    })
    return work.pipe(
      Effect.map((result): Readonly<Record<string, unknown>> => ({ ...result })),
      Effect.provideService(Storage, storage),
    )
  }
