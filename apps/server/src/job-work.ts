import {
  fetchEvents,
  fetchProfiles,
  importEvents,
  importProfiles,
  Storage,
  type StorageShape,
  verifyAndRepairEvents,
  verifyEvents,
} from "@mixpanel-data/core"
import { makeFileSource } from "@mixpanel-data/file-source"
import { makeMixpanelSource, mixpanelConfigFromEnv } from "@mixpanel-data/mixpanel-source"
import { Effect } from "effect"
import type { JobWork } from "./Jobs.js"

const asFailure = (error: { readonly _tag: string; readonly message: string }) => ({
  _tag: error._tag,
  message: error.message,
})

/**
 * What a job does: the pipeline from a source into storage. Mixpanel credentials and the
 * project's time zone come from the server's environment at run time, never from the request.
 * File jobs read only inside `importDir` (its real path): their paths were checked when the job
 * was accepted, and are checked again as each file is opened, so one swapped for a symlink out
 * of the folder while the job waited is refused.
 */
export const makeJobWork =
  (
    storage: StorageShape,
    spoolDir: string,
    importDir: string | undefined,
    env: Readonly<Record<string, string | undefined>> = process.env,
  ): JobWork =>
  (spec) => {
    const mixpanel = (overrides: { readonly timeZone?: string; readonly workers?: number } = {}) =>
      Effect.gen(function* () {
        const config = yield* Effect.try({
          try: () => ({ ...mixpanelConfigFromEnv(env), ...overrides, spoolDir }),
          catch: (error) => ({
            _tag: "InvalidJob",
            message: error instanceof Error ? error.message : String(error),
          }),
        })
        const source = yield* makeMixpanelSource(config)
        return { config, source }
      })
    const work = Effect.gen(function* () {
      switch (spec._tag) {
        case "FetchEvents": {
          const { workers, timeZone, ...fetch } = spec.fetch
          const { config, source } = yield* mixpanel({
            ...(timeZone === undefined ? {} : { timeZone }),
            ...(workers === undefined ? {} : { workers }),
          })
          return yield* fetchEvents({
            source,
            ...fetch,
            ...(config.timeZone === undefined ? {} : { timeZone: config.timeZone }),
          }).pipe(Effect.mapError(asFailure))
        }
        case "VerifyEvents": {
          const options = {
            table: spec.table,
            ...(spec.from !== undefined ? { from: spec.from } : {}),
            ...(spec.to !== undefined ? { to: spec.to } : {}),
            connect: (timeZone: string | undefined) =>
              Effect.map(mixpanel(timeZone === undefined ? {} : { timeZone }), ({ source }) => ({
                upstream: source.eventCounts,
                source,
              })),
          }
          return yield* spec.repair
            ? Effect.mapError(verifyAndRepairEvents(options), asFailure)
            : Effect.mapError(verifyEvents(options), asFailure)
        }
        case "FetchProfiles": {
          const { source } = yield* mixpanel()
          return yield* fetchProfiles({ source, ...spec.fetch }).pipe(Effect.mapError(asFailure))
        }
        case "Import": {
          const { table, mode, events, timeZone } = spec.spec
          const zone = timeZone === undefined ? {} : { timeZone }
          if (importDir === undefined) {
            return yield* Effect.fail({
              _tag: "ForbiddenPath",
              message: "File jobs are disabled: start the server with --import-dir DIR.",
            })
          }
          const source = makeFileSource({ paths: spec.paths, spoolDir, within: importDir, ...zone })
          if (spec.kind === "events") {
            return yield* importEvents({
              source,
              table,
              mode,
              ...zone,
              ...(events === undefined ? {} : { events }),
            }).pipe(Effect.mapError(asFailure))
          }
          return yield* importProfiles({ source, table, mode }).pipe(Effect.mapError(asFailure))
        }
      }
    })
    return work.pipe(
      Effect.map((result): Readonly<Record<string, unknown>> => ({ ...result })),
      Effect.provideService(Storage, storage),
    )
  }
